/**
 * Commits: starting (with propagation along branch provenance), writing staged file sets,
 * finishing, waiting, listing, squashing and dropping commits. Implements `CommitAccess` for the
 * file layer.
 *
 * Lifecycle: STARTED → FINISHING → FINISHED. FinishCommit moves a commit to FINISHING and records a
 * `finishing/` marker in the same transaction; completing it (merging the parent's tree with the
 * staged file sets into the commit's own tree) is idempotent and is done by whoever gets there
 * first: the FinishCommit call itself, the completion of its parent, or the finisher that scans and
 * watches the markers (so a pfs killed mid-finish completes the commit after restart).
 *
 * Concurrency: every write is one etcd transaction comparing the revisions it read, retried on
 * conflict; after repeated conflicts the caller gets ABORTED. Concurrent commits to one branch form
 * a linear history: each new commit's parent is the head it replaced.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { CommitState } from '../../proto/gen/terrain/pfs/v1/commit.ts';
import { watchKey, watchPrefix, type Txn } from '../platform/etcd/index.ts';
import type { CommitAccess, CommitRef, SignalOptions } from './commit-access.ts';
import { isOpen, type CommitStore, type Versioned } from './commit-store.ts';
import { pfsErrors } from './errors.ts';
import {
  DEFAULT_BRANCH,
  branchName,
  commitId,
  isCommitId,
  newCommitId,
  repoName,
  type CommitId,
} from './names.ts';
import { UnitOfWork } from './unit-of-work.ts';
import { CommitRecord, decode, encode, keys, lastSegment, nowMs } from './records.ts';
import { EMPTY_ROOT, pageTotals, type FileSetStorage, type RootHash } from './storage/index.ts';

const MAX_TXN_ATTEMPTS = 30;
const STATE_RANK: Record<number, number> = {
  [CommitState.STARTED]: 1,
  [CommitState.FINISHING]: 2,
  [CommitState.FINISHED]: 3,
};

export interface StartCommitOptions extends SignalOptions {
  repo: string;
  branch?: string;
  /** Explicit parent commit ID in the same repo (default: the branch head). */
  parent?: string;
  description?: string;
  /** Refuse (FAILED_PRECONDITION) unless the branch head is exactly this commit ID ('' = no head). */
  expectedHead?: string;
}

export interface FinishCommitOptions extends SignalOptions {
  error?: string;
  description?: string;
  /** Finish even when an input commit is not finished yet. */
  force?: boolean;
}

export interface CommitsDeps {
  store: CommitStore;
  storage: FileSetStorage;
  logger: Logger;
}

export class Commits implements CommitAccess {
  readonly #store: CommitStore;
  readonly #storage: FileSetStorage;
  readonly #logger: Logger;
  /** Trees of open commits, keyed by their inputs (parent tree + staged roots): reads are repeatable and cheap. */
  readonly #openTrees = new Map<string, RootHash>();

  constructor(deps: CommitsDeps) {
    this.#store = deps.store;
    this.#storage = deps.storage;
    this.#logger = deps.logger;
  }

  // ---------------------------------------------------------------- resolving

  async resolve(ref: CommitRef, options: SignalOptions = {}): Promise<CommitRecord> {
    return (await this.resolveVersioned(ref, options)).record;
  }

  async resolveVersioned(ref: CommitRef, options: SignalOptions = {}): Promise<Versioned<CommitRecord>> {
    const repo = repoName(ref.repo);
    let found: Versioned<CommitRecord>;
    const id = ref.id ?? '';
    if (id && isCommitId(id)) {
      found = await this.#store.getCommit(repo, commitId(id), options);
    } else {
      // An "ID" that is not 32 hex characters is a branch name (repo@master given as a commit).
      const branch = branchName(id || ref.branch || DEFAULT_BRANCH);
      const b = await this.#store.getBranch(repo, branch, options);
      if (!b.record.head) {
        throw pfsErrors.notFound(`branch ${repo}@${branch} has no commits yet`, {
          details: { repo, branch },
        });
      }
      found = await this.#store.getCommit(repo, b.record.head, options);
    }
    for (let n = 0; n < (ref.ancestors ?? 0); n++) {
      if (!found.record.parent) {
        throw pfsErrors.notFound(
          `${repo}@${ref.id || ref.branch || DEFAULT_BRANCH}^${ref.ancestors}: the history has only ${n} ancestors`,
        );
      }
      found = await this.#store.getCommit(repo, found.record.parent, options);
    }
    return found;
  }

  async readableRoot(commit: CommitRecord, options: SignalOptions = {}): Promise<RootHash> {
    if (commit.state === CommitState.FINISHED) return commit.root || EMPTY_ROOT;
    const parentRoot = commit.parent
      ? await this.readableRoot(
          (await this.#store.getCommit(commit.repo, commit.parent, options)).record,
          options,
        )
      : EMPTY_ROOT;
    const staged: RootHash[] = [];
    for await (const s of this.#store.staged(commit.repo, commit.id, options)) staged.push(s.root);
    if (staged.length === 0) return parentRoot;
    const cacheKey = `${parentRoot}|${staged.join(',')}`;
    const cached = this.#openTrees.get(cacheKey);
    if (cached) return cached;
    const { root } = await this.#storage.applyStaged(parentRoot, staged, options);
    if (this.#openTrees.size >= 256) this.#openTrees.delete(this.#openTrees.keys().next().value!);
    this.#openTrees.set(cacheKey, root);
    return root;
  }

  // ---------------------------------------------------------------- writing

  async checkWritable(ref: CommitRef, options: SignalOptions = {}): Promise<void> {
    const repo = repoName(ref.repo);
    if (ref.id && isCommitId(ref.id)) {
      const { record } = await this.#store.getCommit(repo, ref.id, options);
      if (!isOpen(record)) throw finishedError(record);
      return;
    }
    const branch = branchName(ref.id || ref.branch || DEFAULT_BRANCH);
    await this.#store.getRepo(repo, options);
    const b = await this.#store.findBranch(repo, branch, options);
    if (b && b.record.directProvenance.length > 0) throw outputBranchError(repo, branch);
  }

  async writeStaged(
    ref: CommitRef,
    roots: readonly RootHash[],
    options: SignalOptions = {},
  ): Promise<CommitRecord> {
    const repo = repoName(ref.repo);
    let opened = false;
    const target = await this.#unit(
      `write to ${repo}@${ref.id || ref.branch || DEFAULT_BRANCH}`,
      options,
      async (uow, store) => {
        const found = await this.planAddStaged(uow, store, ref, roots, { autoStart: true }, options);
        opened = found.opened;
        return found.commit;
      },
    );
    // A commit opened just for this write is finished at once: one write, one commit.
    if (opened) return await this.finish({ repo, id: target.id }, options);
    return target;
  }

  /**
   * Plans adding staged roots to `ref` in `uow`. For a branch whose head is finished (or absent),
   * `autoStart` opens a new commit holding them (the caller finishes it after committing `uow`).
   */
  async planAddStaged(
    uow: UnitOfWork,
    store: CommitStore,
    ref: CommitRef,
    roots: readonly RootHash[],
    opts: { autoStart: boolean; id?: CommitId },
    options: SignalOptions,
  ): Promise<{ commit: CommitRecord; opened: boolean }> {
    const repo = repoName(ref.repo);
    let target: CommitRecord;
    let opened = false;
    if (ref.id && isCommitId(ref.id)) {
      const c = await store.getCommit(repo, ref.id, options);
      if (!isOpen(c.record)) throw finishedError(c.record);
      target = c.record;
    } else {
      const branch = branchName(ref.id || ref.branch || DEFAULT_BRANCH);
      await store.getRepo(repo, options);
      const b = await store.findBranch(repo, branch, options);
      if (b && b.record.directProvenance.length > 0) throw outputBranchError(repo, branch);
      const head = b?.record.head ? await store.getCommit(repo, b.record.head, options) : undefined;
      if (head && isOpen(head.record)) {
        target = head.record;
      } else if (opts.autoStart) {
        const graph = await store.loadGraph(options);
        target = store.openCommitSet(uow, graph, opts.id ?? newCommitId(), [{ repo, branch }])[0]!;
        opened = true;
      } else {
        throw pfsErrors.failedPrecondition(`branch ${repo}@${branch} has no open commit; start one first`);
      }
    }
    for (const root of roots) {
      uow.put(keys.staged(repo, target.id, stagedSeq()), encode.staged({ root, addedMs: nowMs() }));
    }
    return { commit: target, opened };
  }

  // ---------------------------------------------------------------- start / finish

  async start(req: StartCommitOptions): Promise<CommitRecord> {
    const options = { signal: req.signal };
    return await this.#unit(
      `start a commit on ${req.repo}@${req.branch || DEFAULT_BRANCH}`,
      options,
      (uow, store) => this.planStart(uow, store, req, newCommitId(), options),
    );
  }

  /** Plans opening a commit (and its downstream commits) with global ID `id` in `uow`. */
  async planStart(
    uow: UnitOfWork,
    store: CommitStore,
    req: StartCommitOptions,
    id: CommitId,
    options: SignalOptions,
  ): Promise<CommitRecord> {
    const repo = repoName(req.repo);
    const branch = branchName(req.branch || DEFAULT_BRANCH);
    await store.getRepo(repo, options);
    if (await store.findCommit(repo, id, options)) {
      throw pfsErrors.failedPrecondition(
        `commit set ${id} already has a commit in repo "${repo}"; one commit per repo`,
      );
    }
    const graph = await store.loadGraph(options);
    const existing = graph.get(`${repo}@${branch}`);
    if (existing && existing.record.directProvenance.length > 0) throw outputBranchError(repo, branch);
    if (req.expectedHead !== undefined && (existing?.record.head ?? '') !== req.expectedHead) {
      throw pfsErrors.failedPrecondition(
        `branch ${repo}@${branch} moved: its head is ${existing?.record.head || '(none)'}, not ${req.expectedHead || '(none)'}`,
      );
    }
    let parent: string | undefined;
    if (req.parent) parent = (await store.getCommit(repo, commitId(req.parent), options)).record.id;
    const opened = store.openCommitSet(uow, graph, id, [
      {
        repo,
        branch,
        ...(parent ? { parent } : {}),
        ...(req.description ? { description: req.description } : {}),
      },
    ]);
    return opened[0]!;
  }

  /**
   * Moves a commit to FINISHING and completes it when its parent is finished. Returns the commit as
   * it then is: FINISHED, or FINISHING while it waits for an open parent (the finisher completes it
   * when the parent finishes). FAILED_PRECONDITION when it is not open, or when an input commit is
   * not finished and `force` is false.
   */
  async finish(ref: CommitRef, options: FinishCommitOptions = {}): Promise<CommitRecord> {
    const { repo, id } = await this.#unit(
      `finish ${ref.repo}@${ref.id || ref.branch || DEFAULT_BRANCH}`,
      options,
      (uow, store) => this.planFinish(uow, store, ref, options),
    );
    await this.complete(repo, id, options);
    return (await this.#store.getCommit(repo, id, options)).record;
  }

  /** Plans moving a commit to FINISHING in `uow` (completion happens after the unit commits). */
  async planFinish(
    uow: UnitOfWork,
    store: CommitStore,
    ref: CommitRef,
    options: FinishCommitOptions,
  ): Promise<CommitRecord> {
    const c = await this.#resolveIn(store, ref, options);
    const { repo, id } = c;
    if (!isOpen(c)) throw finishedError(c);
    if (!options.force) {
      for (const p of c.directProvenance) {
        const input = await store.findCommit(p.repo, p.id, options);
        // An input opened or finished in the same transaction counts as finished with it.
        if (input && input.record.state === CommitState.STARTED && !uow.finishes(p.repo, p.id)) {
          throw pfsErrors.failedPrecondition(
            `cannot finish ${repo}@${id}: its input ${p.repo}@${p.id} is not finished (finish it first, or force)`,
          );
        }
      }
    }
    const record = CommitRecord.fromPartial({
      ...c,
      state: CommitState.FINISHING,
      finishingMs: nowMs(),
      error: options.error ?? '',
      description: options.description || c.description,
    });
    uow.put(keys.commit(repo, id), encode.commit(record)).put(keys.finishing(repo, id), '');
    uow.noteFinish(repo, id);
    return record;
  }

  /** Like resolve, reading through a unit of work. */
  async #resolveIn(store: CommitStore, ref: CommitRef, options: SignalOptions): Promise<CommitRecord> {
    const repo = repoName(ref.repo);
    if (ref.id && isCommitId(ref.id) && !ref.ancestors)
      return (await store.getCommit(repo, ref.id, options)).record;
    if (!ref.ancestors && !(ref.id && isCommitId(ref.id))) {
      const branch = branchName(ref.id || ref.branch || DEFAULT_BRANCH);
      const b = await store.getBranch(repo, branch, options);
      if (!b.record.head) throw pfsErrors.notFound(`branch ${repo}@${branch} has no commits yet`);
      return (await store.getCommit(repo, b.record.head, options)).record;
    }
    return await this.resolve(ref, options);
  }

  /**
   * Completes a FINISHING commit whose parent is FINISHED: merges the parent's tree with the staged
   * file sets, records the new root, and then completes any children that were waiting on it.
   * Idempotent and safe to run concurrently (the tree is content-addressed; the record is
   * compare-and-swapped). Returns true when the commit is FINISHED afterwards.
   */
  async complete(repo: string, id: string, options: SignalOptions = {}): Promise<boolean> {
    const c = await this.#store.findCommit(repo, id, options);
    if (!c) return false;
    if (c.record.state === CommitState.FINISHED) return true;
    if (c.record.state !== CommitState.FINISHING) return false;
    let parentRoot: RootHash = EMPTY_ROOT;
    if (c.record.parent) {
      const parent = await this.#store.findCommit(repo, c.record.parent, options);
      if (parent && parent.record.state !== CommitState.FINISHED) return false; // woken when the parent finishes
      parentRoot = parent?.record.root || EMPTY_ROOT;
    }
    const staged: RootHash[] = [];
    for await (const s of this.#store.staged(repo, id, options)) staged.push(s.root);
    const root =
      staged.length > 0 ? (await this.#storage.applyStaged(parentRoot, staged, options)).root : parentRoot;
    const totals = pageTotals(await this.#storage.pages.read(root, options));
    const record = CommitRecord.fromPartial({
      ...c.record,
      state: CommitState.FINISHED,
      finishedMs: nowMs(),
      root,
      sizeBytes: BigInt(totals.bytes),
      fileCount: BigInt(totals.count),
    });
    const { succeeded } = await this.#store.kv
      .txn()
      .ifModRevision(keys.commit(repo, id), c.modRevision)
      .put(keys.commit(repo, id), encode.commit(record))
      .delete(keys.finishing(repo, id))
      .deletePrefix(keys.stagedOf(repo, id))
      .commit(options);
    if (!succeeded) {
      // Someone else changed it (completed it, or dropped it): report what it is now.
      const now = await this.#store.findCommit(repo, id, options);
      return now?.record.state === CommitState.FINISHED;
    }
    this.#logger.debug({ repo, id, root, staged: staged.length }, 'commit finished');
    for await (const child of this.#store.childIds(repo, id, options)) {
      await this.complete(repo, child, options);
    }
    return true;
  }

  /**
   * Runs until `signal` aborts: completes every commit left FINISHING (by a crash, or waiting on a
   * parent) and every commit that enters FINISHING later. Nothing polls: it scans once, then follows
   * the `finishing/` markers with an etcd watch from the scan's revision.
   */
  async runFinisher(signal: AbortSignal): Promise<void> {
    const kv = this.#store.kv;
    const revision = await kv.revision({ signal });
    const attempt = async (key: string): Promise<void> => {
      const [repo, id] = key.slice('finishing/'.length).split('/') as [string, string];
      try {
        await this.complete(repo, id, { signal });
      } catch (err) {
        if (!signal.aborted)
          this.#logger.error(
            { err, repo, id },
            'cannot complete a finishing commit; will retry on the next change',
          );
      }
    };
    for await (const e of kv.list(keys.allFinishing(), { signal, keysOnly: true, revision }))
      await attempt(e.key);
    for await (const ev of watchPrefix(kv, keys.allFinishing(), {
      fromRevision: revision + 1,
      signal,
      logger: this.#logger,
    })) {
      if (ev.type === 'put') await attempt(ev.key);
    }
  }

  // ---------------------------------------------------------------- reading

  /** The commit, after waiting (with the call's signal) until it reaches `wait` when given. */
  async inspect(ref: CommitRef, options: SignalOptions & { wait?: CommitState } = {}): Promise<CommitRecord> {
    const found = await this.resolveVersioned(ref, options);
    const wanted = options.wait ? (STATE_RANK[options.wait] ?? 0) : 0;
    if ((STATE_RANK[found.record.state] ?? 0) >= wanted) return found.record;
    const { repo, id } = found.record;
    for await (const ev of watchKey(this.#store.kv, keys.commit(repo, id), {
      fromRevision: found.modRevision + 1,
      ...(options.signal ? { signal: options.signal } : {}),
    })) {
      if (ev.type === 'delete')
        throw pfsErrors.notFound(`commit ${repo}@${id} was deleted while waiting for it`);
      if (ev.type !== 'put') continue;
      const record = decode.commit({
        key: ev.key,
        value: ev.value,
        modRevision: ev.modRevision,
        createRevision: 0,
        version: 0,
        lease: '',
      });
      if ((STATE_RANK[record.state] ?? 0) >= wanted) return record;
    }
    throw pfsErrors.cancelled(`stopped waiting for ${repo}@${id}`);
  }

  /**
   * A branch's history (newest first, following parents from the head, or from `from`), or every
   * commit of a repo by start time (newest first). Streams; `limit` 0 means all.
   */
  async *list(
    req: { repo: string; branch?: string; from?: string; to?: string; limit?: number },
    options: SignalOptions = {},
  ): AsyncGenerator<CommitRecord> {
    const repo = repoName(req.repo);
    await this.#store.getRepo(repo, options);
    const limit = req.limit ?? 0;
    let count = 0;
    if (req.branch || req.from) {
      let cur: CommitRecord | undefined = req.from
        ? (await this.#store.getCommit(repo, commitId(req.from), options)).record
        : await this.#headOrUndefined(repo, branchName(req.branch!), options);
      while (cur && (limit === 0 || count < limit)) {
        if (req.to && cur.id === req.to) return;
        yield cur;
        count++;
        cur = cur.parent ? (await this.#store.findCommit(repo, cur.parent, options))?.record : undefined;
      }
      return;
    }
    for await (const e of this.#store.kv.list(keys.commitTimesOf(repo), { ...options, keysOnly: true })) {
      if (limit > 0 && count >= limit) return;
      const c = await this.#store.findCommit(repo, lastSegment(e.key), options);
      if (c) {
        yield c.record;
        count++;
      }
    }
  }

  async #headOrUndefined(
    repo: string,
    branch: string,
    options: SignalOptions,
  ): Promise<CommitRecord | undefined> {
    const b = await this.#store.getBranch(repo, branch, options);
    return b.record.head ? (await this.#store.getCommit(repo, b.record.head, options)).record : undefined;
  }

  /**
   * Streams commits of a branch as they reach `state` (default FINISHED): first those after `from`
   * (oldest first), or the current head when no `from` is given, then every later one. Never ends by
   * itself; ends with the signal.
   */
  async *subscribe(
    req: { repo: string; branch?: string; from?: string; state?: CommitState },
    options: SignalOptions = {},
  ): AsyncGenerator<CommitRecord> {
    const repo = repoName(req.repo);
    const branch = branchName(req.branch || DEFAULT_BRANCH);
    const wanted = STATE_RANK[req.state || CommitState.FINISHED] ?? 3;
    const revision = await this.#store.kv.revision(options);
    const seen = new Set<string>();
    const b = await this.#store.getBranch(repo, branch, options);
    // Existing commits newer than `from`, oldest first (the walk is bounded by how far `from` lags).
    const backlog: CommitRecord[] = [];
    let cur = b.record.head
      ? (await this.#store.findCommit(repo, b.record.head, options))?.record
      : undefined;
    while (cur && cur.id !== req.from) {
      backlog.push(cur);
      if (!req.from) break;
      cur = cur.parent ? (await this.#store.findCommit(repo, cur.parent, options))?.record : undefined;
    }
    for (const c of backlog.reverse()) {
      if ((STATE_RANK[c.state] ?? 0) >= wanted) {
        seen.add(c.id);
        yield c;
      }
    }
    for await (const ev of watchPrefix(this.#store.kv, keys.commitsOf(repo), {
      fromRevision: revision + 1,
      ...(options.signal ? { signal: options.signal } : {}),
      logger: this.#logger,
    })) {
      if (ev.type !== 'put') continue;
      const c = decode.commit({
        key: ev.key,
        value: ev.value,
        modRevision: ev.modRevision,
        createRevision: 0,
        version: 0,
        lease: '',
      });
      if (c.branch !== branch || seen.has(c.id) || (STATE_RANK[c.state] ?? 0) < wanted) continue;
      seen.add(c.id);
      if (seen.size > 10_000) seen.delete(seen.values().next().value!);
      yield c;
    }
  }

  async *liveRoots(options: SignalOptions = {}): AsyncGenerator<RootHash> {
    for await (const e of this.#store.kv.list(keys.allCommits(), options)) {
      const c = decode.commit(e);
      if (c.root) yield c.root;
    }
    for await (const e of this.#store.kv.list(keys.allStaged(), options)) yield decode.staged(e).root;
  }

  // ---------------------------------------------------------------- squash / drop

  /**
   * Deletes a commit that has no children (and, with `recursive`, every commit of its commit set);
   * branch heads on it move back to its parent. Its staged and committed data is no longer visible
   * from it — and nothing visible at any other commit changes.
   */
  async drop(ref: CommitRef, options: SignalOptions & { recursive?: boolean } = {}): Promise<CommitRecord[]> {
    return await this.#removeSet(ref, 'drop', options);
  }

  /**
   * Folds a finished commit into its (finished) children: they take its parent as theirs. Their
   * trees already contain its changes, so no data visible at a later commit is lost.
   */
  async squash(
    ref: CommitRef,
    options: SignalOptions & { recursive?: boolean } = {},
  ): Promise<CommitRecord[]> {
    return await this.#removeSet(ref, 'squash', options);
  }

  async #removeSet(
    ref: CommitRef,
    mode: 'drop' | 'squash',
    options: SignalOptions & { recursive?: boolean },
  ): Promise<CommitRecord[]> {
    const target = await this.resolve(ref, options);
    const id = target.id;
    return await this.#retry(`${mode} ${target.repo}@${id}`, options, async () => {
      const memberRepos: string[] = [];
      for await (const e of this.#store.kv.list(keys.commitSetMembers(id), { ...options, keysOnly: true })) {
        memberRepos.push(lastSegment(e.key));
      }
      if (!options.recursive && memberRepos.some((r) => r !== target.repo)) {
        const others = memberRepos.filter((r) => r !== target.repo).join(', ');
        throw pfsErrors.failedPrecondition(
          `commit set ${id} also has commits in ${others}; ${mode} them together with recursive (--recursive)`,
        );
      }
      const members = new Set(memberRepos.map((r) => `${r}@${id}`));
      const txn = this.#store.kv.txn();
      const removed: CommitRecord[] = [];
      for (const repo of memberRepos) {
        const c = await this.#store.getCommit(repo, id, options);
        txn.ifModRevision(keys.commit(repo, id), c.modRevision);
        const children: string[] = [];
        for await (const child of this.#store.childIds(repo, id, options)) children.push(child);
        if (mode === 'drop' && children.length > 0) {
          throw pfsErrors.failedPrecondition(
            `cannot drop ${repo}@${id}: it has children (${children.map((ch) => `${repo}@${ch}`).join(', ')}); squash it instead`,
          );
        }
        if (mode === 'squash') {
          if (children.length === 0) {
            throw pfsErrors.failedPrecondition(
              `cannot squash ${repo}@${id}: it has no children; drop it instead`,
            );
          }
          if (c.record.state !== CommitState.FINISHED) {
            throw pfsErrors.failedPrecondition(`cannot squash ${repo}@${id}: it is not finished`);
          }
        }
        for await (const e of this.#store.kv.list(keys.provenantsOf(repo, id), {
          ...options,
          keysOnly: true,
        })) {
          const [downRepo, downId] = e.key.slice(keys.provenantsOf(repo, id).length).split('/') as [
            string,
            string,
          ];
          if (!members.has(`${downRepo}@${downId}`)) {
            throw pfsErrors.failedPrecondition(
              `cannot ${mode} ${repo}@${id}: ${downRepo}@${downId} was computed from it; ${mode} that first`,
            );
          }
        }
        await this.#unlinkCommit(txn, c.record, children, mode, options);
        removed.push(c.record);
      }
      const set = await this.#store.findCommitSet(id, options);
      if (set) {
        txn.delete(keys.commitSet(id)).delete(keys.commitSetTime(set.record.createdMs, id));
      }
      return { txn, result: removed };
    });
  }

  async #unlinkCommit(
    txn: Txn,
    c: CommitRecord,
    children: string[],
    mode: 'drop' | 'squash',
    options: SignalOptions,
  ): Promise<void> {
    const { repo, id } = c;
    for await (const b of this.#store.listBranches(repo, options)) {
      if (b.record.head !== id) continue;
      if (mode === 'squash') {
        throw pfsErrors.failedPrecondition(
          `cannot squash ${repo}@${id}: it is the head of branch ${repo}@${b.record.name}`,
        );
      }
      txn.ifModRevision(keys.branch(repo, b.record.name), b.modRevision);
      txn.put(keys.branch(repo, b.record.name), encode.branch({ ...b.record, head: c.parent }));
    }
    for (const childId of children) {
      const child = await this.#store.getCommit(repo, childId, options);
      if (child.record.state !== CommitState.FINISHED) {
        throw pfsErrors.failedPrecondition(
          `cannot squash ${repo}@${id}: its child ${repo}@${childId} is not finished yet (finish it first)`,
        );
      }
      txn.ifModRevision(keys.commit(repo, childId), child.modRevision);
      txn.put(keys.commit(repo, childId), encode.commit({ ...child.record, parent: c.parent }));
      txn.delete(keys.child(repo, id, childId));
      if (c.parent) txn.put(keys.child(repo, c.parent, childId), '');
    }
    if (c.parent) txn.delete(keys.child(repo, c.parent, id));
    for (const p of c.directProvenance) txn.delete(keys.provenant(p.repo, p.id, repo, id));
    txn
      .delete(keys.commit(repo, id))
      .delete(keys.commitTime(repo, c.startedMs, id))
      .delete(keys.commitSetMember(id, repo))
      .delete(keys.finishing(repo, id))
      .deletePrefix(keys.stagedOf(repo, id))
      .deletePrefix(keys.provenantsOf(repo, id));
  }

  // ---------------------------------------------------------------- helpers

  /** Runs `build` in a fresh unit of work and commits it, rebuilding from fresh reads on conflict. */
  async #unit<T>(
    what: string,
    options: SignalOptions,
    build: (uow: UnitOfWork, store: CommitStore) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; attempt <= MAX_TXN_ATTEMPTS; attempt++) {
      options.signal?.throwIfAborted();
      const uow = new UnitOfWork(this.#store.kv);
      const result = await build(uow, this.#store.in(uow));
      if (await uow.commit(options)) return result;
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(100, 5 * attempt)));
    }
    throw pfsErrors.aborted(
      `${what}: kept conflicting with concurrent writers after ${MAX_TXN_ATTEMPTS} attempts; retry`,
    );
  }

  /** Builds and commits a transaction, rebuilding it from fresh reads whenever a compare fails. */
  async #retry<T>(
    what: string,
    options: SignalOptions,
    build: () => Promise<{ txn: Txn; result: T }>,
  ): Promise<T> {
    for (let attempt = 1; attempt <= MAX_TXN_ATTEMPTS; attempt++) {
      options.signal?.throwIfAborted();
      const { txn, result } = await build();
      const { succeeded } = await txn.commit(options);
      if (succeeded) return result;
      // Back off a little, at random, so racing writers spread out.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(100, 5 * attempt)));
    }
    throw pfsErrors.aborted(
      `${what}: kept conflicting with concurrent writers after ${MAX_TXN_ATTEMPTS} attempts; retry`,
    );
  }
}

function finishedError(c: CommitRecord): Error {
  const state = c.state === CommitState.FINISHING ? 'finishing' : 'finished';
  return pfsErrors.failedPrecondition(
    `commit ${c.repo}@${c.id} is ${state} and can no longer be written; start a new commit`,
    { details: { repo: c.repo, commit: c.id } },
  );
}

function outputBranchError(repo: string, branch: string): Error {
  return pfsErrors.failedPrecondition(
    `branch ${repo}@${branch} has provenance (it is computed from other branches); write to its inputs instead`,
  );
}

/** Orders staged file sets by time of addition; the random part keeps concurrent writers' keys distinct. */
function stagedSeq(): string {
  return `${Date.now().toString().padStart(15, '0')}-${randomBytes(4).toString('hex')}`;
}
