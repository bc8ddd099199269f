/**
 * Repos: create, inspect, list and delete.
 *
 * Deleting a repo is made visible atomically (its repo and branch records go in one transaction,
 * with a `deleting/` marker); the rest of its keys (commits, indexes) are removed right after, and
 * again at startup if pfs died in between. A repo of the same name cannot be created while that
 * cleanup runs. Its objects are left to garbage collection.
 */
import type { Logger } from 'pino';
import { RepoType } from '../../proto/gen/terrain/pfs/v1/repo.ts';
import { branchId } from './branch-graph.ts';
import type { CommitStore, SignalOptions } from './commit-store.ts';
import { pfsErrors } from './errors.ts';
import { repoName } from './names.ts';
import { BranchRecord, RepoRecord, encode, keys, lastSegment, nowMs } from './records.ts';

export interface CreateRepoOptions extends SignalOptions {
  description?: string;
  /** Update the description of an existing repo instead of failing with ALREADY_EXISTS. */
  update?: boolean;
  type?: RepoType;
  pipeline?: string;
}

export class Repos {
  readonly #store: CommitStore;
  readonly #logger: Logger;

  constructor(deps: { store: CommitStore; logger: Logger }) {
    this.#store = deps.store;
    this.#logger = deps.logger;
  }

  async create(name: string, options: CreateRepoOptions = {}): Promise<RepoRecord> {
    const repo = repoName(name);
    const kv = this.#store.kv;
    if (await kv.get(keys.deleting(repo), options)) {
      throw pfsErrors.aborted(`repo "${repo}" is still being deleted; try again in a moment`);
    }
    const existing = await this.#store.findRepo(repo, options);
    if (existing) {
      if (!options.update)
        throw pfsErrors.alreadyExists(`repo "${repo}" already exists`, { details: { repo } });
      const record = RepoRecord.fromPartial({
        ...existing.record,
        description: options.description ?? existing.record.description,
      });
      const { succeeded } = await kv
        .txn()
        .ifModRevision(keys.repo(repo), existing.modRevision)
        .put(keys.repo(repo), encode.repo(record))
        .commit(options);
      if (!succeeded) throw pfsErrors.aborted(`repo "${repo}" changed while updating it; retry`);
      return record;
    }
    const record = RepoRecord.fromPartial({
      name: repo,
      type: options.type || RepoType.USER,
      description: options.description ?? '',
      createdMs: nowMs(),
      pipeline: options.pipeline ?? '',
    });
    const { succeeded } = await kv
      .txn()
      .ifAbsent(keys.repo(repo))
      .ifAbsent(keys.deleting(repo))
      .put(keys.repo(repo), encode.repo(record))
      .commit(options);
    if (!succeeded) throw pfsErrors.alreadyExists(`repo "${repo}" already exists`, { details: { repo } });
    return record;
  }

  async inspect(
    name: string,
    options: SignalOptions = {},
  ): Promise<{ repo: RepoRecord; branches: BranchRecord[]; sizeBytes: bigint }> {
    const repo = repoName(name);
    const { record } = await this.#store.getRepo(repo, options);
    const branches: BranchRecord[] = [];
    for await (const b of this.#store.listBranches(repo, options)) branches.push(b.record);
    const master = branches.find((b) => b.name === 'master') ?? branches[0];
    let sizeBytes = 0n;
    if (master?.head)
      sizeBytes = (await this.#store.findCommit(repo, master.head, options))?.record.sizeBytes ?? 0n;
    return { repo: record, branches, sizeBytes };
  }

  async *list(options: SignalOptions & { type?: RepoType } = {}): AsyncGenerator<RepoRecord> {
    for await (const r of this.#store.listRepos(options)) {
      if (!options.type || r.type === options.type) yield r;
    }
  }

  /**
   * Deletes a repo. FAILED_PRECONDITION, naming them, when branches of other repos have provenance
   * on it, unless `force` — which removes that provenance from them.
   */
  async delete(name: string, options: SignalOptions & { force?: boolean } = {}): Promise<boolean> {
    const repo = repoName(name);
    const kv = this.#store.kv;
    for (let attempt = 0; attempt < 20; attempt++) {
      const found = await this.#store.findRepo(repo, options);
      if (!found) throw pfsErrors.notFound(`repo "${repo}" not found`, { details: { repo } });
      const graph = await this.#store.loadGraph(options);
      const dependents = [...graph.branches.values()].filter(
        (b) => b.record.repo !== repo && b.record.directProvenance.some((p) => p.repo === repo),
      );
      if (dependents.length > 0 && !options.force) {
        const names = dependents.map((b) => branchId(b.record.repo, b.record.name)).join(', ');
        throw pfsErrors.failedPrecondition(
          `repo "${repo}" cannot be deleted: ${names} ${dependents.length === 1 ? 'has' : 'have'} provenance on it (delete ${dependents.length === 1 ? 'it' : 'them'} first, or force)`,
        );
      }
      const txn = kv.txn().ifModRevision(keys.repo(repo), found.modRevision);
      for (const b of dependents) {
        txn.ifModRevision(keys.branch(b.record.repo, b.record.name), b.modRevision);
        const record = BranchRecord.fromPartial({
          ...b.record,
          directProvenance: b.record.directProvenance.filter((p) => p.repo !== repo),
        });
        txn.put(keys.branch(b.record.repo, b.record.name), encode.branch(record));
      }
      for (const b of graph.branches.values()) {
        if (b.record.repo === repo) txn.ifModRevision(keys.branch(repo, b.record.name), b.modRevision);
      }
      txn.delete(keys.repo(repo)).deletePrefix(keys.branchesOf(repo)).put(keys.deleting(repo), '');
      if ((await txn.commit(options)).succeeded) {
        await this.#cleanUp(repo, options);
        return true;
      }
    }
    throw pfsErrors.aborted(`repo "${repo}" kept changing while deleting it; retry`);
  }

  /** Removes every remaining key of a deleted repo; safe to repeat. */
  async #cleanUp(repo: string, options: SignalOptions): Promise<void> {
    const kv = this.#store.kv;
    // Commit-set membership is keyed by commit ID; find the IDs through the repo's commit index.
    for await (const e of kv.list(keys.commitsOf(repo), { ...options, keysOnly: true })) {
      const id = lastSegment(e.key);
      await kv.delete(keys.commitSetMember(id, repo), options);
      let others = false;
      for await (const _ of kv.list(keys.commitSetMembers(id), { ...options, keysOnly: true, pageSize: 1 })) {
        others = true;
        break;
      }
      if (!others) {
        const set = await this.#store.findCommitSet(id, options);
        if (set) {
          await kv
            .txn()
            .delete(keys.commitSet(id))
            .delete(keys.commitSetTime(set.record.createdMs, id))
            .commit(options);
        }
      }
    }
    for (const prefix of [
      keys.commitsOf(repo),
      keys.commitTimesOf(repo),
      `children/${repo}/`,
      `staged/${repo}/`,
      `finishing/${repo}/`,
      keys.provenantsOfRepo(repo),
    ]) {
      await kv.deletePrefix(prefix, options);
    }
    await kv.delete(keys.deleting(repo), options);
    this.#logger.info({ repo }, 'repo deleted');
  }

  /** Finishes the clean-up of repos whose deletion was interrupted. */
  async resumeDeletes(options: SignalOptions = {}): Promise<void> {
    for await (const e of this.#store.kv.list(keys.allDeleting(), { ...options, keysOnly: true })) {
      await this.#cleanUp(lastSegment(e.key), options);
    }
  }
}
