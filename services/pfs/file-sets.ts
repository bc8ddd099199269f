/**
 * File-set handles: named, expiring references to staged file sets, so the data plane (workers, the
 * S3 gateway) can write without pushing bytes through pfs and hand pfs only a small ID.
 *
 *   const handles = new FileSetHandles({ kv: pfsKv.child('filesets/') });
 *   const fileSets = new FileSets({ handles, files, commits, storage });
 *   const h = await fileSets.create(ops);                       // CreateFileSet
 *   await fileSets.renew(h.id, { ttlMs: 30 * 60_000 });          // while still busy
 *   await fileSets.add({ repo: 'out', id: commitId }, h.id);     // AddFileSet to an open commit
 *
 * A handle is a `FileSetRecord` (id, layers, expiry) under `filesets/<id>` in etcd; its layers are
 * staged file-set roots in the object store, applied in order. A handle whose expiry has passed is
 * treated as missing by every operation (NOT_FOUND: start over, its objects may be collected). The
 * record itself is removed later by the garbage collector, once it has been expired for longer than
 * the GC grace period — not at the first read after expiry — so an AddFileSet that checked the
 * handle just before it expired still finds its objects in place (see docs/design/pfs-gc.md).
 *
 * TTLs: default 10 minutes, at most 24 hours (INVALID_ARGUMENT above, or when negative).
 *
 * Concurrency: creation uses a fresh random ID; renewal is a compare-and-swap on the record, so a
 * renewal racing the collector's deletion either extends a live handle or finds it gone (NOT_FOUND).
 * Any number of calls may run at once.
 */
import { randomBytes } from 'node:crypto';
import { FileSetRecord } from '../../proto/gen/terrain/pfs/internal/v1/records.ts';
import { CommitState } from '../../proto/gen/terrain/pfs/v1/commit.ts';
import { isErrorCode } from '../platform/errors.ts';
import { CAS_DELETE, CAS_KEEP, type Kv, type KvEntry } from '../platform/etcd/index.ts';
import type { CommitAccess, CommitRecord, CommitRef } from './commit-access.ts';
import { pfsErrors } from './errors.ts';
import type { FileSetLayers, Files, ModifyOp } from './files.ts';
import {
  EMPTY_ROOT,
  INDEX_PREFIX,
  isSha256Hex,
  type FileSetStorage,
  type RootHash,
} from './storage/index.ts';

export const DEFAULT_FILE_SET_TTL_MS = 10 * 60 * 1000;
export const MAX_FILE_SET_TTL_MS = 24 * 60 * 60 * 1000;
/** Most layers one handle may hold (the record stays well under etcd's limits). */
export const MAX_FILE_SET_LAYERS = 1000;
/** AddFileSet passes at most this many layers to the commit; more are composed into one first. */
export const MAX_LAYERS_PER_ADD = 8;

/** The etcd operations handles need: the `filesets/` child of pfs's Kv, or a fake in unit tests. */
export type HandleKv = Pick<Kv, 'get' | 'put' | 'list' | 'casUpdate'>;

export interface FileSetHandle {
  id: string;
  /** Staged file-set roots, applied in order. */
  layers: RootHash[];
  expires: Date;
}

export interface TtlOptions {
  signal?: AbortSignal;
  /** Lifetime from now; undefined or 0: the default. */
  ttlMs?: number;
}

export interface FileSetHandlesOptions {
  /** Keys are handle IDs: pass `pfsKv.child('filesets/')`. */
  kv: HandleKv;
  now?: () => number;
  defaultTtlMs?: number;
  maxTtlMs?: number;
}

const HANDLE_ID = /^[0-9a-f]{32}$/;

/** Handle records in etcd: create, look up, renew, enumerate for GC, remove long-expired ones. */
export class FileSetHandles implements FileSetLayers {
  readonly #kv: HandleKv;
  readonly #now: () => number;
  readonly defaultTtlMs: number;
  readonly maxTtlMs: number;

  constructor(options: FileSetHandlesOptions) {
    this.#kv = options.kv;
    this.#now = options.now ?? Date.now;
    this.defaultTtlMs = options.defaultTtlMs ?? DEFAULT_FILE_SET_TTL_MS;
    this.maxTtlMs = options.maxTtlMs ?? MAX_FILE_SET_TTL_MS;
  }

  /** The TTL to use for a request. @throws INVALID_ARGUMENT when negative or above the maximum. */
  ttl(ttlMs: number | undefined): number {
    if (ttlMs === undefined || ttlMs === 0) return this.defaultTtlMs;
    if (!Number.isFinite(ttlMs) || ttlMs < 0)
      throw pfsErrors.invalidArgument(`invalid file-set TTL ${ttlMs} ms: must be positive`);
    if (ttlMs > this.maxTtlMs) {
      throw pfsErrors.invalidArgument(
        `file-set TTL ${formatMs(ttlMs)} is above the maximum of ${formatMs(this.maxTtlMs)}: renew the handle periodically instead`,
        {
          details: { ttl_ms: String(ttlMs) },
        },
      );
    }
    return ttlMs;
  }

  /** A new handle over `layers`. @throws INVALID_ARGUMENT for too many layers or a bad TTL. */
  async create(layers: readonly RootHash[], options: TtlOptions = {}): Promise<FileSetHandle> {
    if (layers.length > MAX_FILE_SET_LAYERS) {
      throw pfsErrors.invalidArgument(
        `a file set may have at most ${MAX_FILE_SET_LAYERS} layers (got ${layers.length}); compose them first`,
      );
    }
    const ttl = this.ttl(options.ttlMs);
    const handle: FileSetHandle = {
      id: randomBytes(16).toString('hex'),
      layers: layers.slice(),
      expires: new Date(this.#now() + ttl),
    };
    await this.#kv.put(handle.id, encodeHandle(handle), { signal: options.signal });
    return handle;
  }

  /** A live handle. @throws INVALID_ARGUMENT for a malformed ID; NOT_FOUND when expired or unknown. */
  async get(id: string, options: { signal?: AbortSignal } = {}): Promise<FileSetHandle> {
    checkHandleId(id);
    const entry = await this.#kv.get(id, { signal: options.signal });
    const handle = entry ? decodeHandle(entry) : undefined;
    if (!handle || handle.expires.getTime() <= this.#now()) throw handleNotFound(id);
    return handle;
  }

  async layers(id: string, options: { signal?: AbortSignal } = {}): Promise<readonly RootHash[]> {
    return (await this.get(id, options)).layers;
  }

  /** Extends a live handle to now + TTL. @throws NOT_FOUND when it already expired. */
  async renew(id: string, options: TtlOptions = {}): Promise<FileSetHandle> {
    checkHandleId(id);
    const ttl = this.ttl(options.ttlMs);
    let renewed: FileSetHandle | undefined;
    await this.#kv.casUpdate(
      id,
      (current) => {
        const handle = current ? decodeHandle(current) : undefined;
        const now = this.#now();
        if (!handle || handle.expires.getTime() <= now) throw handleNotFound(id);
        renewed = { ...handle, expires: new Date(now + ttl) };
        return encodeHandle(renewed);
      },
      { signal: options.signal },
    );
    return renewed!;
  }

  /**
   * Every handle whose expiry is later than now − `graceMs` (for the GC mark: a handle that expired
   * less than a grace period ago still protects its objects). Streamed from etcd page by page.
   */
  async *live(options: { graceMs?: number; signal?: AbortSignal } = {}): AsyncGenerator<FileSetHandle> {
    const cutoff = this.#now() - (options.graceMs ?? 0);
    for await (const entry of this.#kv.list('', { signal: options.signal })) {
      const handle = decodeHandle(entry);
      if (handle.expires.getTime() > cutoff) yield handle;
    }
  }

  /** Deletes the records of handles expired for longer than `graceMs`; returns how many. */
  async deleteExpired(options: { graceMs: number; signal?: AbortSignal }): Promise<number> {
    let deleted = 0;
    const expiredBefore = (): number => this.#now() - options.graceMs;
    for await (const entry of this.#kv.list('', { signal: options.signal, keysOnly: false })) {
      if (decodeHandle(entry).expires.getTime() > expiredBefore()) continue;
      const res = await this.#kv.casUpdate(
        entry.key,
        (current) => {
          if (!current) return CAS_KEEP;
          return decodeHandle(current).expires.getTime() <= expiredBefore() ? CAS_DELETE : CAS_KEEP;
        },
        { signal: options.signal },
      );
      if (res.changed) deleted++;
    }
    return deleted;
  }
}

export interface FileSetsOptions {
  handles: FileSetHandles;
  files: Files;
  commits: CommitAccess;
  storage: FileSetStorage;
}

/** The file-set operations of the pfs API (CreateFileSet … ComposeFileSet). */
export class FileSets {
  readonly #handles: FileSetHandles;
  readonly #files: Files;
  readonly #commits: CommitAccess;
  readonly #storage: FileSetStorage;

  constructor(options: FileSetsOptions) {
    this.#handles = options.handles;
    this.#files = options.files;
    this.#commits = options.commits;
    this.#storage = options.storage;
  }

  get handles(): FileSetHandles {
    return this.#handles;
  }

  /**
   * Writes the operations into a new file set and returns its handle; nothing exists until the
   * stream has ended cleanly. Errors as Files.writeFileSet.
   */
  async create(ops: AsyncIterable<ModifyOp>, options: TtlOptions = {}): Promise<FileSetHandle> {
    const ttlMs = this.#handles.ttl(options.ttlMs);
    const { root } = await this.#files.writeFileSet(ops, { signal: options.signal });
    options.signal?.throwIfAborted();
    return await this.#handles.create([root], { ttlMs, signal: options.signal });
  }

  /**
   * A handle for file-set roots written directly to the object store.
   * @throws INVALID_ARGUMENT for a malformed layer; NOT_FOUND naming a layer that is not in the
   *   store; DATA_LOSS when its root page does not parse or does not match its hash.
   */
  async register(layers: readonly string[], options: TtlOptions = {}): Promise<FileSetHandle> {
    const ttlMs = this.#handles.ttl(options.ttlMs);
    if (layers.length > MAX_FILE_SET_LAYERS) {
      throw pfsErrors.invalidArgument(
        `a file set may have at most ${MAX_FILE_SET_LAYERS} layers (got ${layers.length}); compose them first`,
      );
    }
    const roots = layers.map(parseLayer);
    for (const root of roots) {
      if (root === EMPTY_ROOT) continue;
      try {
        await this.#storage.store.head(layerKey(root), { signal: options.signal });
      } catch (err) {
        if (isErrorCode(err, 'not_found')) {
          throw pfsErrors.notFound(
            `file-set layer "${layerKey(root)}" is not in the object store (${this.#storage.store.description}): write its pages before registering it`,
            {
              cause: err,
              details: { layer: layerKey(root) },
            },
          );
        }
        throw err;
      }
      await this.#storage.pages.read(root, { signal: options.signal });
    }
    return await this.#handles.create(roots, { ttlMs, signal: options.signal });
  }

  /** @see FileSetHandles.renew */
  async renew(id: string, options: TtlOptions = {}): Promise<FileSetHandle> {
    return await this.#handles.renew(id, options);
  }

  /**
   * A handle on the current content of a commit (a finished commit's tree, or an open commit's
   * tree with its staged writes applied). @throws NOT_FOUND when the commit does not resolve.
   */
  async getForCommit(
    ref: CommitRef,
    options: TtlOptions = {},
  ): Promise<{ handle: FileSetHandle; commit: CommitRecord }> {
    const ttlMs = this.#handles.ttl(options.ttlMs);
    const { resolved, root } = await this.#files.readableRoot(
      { kind: 'commit', ref },
      { signal: options.signal },
    );
    const handle = await this.#handles.create([root], { ttlMs, signal: options.signal });
    return { handle, commit: (resolved as { kind: 'commit'; commit: CommitRecord }).commit };
  }

  /**
   * One handle holding several file sets, later ones overriding earlier ones, folded into a single
   * layer (so adding it to a commit is one staged set).
   * @throws INVALID_ARGUMENT when `ids` is empty; NOT_FOUND naming an expired handle.
   */
  async compose(ids: readonly string[], options: TtlOptions = {}): Promise<FileSetHandle> {
    if (ids.length === 0) throw pfsErrors.invalidArgument('ComposeFileSet needs at least one file-set ID');
    const ttlMs = this.#handles.ttl(options.ttlMs);
    const layers: RootHash[] = [];
    for (const id of ids) layers.push(...(await this.#handles.layers(id, { signal: options.signal })));
    const root = await this.#storage.compose(layers, { signal: options.signal });
    return await this.#handles.create([root], { ttlMs, signal: options.signal });
  }

  /**
   * Applies a handle's file set to an open commit (only references move). The handle stays valid.
   * @throws NOT_FOUND for a commit that does not resolve or an expired handle; FAILED_PRECONDITION
   *   naming the commit when it is not open.
   */
  async add(ref: CommitRef, id: string, options: { signal?: AbortSignal } = {}): Promise<CommitRecord> {
    const { signal } = options;
    const handle = await this.#handles.get(id, { signal });
    const commit = await this.#commits.resolve(ref, { signal });
    if (commit.state !== CommitState.STARTED) {
      throw pfsErrors.failedPrecondition(
        `commit ${commit.repo}@${commit.id} is not open (it is ${stateName(commit.state)}): add file sets to a started commit`,
        {
          details: { commit: `${commit.repo}@${commit.id}` },
        },
      );
    }
    let layers: readonly RootHash[] = handle.layers;
    if (layers.length === 0) return commit;
    if (layers.length > MAX_LAYERS_PER_ADD) layers = [await this.#storage.compose(layers, { signal })];
    return await this.#commits.writeStaged(
      { repo: commit.repo, id: commit.id, branch: commit.branch },
      layers,
      { signal },
    );
  }
}

/** The object-store key of a layer root (`index/<sha256>`), as FileSetInfo.layers carries it. */
export function layerKey(root: RootHash): string {
  return INDEX_PREFIX + root;
}

/** A layer as clients send it: `index/<sha256>` (or the bare hash). @throws INVALID_ARGUMENT. */
export function parseLayer(layer: string): RootHash {
  const hash = layer.startsWith(INDEX_PREFIX) ? layer.slice(INDEX_PREFIX.length) : layer;
  if (!isSha256Hex(hash)) {
    throw pfsErrors.invalidArgument(
      `invalid file-set layer ${JSON.stringify(layer)}: expected "index/" followed by 64 lower-case hex characters`,
      {
        details: { layer },
      },
    );
  }
  return hash;
}

function checkHandleId(id: string): void {
  if (!HANDLE_ID.test(id)) {
    throw pfsErrors.invalidArgument(
      `invalid file-set ID ${JSON.stringify(id)}: expected 32 lower-case hex characters as returned by CreateFileSet`,
      {
        details: { file_set_id: id },
      },
    );
  }
}

function handleNotFound(id: string): Error {
  return pfsErrors.notFound(
    `file set ${id} not found or expired: its objects may already be collected, so write it again (and renew handles while busy)`,
    {
      details: { file_set_id: id },
    },
  );
}

// FileSetRecord is (de)serialized here rather than in records.ts because only handles use it.
function encodeHandle(h: FileSetHandle): Uint8Array {
  return FileSetRecord.encode({
    id: h.id,
    layers: h.layers,
    expiresMs: BigInt(h.expires.getTime()),
  }).finish();
}

function decodeHandle(entry: KvEntry): FileSetHandle {
  let rec: FileSetRecord;
  try {
    rec = FileSetRecord.decode(entry.value);
  } catch (err) {
    throw pfsErrors.dataLoss(
      `file-set record at "${entry.key}" cannot be decoded: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return { id: rec.id || entry.key, layers: rec.layers, expires: new Date(Number(rec.expiresMs)) };
}

function stateName(state: number): string {
  const name = Object.entries(CommitState).find(([, v]) => v === state)?.[0];
  return name ? name : `state ${state}`;
}

function formatMs(ms: number): string {
  return ms % 3_600_000 === 0
    ? `${ms / 3_600_000} h`
    : ms % 60_000 === 0
      ? `${ms / 60_000} min`
      : `${ms / 1000} s`;
}
