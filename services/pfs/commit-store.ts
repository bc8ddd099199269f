/**
 * CommitStore: typed reads of pfs's etcd records, and the one routine that opens a commit set
 * (a commit on some branches plus, with the same global ID, on every branch downstream of them).
 *
 * Reads return the record with its etcd mod revision, so writers can compare-and-swap on exactly
 * what they read. Errors: NOT_FOUND naming the missing repo, branch or commit; UNAVAILABLE from etcd.
 */
import type { Kv, KvEntry } from '../platform/etcd/index.ts';
import { CommitOrigin, CommitState } from '../../proto/gen/terrain/pfs/v1/commit.ts';
import { BranchGraph, branchId, type BranchId } from './branch-graph.ts';
import { pfsErrors } from './errors.ts';
import type { CommitId } from './names.ts';
import type { KvReader, UnitOfWork } from './unit-of-work.ts';
import {
  BranchRecord,
  CommitRecord,
  decode,
  encode,
  keys,
  nowMs,
  type CommitSetRecord,
  type RepoRecord,
  type StagedRecord,
} from './records.ts';

export interface Versioned<T> {
  record: T;
  modRevision: number;
}

export interface SignalOptions {
  signal?: AbortSignal;
}

export class CommitStore {
  readonly kv: Kv;
  /** Where reads go: etcd itself, or a unit of work's overlay of its pending writes. */
  readonly reader: KvReader;
  /** Within one unit of work: commit sets already opened, and parents of downstream commits opened. */
  readonly #setOpened = new Set<string>();
  readonly #pendingParent = new Map<BranchId, string>();

  constructor(kv: Kv, reader: KvReader = kv) {
    this.kv = kv;
    this.reader = reader;
  }

  /** The same store reading through `uow`, so reads see its pending writes and are compared at commit. */
  in(uow: UnitOfWork): CommitStore {
    return new CommitStore(this.kv, uow);
  }

  async #get<T>(
    key: string,
    dec: (e: KvEntry) => T,
    options: SignalOptions,
  ): Promise<Versioned<T> | undefined> {
    const entry = await this.reader.get(key, options);
    return entry ? { record: dec(entry), modRevision: entry.modRevision } : undefined;
  }

  async findRepo(repo: string, options: SignalOptions = {}): Promise<Versioned<RepoRecord> | undefined> {
    return await this.#get(keys.repo(repo), decode.repo, options);
  }

  async getRepo(repo: string, options: SignalOptions = {}): Promise<Versioned<RepoRecord>> {
    const found = await this.findRepo(repo, options);
    if (!found) throw pfsErrors.notFound(`repo "${repo}" not found`, { details: { repo } });
    return found;
  }

  async findBranch(
    repo: string,
    branch: string,
    options: SignalOptions = {},
  ): Promise<Versioned<BranchRecord> | undefined> {
    return await this.#get(keys.branch(repo, branch), decode.branch, options);
  }

  async getBranch(
    repo: string,
    branch: string,
    options: SignalOptions = {},
  ): Promise<Versioned<BranchRecord>> {
    const found = await this.findBranch(repo, branch, options);
    if (found) return found;
    await this.getRepo(repo, options); // a missing repo is the better message
    throw pfsErrors.notFound(`branch "${branch}" not found in repo "${repo}"`, { details: { repo, branch } });
  }

  async findCommit(
    repo: string,
    id: string,
    options: SignalOptions = {},
  ): Promise<Versioned<CommitRecord> | undefined> {
    return await this.#get(keys.commit(repo, id), decode.commit, options);
  }

  async getCommit(repo: string, id: string, options: SignalOptions = {}): Promise<Versioned<CommitRecord>> {
    const found = await this.findCommit(repo, id, options);
    if (found) return found;
    await this.getRepo(repo, options);
    throw pfsErrors.notFound(`commit ${repo}@${id} not found`, { details: { repo, commit: id } });
  }

  async findCommitSet(
    id: string,
    options: SignalOptions = {},
  ): Promise<Versioned<CommitSetRecord> | undefined> {
    return await this.#get(keys.commitSet(id), decode.commitSet, options);
  }

  async *listRepos(options: SignalOptions = {}): AsyncGenerator<RepoRecord> {
    for await (const e of this.reader.list(keys.repos(), options)) yield decode.repo(e);
  }

  async *listBranches(
    repo: string | undefined,
    options: SignalOptions = {},
  ): AsyncGenerator<Versioned<BranchRecord>> {
    const prefix = repo ? keys.branchesOf(repo) : keys.allBranches();
    for await (const e of this.reader.list(prefix, options))
      yield { record: decode.branch(e), modRevision: e.modRevision };
  }

  /** Child commit IDs of `repo@parent` (keys only; bounded by the branches forking from it). */
  async *childIds(repo: string, parent: string, options: SignalOptions = {}): AsyncGenerator<string> {
    const prefix = keys.childrenOf(repo, parent);
    for await (const e of this.reader.list(prefix, { ...options, keysOnly: true }))
      yield e.key.slice(prefix.length);
  }

  /** Staged file sets of an open commit, in the order they were added. */
  async *staged(
    repo: string,
    id: string,
    options: SignalOptions = {},
  ): AsyncGenerator<StagedRecord & { key: string }> {
    for await (const e of this.reader.list(keys.stagedOf(repo, id), options))
      yield { ...decode.staged(e), key: e.key };
  }

  /** The whole branch graph, read as one consistent snapshot. */
  async loadGraph(options: SignalOptions = {}): Promise<BranchGraph> {
    const branches: Versioned<BranchRecord>[] = [];
    for await (const b of this.listBranches(undefined, options)) branches.push(b);
    return new BranchGraph(branches);
  }

  /**
   * Adds to `txn` everything that opens commit set `id` on `starts` (branches, each getting a USER
   * commit, or AUTO when `origin` says so) and, with the same ID, on every branch downstream of them
   * (AUTO commits whose provenance is the new heads of their provenance branches). Compares every
   * touched branch's revision, so a concurrent change makes the transaction fail (and the caller
   * retry) instead of losing an update. Returns the commits it opens.
   *
   * Throws FAILED_PRECONDITION when the set would hold two commits in one repo (two branches of one
   * repo downstream of the same write).
   */
  openCommitSet(
    txn: UnitOfWork,
    graph: BranchGraph,
    id: CommitId,
    starts: readonly {
      repo: string;
      branch: string;
      parent?: string;
      description?: string;
      origin?: CommitOrigin;
    }[],
  ): CommitRecord[] {
    const now = nowMs();
    const newHeads = new Map<BranchId, string>();
    const opened: CommitRecord[] = [];
    const repos = new Set<string>();
    const open = (repo: string, branch: string, record: CommitRecord): void => {
      if (repos.has(repo)) {
        throw pfsErrors.failedPrecondition(
          `one write would open two commits in repo "${repo}" (branch "${branch}" too); ` +
            `give each repo at most one branch downstream of a write`,
        );
      }
      repos.add(repo);
      opened.push(record);
      newHeads.set(branchId(repo, branch), id);
      txn.put(keys.commit(repo, id), encode.commit(record));
      txn.put(keys.commitTime(repo, now, id), '');
      txn.put(keys.commitSetMember(id, repo), '');
      if (record.parent) txn.put(keys.child(repo, record.parent, id), '');
      for (const p of record.directProvenance) txn.put(keys.provenant(p.repo, p.id, repo, id), '');
    };
    const moveHead = (
      existing: { record: BranchRecord; modRevision: number } | undefined,
      repo: string,
      branch: string,
    ): void => {
      txn.expect(keys.branch(repo, branch), existing?.modRevision ?? 0);
      const record = BranchRecord.fromPartial({
        ...(existing?.record ?? { repo, name: branch, createdMs: now }),
        head: id,
      });
      txn.put(keys.branch(repo, branch), encode.branch(record));
    };

    for (const start of starts) {
      const existing = graph.get(branchId(start.repo, start.branch));
      moveHead(existing, start.repo, start.branch);
      open(
        start.repo,
        start.branch,
        CommitRecord.fromPartial({
          repo: start.repo,
          id,
          branch: start.branch,
          parent: start.parent ?? existing?.record.head ?? '',
          state: CommitState.STARTED,
          origin: start.origin ?? CommitOrigin.USER,
          description: start.description ?? '',
          directProvenance: this.#provenanceOf(existing?.record, graph, newHeads),
          startedMs: now,
        }),
      );
    }
    for (const downId of graph.downstream(starts.map((s) => branchId(s.repo, s.branch)))) {
      const down = graph.get(downId)!;
      if (down.record.head === id) {
        // Opened earlier in the same transaction (another of its writes is upstream too): only its
        // provenance changes, to the new heads.
        repos.add(down.record.repo);
        newHeads.set(downId, id);
        txn.put(
          keys.commit(down.record.repo, id),
          encode.commit(
            CommitRecord.fromPartial({
              repo: down.record.repo,
              id,
              branch: down.record.name,
              parent: this.#pendingParent.get(downId) ?? '',
              state: CommitState.STARTED,
              origin: CommitOrigin.AUTO,
              directProvenance: this.#provenanceOf(down.record, graph, newHeads),
              startedMs: now,
            }),
          ),
        );
        continue;
      }
      this.#pendingParent.set(downId, down.record.head);
      moveHead(down, down.record.repo, down.record.name);
      open(
        down.record.repo,
        down.record.name,
        CommitRecord.fromPartial({
          repo: down.record.repo,
          id,
          branch: down.record.name,
          parent: down.record.head,
          state: CommitState.STARTED,
          origin: CommitOrigin.AUTO,
          directProvenance: this.#provenanceOf(down.record, graph, newHeads),
          startedMs: now,
        }),
      );
    }
    if (!this.#setOpened.has(id)) {
      this.#setOpened.add(id);
      txn.expect(keys.commitSet(id), 0);
      txn.put(keys.commitSet(id), encode.commitSet({ id, createdMs: now }));
      txn.put(keys.commitSetTime(now, id), '');
    }
    return opened;
  }

  /** The exact input commits of a branch's next commit: each provenance branch's (new) head. */
  #provenanceOf(branch: BranchRecord | undefined, graph: BranchGraph, newHeads: Map<BranchId, string>) {
    const out: { repo: string; id: string }[] = [];
    for (const p of branch?.directProvenance ?? []) {
      const pid = branchId(p.repo, p.name);
      const head = newHeads.get(pid) ?? graph.get(pid)?.record.head ?? '';
      if (head) out.push({ repo: p.repo, id: head });
    }
    return out;
  }
}

/** True when a commit is still open for writes. */
export function isOpen(c: CommitRecord): boolean {
  return c.state === CommitState.STARTED;
}
