/**
 * Branches: create (with a head and provenance), inspect, list, delete.
 *
 * Giving a branch provenance makes it computed from other branches: a write upstream opens a commit
 * on it with the same global ID. When a branch gets new provenance and its inputs already have
 * data, a commit is opened on it (and downstream) right away, so pipelines start on existing data.
 */
import { CommitOrigin } from '../../proto/gen/terrain/pfs/v1/commit.ts';
import { BranchGraph, branchId } from './branch-graph.ts';
import type { CommitStore, SignalOptions } from './commit-store.ts';
import type { Commits } from './commits.ts';
import { pfsErrors } from './errors.ts';
import { branchName, isCommitId, newCommitId, repoName, type CommitId } from './names.ts';
import { UnitOfWork } from './unit-of-work.ts';
import { BranchRecord, encode, keys, nowMs } from './records.ts';

export interface BranchInfo {
  record: BranchRecord;
  provenance: { repo: string; name: string }[];
  subvenance: { repo: string; name: string }[];
}

export interface CreateBranchOptions extends SignalOptions {
  /** A commit (ID, or another branch of the same repo) to point the branch at. */
  head?: { repo: string; branch?: string; id?: string };
  provenance?: { repo: string; name: string }[];
}

export class Branches {
  readonly #store: CommitStore;
  readonly #commits: Commits;

  constructor(deps: { store: CommitStore; commits: Commits }) {
    this.#store = deps.store;
    this.#commits = deps.commits;
  }

  async create(repoArg: string, nameArg: string, options: CreateBranchOptions = {}): Promise<BranchInfo> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const uow = new UnitOfWork(this.#store.kv);
      const { repo, name } = await this.planCreate(
        uow,
        this.#store.in(uow),
        repoArg,
        nameArg,
        newCommitId(),
        options,
      );
      if (await uow.commit(options)) return await this.inspect(repo, name, options);
    }
    throw pfsErrors.aborted(`branch ${repoArg}@${nameArg} kept changing while creating it; retry`);
  }

  /**
   * Plans creating or changing a branch in `uow`. When its provenance changes and the inputs have
   * data, a commit with global ID `id` is opened on it and downstream.
   */
  async planCreate(
    uow: UnitOfWork,
    store: CommitStore,
    repoArg: string,
    nameArg: string,
    id: CommitId,
    options: CreateBranchOptions,
  ): Promise<{ repo: string; name: string }> {
    const repo = repoName(repoArg);
    const name = branchName(nameArg);
    const provenance = (options.provenance ?? []).map((p) => ({
      repo: repoName(p.repo),
      name: branchName(p.name),
    }));
    await store.getRepo(repo, options);
    for (const p of provenance) await store.getRepo(p.repo, options);
    const graph = await store.loadGraph(options);
    const bid = branchId(repo, name);
    graph.checkNoCycle(
      bid,
      provenance.map((p) => branchId(p.repo, p.name)),
    );
    const existing = graph.get(bid);
    let head = existing?.record.head ?? '';
    if (options.head) {
      if (options.head.repo && options.head.repo !== repo) {
        throw pfsErrors.invalidArgument(
          `the head of ${bid} must be a commit of repo "${repo}", not "${options.head.repo}"`,
        );
      }
      head = (await this.#commits.resolve({ ...options.head, repo }, options)).id;
    }
    const now = nowMs();
    // Provenance branches that do not exist yet are created empty, as in Pachyderm.
    for (const p of provenance) {
      if (!graph.get(branchId(p.repo, p.name))) {
        uow.expect(keys.branch(p.repo, p.name), 0);
        uow.put(
          keys.branch(p.repo, p.name),
          encode.branch(BranchRecord.fromPartial({ repo: p.repo, name: p.name, createdMs: now })),
        );
      }
    }
    const record = BranchRecord.fromPartial({
      repo,
      name,
      head,
      directProvenance: provenance,
      createdMs: existing?.record.createdMs ?? now,
    });
    const provenanceChanged =
      provenance.length > 0 && !sameProvenance(existing?.record.directProvenance ?? [], provenance);
    const inputsHaveData = provenance.some((p) => graph.get(branchId(p.repo, p.name))?.record.head);
    if (provenanceChanged && inputsHaveData) {
      // Open a commit on the branch computed from its inputs' current heads, and downstream of it.
      const updated = withBranch(graph, record, existing?.modRevision);
      store.openCommitSet(uow, updated, id, [{ repo, branch: name, origin: CommitOrigin.AUTO }]);
    } else {
      uow.expect(keys.branch(repo, name), existing?.modRevision ?? 0);
      uow.put(keys.branch(repo, name), encode.branch(record));
    }
    return { repo, name };
  }

  async inspect(repoArg: string, nameArg: string, options: SignalOptions = {}): Promise<BranchInfo> {
    const repo = repoName(repoArg);
    const name = isCommitId(nameArg) ? nameArg : branchName(nameArg);
    const { record } = await this.#store.getBranch(repo, name, options);
    const graph = await this.#store.loadGraph(options);
    const id = branchId(repo, name);
    const split = (b: string) => {
      const at = b.indexOf('@');
      return { repo: b.slice(0, at), name: b.slice(at + 1) };
    };
    return {
      record,
      provenance: graph.upstream(id).map(split),
      subvenance: graph.downstream([id]).map(split),
    };
  }

  async *list(repoArg: string | undefined, options: SignalOptions = {}): AsyncGenerator<BranchRecord> {
    if (repoArg) await this.#store.getRepo(repoName(repoArg), options);
    for await (const b of this.#store.listBranches(repoArg ? repoName(repoArg) : undefined, options))
      yield b.record;
  }

  /** FAILED_PRECONDITION naming them when other branches have provenance on it, unless `force`. */
  async delete(
    repoArg: string,
    nameArg: string,
    options: SignalOptions & { force?: boolean } = {},
  ): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const uow = new UnitOfWork(this.#store.kv);
      await this.planDelete(uow, this.#store.in(uow), repoArg, nameArg, options);
      if (await uow.commit(options)) return;
    }
    throw pfsErrors.aborted(`branch ${repoArg}@${nameArg} kept changing while deleting it; retry`);
  }

  async planDelete(
    uow: UnitOfWork,
    store: CommitStore,
    repoArg: string,
    nameArg: string,
    options: SignalOptions & { force?: boolean },
  ): Promise<void> {
    const repo = repoName(repoArg);
    const name = branchName(nameArg);
    const graph = await store.loadGraph(options);
    const id = branchId(repo, name);
    const existing = graph.get(id);
    if (!existing) {
      await store.getBranch(repo, name, options);
      throw pfsErrors.notFound(`branch ${id} not found`);
    }
    const dependents = graph.directSubvenance(id);
    if (dependents.length > 0 && !options.force) {
      throw pfsErrors.failedPrecondition(
        `branch ${id} cannot be deleted: ${dependents.join(', ')} ${dependents.length === 1 ? 'has' : 'have'} provenance on it (delete them first, or force)`,
      );
    }
    uow.expect(keys.branch(repo, name), existing.modRevision).delete(keys.branch(repo, name));
    for (const d of dependents) {
      const b = graph.get(d)!;
      uow.expect(keys.branch(b.record.repo, b.record.name), b.modRevision);
      uow.put(
        keys.branch(b.record.repo, b.record.name),
        encode.branch({
          ...b.record,
          directProvenance: b.record.directProvenance.filter((p) => branchId(p.repo, p.name) !== id),
        }),
      );
    }
  }
}

function sameProvenance(
  a: readonly { repo: string; name: string }[],
  b: readonly { repo: string; name: string }[],
): boolean {
  const key = (l: readonly { repo: string; name: string }[]) =>
    l
      .map((p) => branchId(p.repo, p.name))
      .sort()
      .join(',');
  return key(a) === key(b);
}

/** The graph with one branch replaced (its new provenance), for opening a commit set on it. */
function withBranch(graph: BranchGraph, record: BranchRecord, modRevision: number | undefined): BranchGraph {
  const branches = [...graph.branches.values()].filter(
    (b) => branchId(b.record.repo, b.record.name) !== branchId(record.repo, record.name),
  );
  return new BranchGraph([...branches, { record, modRevision: modRevision ?? 0 }]);
}
