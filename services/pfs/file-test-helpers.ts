/**
 * Test support for the file layer's unit tests (files, file sets, GC): a small in-memory
 * CommitAccess over the storage library, an in-memory stand-in for the etcd Kv operations handles
 * use, and an object store whose lastModified comes from a test clock.
 *
 * The fake commit layer follows the CommitAccess contract (commit-access.ts) closely enough for the
 * file layer: open commits read as parent tree + staged sets; writes to a branch whose head is
 * finished make one finished commit per call; finished commits refuse writes. It is not a model of
 * the real commit layer (no provenance, no etcd).
 */
import { randomBytes } from 'node:crypto';
import { CommitRecord } from '../../proto/gen/terrain/pfs/internal/v1/records.ts';
import { CommitOrigin, CommitState } from '../../proto/gen/terrain/pfs/v1/commit.ts';
import {
  CAS_DELETE,
  CAS_KEEP,
  type CasDecision,
  type CasResult,
  type KvEntry,
} from '../platform/etcd/index.ts';
import { MemoryObjectStore } from '../platform/object-store/memory.ts';
import type {
  GetOptions,
  ListOptions,
  ObjectBody,
  ObjectInfo,
  ObjectStore,
  PutOptions,
  PutResult,
  SignalOptions,
} from '../platform/object-store/object-store.ts';
import type { CommitAccess, CommitRef } from './commit-access.ts';
import { pfsErrors } from './errors.ts';
import type { HandleKv } from './file-sets.ts';
import { EMPTY_ROOT, type FileSetStorage, type RootHash } from './storage/index.ts';

interface CommitState_ {
  record: CommitRecord;
  staged: RootHash[];
}

interface RepoState {
  branches: Map<string, string>;
  commits: Map<string, CommitState_>;
}

export class FakeCommitAccess implements CommitAccess {
  readonly storage: FileSetStorage;
  readonly repos = new Map<string, RepoState>();
  writeStagedCalls = 0;
  /** Called at the start of every writeStaged (tests use it to race or fail). */
  beforeWriteStaged: (() => Promise<void>) | undefined;
  /** Called while liveRoots is being iterated (tests use it to write during a GC mark). */
  duringLiveRoots: (() => Promise<void>) | undefined;

  constructor(storage: FileSetStorage) {
    this.storage = storage;
  }

  createRepo(name: string): void {
    if (!this.repos.has(name)) this.repos.set(name, { branches: new Map(), commits: new Map() });
  }

  #repo(name: string): RepoState {
    const repo = this.repos.get(name);
    if (!repo) throw pfsErrors.notFound(`repo "${name}" not found`, { details: { repo: name } });
    return repo;
  }

  /** Opens a commit on `branch` (parent: its head). */
  startCommit(repoName: string, branch = 'master'): CommitRecord {
    const repo = this.#repo(repoName);
    const head = repo.branches.get(branch);
    if (head && repo.commits.get(head)!.record.state !== CommitState.FINISHED) {
      throw pfsErrors.failedPrecondition(`branch ${repoName}@${branch} already has an open commit`);
    }
    const record = CommitRecord.fromPartial({
      repo: repoName,
      id: randomBytes(16).toString('hex'),
      branch,
      parent: head ?? '',
      state: CommitState.STARTED,
      origin: CommitOrigin.USER,
      startedMs: BigInt(Date.now()),
    });
    repo.commits.set(record.id, { record, staged: [] });
    repo.branches.set(branch, record.id);
    return record;
  }

  async finishCommit(repoName: string, id: string): Promise<CommitRecord> {
    const c = this.#repo(repoName).commits.get(id)!;
    const parentRoot = await this.#parentRoot(c.record);
    const { root } = await this.storage.applyStaged(parentRoot, c.staged);
    c.record = { ...c.record, state: CommitState.FINISHED, root, finishedMs: BigInt(Date.now()) };
    c.staged = [];
    return c.record;
  }

  async #parentRoot(record: CommitRecord): Promise<RootHash> {
    if (!record.parent) return EMPTY_ROOT;
    const parent = this.#repo(record.repo).commits.get(record.parent)!;
    return await this.readableRoot(parent.record);
  }

  async resolve(ref: CommitRef): Promise<CommitRecord> {
    const repo = this.#repo(ref.repo);
    let id = ref.id;
    if (!id) {
      if (!ref.branch) throw pfsErrors.invalidArgument('a commit needs an ID or a branch');
      id = repo.branches.get(ref.branch);
      if (!id) throw pfsErrors.notFound(`branch ${ref.repo}@${ref.branch} not found`);
    }
    let c = repo.commits.get(id);
    if (!c) throw pfsErrors.notFound(`commit ${ref.repo}@${id} not found`);
    for (let i = 0; i < (ref.ancestors ?? 0); i++) {
      c = c.record.parent ? repo.commits.get(c.record.parent) : undefined;
      if (!c) throw pfsErrors.notFound(`commit ${ref.repo}@${id}^${ref.ancestors} not found`);
    }
    return c.record;
  }

  async readableRoot(commit: CommitRecord): Promise<RootHash> {
    const c = this.#repo(commit.repo).commits.get(commit.id)!;
    if (c.record.state === CommitState.FINISHED) return c.record.root;
    return (await this.storage.applyStaged(await this.#parentRoot(c.record), c.staged)).root;
  }

  async checkWritable(ref: CommitRef): Promise<void> {
    const repo = this.#repo(ref.repo);
    if (ref.id) {
      const c = repo.commits.get(ref.id);
      if (!c) throw pfsErrors.notFound(`commit ${ref.repo}@${ref.id} not found`);
      if (c.record.state !== CommitState.STARTED)
        throw pfsErrors.failedPrecondition(`commit ${ref.repo}@${ref.id} is finished`);
    }
  }

  async writeStaged(ref: CommitRef, roots: readonly RootHash[]): Promise<CommitRecord> {
    this.writeStagedCalls++;
    if (this.beforeWriteStaged) await this.beforeWriteStaged();
    await this.checkWritable(ref);
    const repo = this.#repo(ref.repo);
    const id = ref.id || repo.branches.get(ref.branch ?? 'master');
    const open = id ? repo.commits.get(id) : undefined;
    if (open && open.record.state === CommitState.STARTED) {
      open.staged.push(...roots);
      return open.record;
    }
    const started = this.startCommit(ref.repo, ref.branch ?? 'master');
    repo.commits.get(started.id)!.staged.push(...roots);
    return await this.finishCommit(ref.repo, started.id);
  }

  async *liveRoots(): AsyncGenerator<RootHash> {
    if (this.duringLiveRoots) await this.duringLiveRoots();
    for (const repo of this.repos.values()) {
      for (const c of repo.commits.values()) {
        if (c.record.state === CommitState.FINISHED) yield c.record.root;
        yield* c.staged;
      }
    }
  }
}

/** The Kv operations FileSetHandles uses, in memory (one revision counter, like etcd). */
export class MemoryKv implements HandleKv {
  readonly #entries = new Map<string, KvEntry>();
  #revision = 0;

  async get(key: string): Promise<KvEntry | undefined> {
    return this.#entries.get(key);
  }

  async put(key: string, value: Uint8Array | string): Promise<number> {
    this.#set(key, value);
    return this.#revision;
  }

  #set(key: string, value: Uint8Array | string): KvEntry {
    const old = this.#entries.get(key);
    const entry: KvEntry = {
      key,
      value: typeof value === 'string' ? Buffer.from(value) : value,
      modRevision: ++this.#revision,
      createRevision: old?.createRevision ?? this.#revision,
      version: (old?.version ?? 0) + 1,
      lease: '0',
    };
    this.#entries.set(key, entry);
    return entry;
  }

  async *list(prefix: string): AsyncGenerator<KvEntry> {
    const keys = [...this.#entries.keys()].filter((k) => k.startsWith(prefix)).sort();
    for (const k of keys) {
      const e = this.#entries.get(k);
      if (e) yield e;
    }
  }

  async casUpdate(
    key: string,
    fn: (current: KvEntry | undefined) => CasDecision | Promise<CasDecision>,
  ): Promise<CasResult> {
    const current = this.#entries.get(key);
    const decision = await fn(current);
    if (decision === CAS_KEEP)
      return { entry: current, revision: this.#revision, changed: false, attempts: 1 };
    if (decision === CAS_DELETE) {
      this.#entries.delete(key);
      return { entry: undefined, revision: ++this.#revision, changed: true, attempts: 1 };
    }
    const entry = this.#set(key, decision);
    return { entry, revision: this.#revision, changed: true, attempts: 1 };
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** A controllable clock for TTLs and object ages. */
export class TestClock {
  ms: number;

  constructor(start = Date.now()) {
    this.ms = start;
  }

  now = (): number => this.ms;

  advance(ms: number): void {
    this.ms += ms;
  }
}

/**
 * A memory object store whose lastModified is the test clock's time at the put, and which counts
 * puts per key prefix.
 */
export class ClockObjectStore implements ObjectStore {
  readonly description = 'clock-memory:';
  readonly inner = new MemoryObjectStore();
  readonly clock: TestClock;
  readonly #times = new Map<string, number>();
  readonly puts = new Map<string, number>();

  constructor(clock: TestClock) {
    this.clock = clock;
  }

  putsUnder(prefix: string): number {
    return this.puts.get(prefix) ?? 0;
  }

  async put(key: string, body: ObjectBody, options?: PutOptions): Promise<PutResult> {
    const res = await this.inner.put(key, body, options);
    this.#times.set(key, this.clock.ms);
    const prefix = key.slice(0, key.indexOf('/') + 1);
    this.puts.set(prefix, (this.puts.get(prefix) ?? 0) + 1);
    return res;
  }

  get(key: string, options?: GetOptions): AsyncIterable<Uint8Array> {
    return this.inner.get(key, options);
  }

  #info(info: ObjectInfo): ObjectInfo {
    return { ...info, lastModified: new Date(this.#times.get(info.key) ?? info.lastModified.getTime()) };
  }

  async head(key: string, options?: SignalOptions): Promise<ObjectInfo> {
    return this.#info(await this.inner.head(key, options));
  }

  async delete(key: string, options?: SignalOptions): Promise<void> {
    await this.inner.delete(key, options);
    this.#times.delete(key);
  }

  async *list(prefix: string, options?: ListOptions): AsyncIterable<ObjectInfo> {
    for await (const info of this.inner.list(prefix, options)) yield this.#info(info);
  }

  /** Sets an object's lastModified (to age it). */
  touch(key: string, ms: number): void {
    this.#times.set(key, ms);
  }
}

export async function collectBytes(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of source) parts.push(p);
  return Buffer.concat(parts);
}

export async function toArray<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of source) out.push(x);
  return out;
}

export async function* opsOf<T>(...ops: T[]): AsyncGenerator<T> {
  for (const op of ops) yield op;
}

export async function keysUnder(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const info of store.list(prefix)) out.push(info.key);
  return out;
}
