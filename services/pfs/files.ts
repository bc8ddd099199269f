/**
 * Files: pfs's file operations — write (ModifyFile / CreateFileSet), read, inspect, list, walk,
 * glob and diff — over the commit layer (`CommitAccess`) and the data plane (`FileSetStorage`).
 *
 *   const files = new Files({ commits, storage, handles });
 *   const { commit } = await files.modifyFile({ repo: 'images', branch: 'master' }, ops, { signal });
 *   for await (const bytes of files.getFile({ source: { kind: 'commit', ref }, path: '/a.png' })) …
 *   for await (const info of files.listFile({ source, path: '/dir/' }, { pageSize: 100 })) …
 *
 * Writes. Every operation of one ModifyFile stream goes into one staged file set (the storage
 * writer); only when the stream has ended cleanly is that set handed to the commit layer, in one
 * `writeStaged` call. So a stream that fails or is cancelled midway leaves nothing visible (its
 * uploaded chunks are garbage for the collector), and a refused operation (a bad path) changes
 * nothing. Copies move references, never bytes.
 *
 * Reads. A source is a commit (its readable tree: a finished commit's root, or an open commit's
 * parent tree with its staged sets applied) or a file-set handle (its layers applied to the empty
 * tree). Every listing streams page by page; memory does not grow with the number of files.
 *
 * Errors: INVALID_ARGUMENT for a malformed path, range, datum or metadata (naming the value);
 * NOT_FOUND naming `repo@commit:/path` (or the handle); FAILED_PRECONDITION from the commit layer for
 * a finished commit, and for `if_not_exists` on an existing path; DATA_LOSS from storage for a
 * missing or corrupt chunk or page (never wrong bytes).
 *
 * Concurrency: a `Files` is safe to use from any number of concurrent calls; each ModifyFile has its
 * own writer. Two concurrent ModifyFile streams on one open commit both land (in the order their
 * `writeStaged` calls commit); on a branch each makes its own commit.
 */
import { CommitState } from '../../proto/gen/terrain/pfs/v1/commit.ts';
import { isErrorCode } from '../platform/errors.ts';
import { compileGlob, type GlobMatcher } from '../platform/glob.ts';
import type { CommitAccess, CommitRecord, CommitRef } from './commit-access.ts';
import { pfsErrors } from './errors.ts';
import {
  EMPTY_ROOT,
  comparePaths,
  prefixEnd,
  validatePath,
  type FileSetReader,
  type FileSetStorage,
  type IndexEntry,
  type RootHash,
} from './storage/index.ts';

/** Where a read (or a copy's source) looks: a commit, or a file-set handle. */
export type FileSource = { kind: 'commit'; ref: CommitRef } | { kind: 'fileSet'; id: string };

/** A path in a source. Directory paths may end with '/'. */
export interface FileRef {
  source: FileSource;
  path: string;
}

/** A source after resolution: the exact commit read, or the handle. */
export type ResolvedSource = { kind: 'commit'; commit: CommitRecord } | { kind: 'fileSet'; id: string };

/** One file or directory. */
export interface FileInfo {
  source: ResolvedSource;
  /** Absolute; directories end with '/'. */
  path: string;
  type: 'file' | 'dir';
  /** A file's size; a directory's total size of the files beneath it. */
  sizeBytes: number;
  /** SHA-256 of the file's bytes (hex); '' for directories. */
  hash: string;
  /**
   * The time of the commit read (finished, else finishing, else started): pfs does not record which
   * commit last wrote each file. Undefined for handles.
   */
  committed: Date | undefined;
  datum: string;
  metadata: Record<string, string>;
}

export interface PutOp {
  op: 'put';
  path: string;
  data: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array;
  append?: boolean;
  datum?: string;
  metadata?: Record<string, string>;
  /** Fail the whole stream (FAILED_PRECONDITION, nothing applied) when `path` exists in the target. */
  ifNotExists?: boolean;
}

export interface DeleteOp {
  op: 'delete';
  /** A file or directory; '/' deletes everything. */
  path: string;
  /** Only files tagged with this datum (in the target's tree as the stream starts). */
  datum?: string;
}

export interface CopyOp {
  op: 'copy';
  src: FileRef;
  dst: string;
  append?: boolean;
  datum?: string;
}

export type ModifyOp = PutOp | DeleteOp | CopyOp;

export interface WriteSummary {
  /** Root of the staged file set holding the operations. */
  root: RootHash;
  filesWritten: number;
  bytesWritten: number;
}

export interface ModifyResult {
  commit: CommitRecord;
  filesWritten: number;
  bytesWritten: number;
}

export type FileChangeKind = 'added' | 'changed' | 'deleted';

export interface FileDiff {
  change: FileChangeKind;
  newFile: FileInfo | undefined;
  oldFile: FileInfo | undefined;
}

export interface SignalOptions {
  signal?: AbortSignal;
}

export interface PageOptions extends SignalOptions {
  /** At most this many entries; 0 or undefined: no limit. */
  pageSize?: number;
  /** Continue after this path (a previous page's last `path`). */
  pageToken?: string;
}

/** The layers of live file-set handles, for reads through a handle. Implemented by FileSetHandles. */
export interface FileSetLayers {
  /** The handle's layers, in order. @throws NOT_FOUND when it expired or never existed. */
  layers(id: string, options?: SignalOptions): Promise<readonly RootHash[]>;
}

export interface FilesOptions {
  commits: CommitAccess;
  storage: FileSetStorage;
  handles: FileSetLayers;
  /**
   * How long the tree of a multi-layer handle, once applied, is reused by reads. Its pages are not
   * referenced by any root, so this must stay well below the GC grace period. Default 5 minutes.
   */
  handleTreeCacheMs?: number;
  now?: () => number;
}

/** Most `if_not_exists` puts in one stream (their paths are held until the stream ends). */
export const MAX_IF_NOT_EXISTS = 10_000;
/** Total bytes of one file's metadata keys and values. */
export const MAX_METADATA_BYTES = 8 * 1024;
export const MAX_DATUM_BYTES = 256;

const HANDLE_TREE_CACHE_ENTRIES = 256;

interface Opened {
  resolved: ResolvedSource;
  root: RootHash;
  /** `repo@id` or `file set <id>`, for messages. */
  label: string;
  committed: Date | undefined;
}

export class Files {
  readonly #commits: CommitAccess;
  readonly #storage: FileSetStorage;
  readonly #handles: FileSetLayers;
  readonly #handleTreeCacheMs: number;
  readonly #now: () => number;
  readonly #handleTrees = new Map<string, { root: RootHash; at: number }>();

  constructor(options: FilesOptions) {
    this.#commits = options.commits;
    this.#storage = options.storage;
    this.#handles = options.handles;
    this.#handleTreeCacheMs = options.handleTreeCacheMs ?? 5 * 60 * 1000;
    this.#now = options.now ?? Date.now;
  }

  // ---------------------------------------------------------------------------------------------
  // Writes

  /**
   * Applies a stream of operations to `target` atomically: all of them become visible together
   * (one `writeStaged`) or none does. `target` is an open commit, or a branch (the commit layer then
   * makes one commit holding exactly this stream).
   *
   * @throws FAILED_PRECONDITION (before any byte moves) when the target is finished or an output
   *   branch; FAILED_PRECONDITION naming the path when an `ifNotExists` put finds it existing;
   *   INVALID_ARGUMENT for a bad path/datum/metadata; NOT_FOUND for a missing target or copy source;
   *   the abort reason when `signal` aborts; whatever the op iterable throws. In every case nothing
   *   is applied.
   *
   * Race (documented): `ifNotExists` and datum-filtered deletes look at the target's readable tree,
   * just before `writeStaged` and as the stream starts respectively; a concurrent writer that adds
   * the path in between is not detected (the commit layer has no conditional write yet).
   */
  async modifyFile(
    target: CommitRef,
    ops: AsyncIterable<ModifyOp>,
    options: SignalOptions = {},
  ): Promise<ModifyResult> {
    const signal = options.signal;
    await this.#commits.checkWritable(target, { signal });
    let base: Promise<FileSetReader> | undefined;
    const baseReader = async (): Promise<FileSetReader> => {
      base ??= this.#targetTree(target, signal);
      return await base;
    };
    const absent: string[] = [];
    const summary = await this.#write(ops, { signal, baseReader, absent, what: 'ModifyFile' });
    signal?.throwIfAborted();
    if (absent.length > 0) {
      // Re-read the target just before writing: the closest we can get without a conditional write.
      const reader = await this.#targetTree(target, signal);
      for (const path of absent) {
        const e = await reader.get(path, { signal });
        if (e && e.op === 'put') {
          throw pfsErrors.failedPrecondition(
            `file ${describeRef(target)}:${path} already exists and the put asked for if_not_exists; nothing from this stream was applied`,
            { details: { path } },
          );
        }
      }
    }
    signal?.throwIfAborted();
    const commit = await this.#commits.writeStaged(target, [summary.root], { signal });
    return { commit, filesWritten: summary.filesWritten, bytesWritten: summary.bytesWritten };
  }

  /**
   * Writes a stream of operations into a new staged file set (for CreateFileSet) and returns its
   * root; deletes are recorded and apply when the set is added to a commit. `ifNotExists` and
   * datum-filtered deletes need a commit and are INVALID_ARGUMENT here. Nothing is written to etcd.
   */
  async writeFileSet(ops: AsyncIterable<ModifyOp>, options: SignalOptions = {}): Promise<WriteSummary> {
    return await this.#write(ops, {
      signal: options.signal,
      baseReader: undefined,
      absent: undefined,
      what: 'CreateFileSet',
    });
  }

  async #write(
    ops: AsyncIterable<ModifyOp>,
    ctx: {
      signal: AbortSignal | undefined;
      baseReader: (() => Promise<FileSetReader>) | undefined;
      absent: string[] | undefined;
      what: string;
    },
  ): Promise<WriteSummary> {
    const { signal } = ctx;
    const writer = this.#storage.writer({ signal });
    let filesWritten = 0;
    let bytesWritten = 0;
    try {
      for await (const op of ops) {
        signal?.throwIfAborted();
        switch (op.op) {
          case 'put': {
            const path = filePath(op.path);
            const tag = encodeFileTag(op.datum ?? '', op.metadata ?? {});
            if (op.ifNotExists) {
              if (!ctx.absent)
                throw pfsErrors.invalidArgument(
                  `put ${JSON.stringify(path)}: if_not_exists needs a commit; ${ctx.what} has none (use ModifyFile)`,
                  { details: { path } },
                );
              if (ctx.absent.length >= MAX_IF_NOT_EXISTS)
                throw pfsErrors.invalidArgument(
                  `more than ${MAX_IF_NOT_EXISTS} if_not_exists puts in one stream; split it`,
                );
              ctx.absent.push(path);
            }
            const counter = { n: 0 };
            const body = countBytes(op.data, counter);
            if (op.append) await writer.append(path, body, { tag, signal });
            else await writer.put(path, body, { tag, signal });
            filesWritten++;
            bytesWritten += counter.n;
            break;
          }
          case 'delete': {
            const path = treePath(op.path);
            if (op.datum) {
              checkDatum(op.datum);
              if (!ctx.baseReader)
                throw pfsErrors.invalidArgument(
                  `delete ${JSON.stringify(path)} with datum ${JSON.stringify(op.datum)}: a datum-filtered delete needs a commit; ${ctx.what} has none`,
                  { details: { path } },
                );
              const reader = await ctx.baseReader();
              for await (const tagged of taggedUnder(reader, path, op.datum, signal))
                await writer.delete(tagged, { signal });
            } else {
              await writer.delete(path, { signal });
            }
            break;
          }
          case 'copy': {
            const dst = treePath(op.dst);
            if (op.datum) {
              throw pfsErrors.unimplemented(
                `copy to ${JSON.stringify(dst)} with datum ${JSON.stringify(op.datum)}: re-tagging copied files is not supported yet; copy without a datum`,
              );
            }
            const srcPath = treePath(op.src.path);
            const src = await this.#open(op.src.source, signal);
            try {
              await writer.copy(this.#storage.reader(src.root), srcPath, dst, {
                append: op.append ?? false,
                signal,
              });
            } catch (err) {
              if (isErrorCode(err, 'not_found')) {
                throw pfsErrors.notFound(`copy source ${src.label}:${srcPath} not found`, {
                  cause: err,
                  details: { path: srcPath },
                });
              }
              throw err;
            }
            break;
          }
          default:
            throw pfsErrors.invalidArgument(
              `unknown file operation ${JSON.stringify((op as { op?: unknown }).op)}`,
            );
        }
      }
      signal?.throwIfAborted();
      const summary = await writer.finish({ signal });
      return { root: summary.root, filesWritten, bytesWritten };
    } catch (err) {
      await writer.abort();
      throw err;
    }
  }

  async #targetTree(target: CommitRef, signal: AbortSignal | undefined): Promise<FileSetReader> {
    let commit: CommitRecord;
    try {
      commit = await this.#commits.resolve(target, { signal });
    } catch (err) {
      // checkWritable passed, so the repo exists: a branch without a head (or not yet created) is
      // the empty tree a first commit starts from.
      if (isErrorCode(err, 'not_found') && !target.id) return this.#storage.reader(EMPTY_ROOT);
      throw err;
    }
    return this.#storage.reader(await this.#commits.readableRoot(commit, { signal }));
  }

  // ---------------------------------------------------------------------------------------------
  // Reads

  /**
   * A file's bytes, optionally the range [offset, offset + length) (length 0: to the end; a range
   * past the end is cut; an offset at or past the end yields nothing).
   * @throws INVALID_ARGUMENT for a negative offset/length or a directory path; NOT_FOUND naming
   *   `repo@commit:/path`; DATA_LOSS for a missing or corrupt chunk.
   */
  async *getFile(
    ref: FileRef,
    options: SignalOptions & { offset?: number; length?: number } = {},
  ): AsyncGenerator<Uint8Array> {
    const { signal } = options;
    const offset = options.offset ?? 0;
    const length = options.length ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw pfsErrors.invalidArgument(`invalid offset ${String(offset)}: must be a non-negative integer`);
    if (!Number.isSafeInteger(length) || length < 0)
      throw pfsErrors.invalidArgument(
        `invalid length ${String(length)}: must be a non-negative integer (0 reads to the end)`,
      );
    const path = treePath(ref.path);
    const src = await this.#open(ref.source, signal);
    const reader = this.#storage.reader(src.root);
    const entry = path === '/' ? undefined : await reader.get(path, { signal });
    if (!entry || entry.op !== 'put') {
      const dir = path === '/' ? undefined : await reader.stat(path, { signal });
      if (path === '/' || dir?.kind === 'directory') {
        throw pfsErrors.invalidArgument(
          `${src.label}:${path} is a directory, not a file: list it with ListFile/WalkFile, or fetch it recursively (terrain get file -r)`,
          { details: { path } },
        );
      }
      throw notFound(src, path);
    }
    const end = length > 0 ? offset + length : undefined;
    yield* reader.readFile(entry, { start: offset, ...(end !== undefined ? { end } : {}), signal });
  }

  /** One file or directory. @throws NOT_FOUND naming `repo@commit:/path`. */
  async inspectFile(ref: FileRef, options: SignalOptions = {}): Promise<FileInfo> {
    const { signal } = options;
    const path = treePath(ref.path);
    const src = await this.#open(ref.source, signal);
    const reader = this.#storage.reader(src.root);
    if (path === '/') return await this.#dirInfo(src, '/', signal);
    const item = await reader.stat(path, { signal });
    if (!item) throw notFound(src, path);
    return item.kind === 'file' ? fileInfo(src, item.entry) : await this.#dirInfo(src, item.path, signal);
  }

  /**
   * One directory level in path order (files, and each implied subdirectory once); a file path
   * lists just that file. Paginated by `pageToken` (the last path of the previous page).
   * @throws NOT_FOUND when the path does not exist ("/" always exists).
   */
  async *listFile(ref: FileRef, options: PageOptions = {}): AsyncGenerator<FileInfo> {
    const { signal } = options;
    const limit = pageLimit(options.pageSize);
    const after = options.pageToken || undefined;
    const path = treePath(ref.path);
    const src = await this.#open(ref.source, signal);
    const reader = this.#storage.reader(src.root);
    const top =
      path === '/' ? ({ kind: 'directory', path: '/' } as const) : await reader.stat(path, { signal });
    if (!top) throw notFound(src, path);
    if (top.kind === 'file') {
      if (after === undefined || comparePaths(top.path, after) > 0) yield fileInfo(src, top.entry);
      return;
    }
    let n = 0;
    for await (const item of reader.listDirectory(top.path, {
      signal,
      ...(after !== undefined ? { startAfter: after } : {}),
    })) {
      yield item.kind === 'file' ? fileInfo(src, item.entry) : await this.#dirInfo(src, item.path, signal);
      if (++n >= limit) return;
    }
  }

  /**
   * Everything beneath a path, recursively, in path order (a directory right before its contents),
   * the starting directory included. Paginated like listFile.
   * @throws NOT_FOUND when the path does not exist.
   */
  async *walkFile(
    ref: FileRef,
    options: PageOptions & { filesOnly?: boolean } = {},
  ): AsyncGenerator<FileInfo> {
    const { signal } = options;
    const limit = pageLimit(options.pageSize);
    const after = options.pageToken || undefined;
    const filesOnly = options.filesOnly ?? false;
    const path = treePath(ref.path);
    const src = await this.#open(ref.source, signal);
    const reader = this.#storage.reader(src.root);
    const top =
      path === '/' ? ({ kind: 'directory', path: '/' } as const) : await reader.stat(path, { signal });
    if (!top) throw notFound(src, path);
    const isAfter = (p: string): boolean => after === undefined || comparePaths(p, after) > 0;
    if (top.kind === 'file') {
      if (isAfter(top.path)) yield fileInfo(src, top.entry);
      return;
    }
    let n = 0;
    if (!filesOnly && isAfter(top.path)) {
      yield await this.#dirInfo(src, top.path, signal);
      if (++n >= limit) return;
    }
    let previous = '';
    for await (const e of reader.entries({
      prefix: top.path,
      includeDeletes: false,
      signal,
      ...(after !== undefined ? { startAfter: after } : {}),
    })) {
      if (!filesOnly) {
        for (const dir of newAncestors(previous, e.path, top.path)) {
          if (!isAfter(dir)) continue;
          yield await this.#dirInfo(src, dir, signal);
          if (++n >= limit) return;
        }
      }
      previous = e.path;
      yield fileInfo(src, e);
      if (++n >= limit) return;
    }
  }

  /**
   * Every file and directory matching a glob, in path order. The glob's literal prefix narrows the
   * scan; a pattern without `**` descends only as deep as it can match.
   * @throws INVALID_ARGUMENT for a malformed pattern (naming it); NOT_FOUND for a missing source.
   */
  async *globFile(
    source: FileSource,
    pattern: string,
    options: SignalOptions = {},
  ): AsyncGenerator<FileInfo> {
    const { signal } = options;
    const glob = compileGlob(pattern);
    const src = await this.#open(source, signal);
    const reader = this.#storage.reader(src.root);
    if (glob.matches('/')) yield await this.#dirInfo(src, '/', signal);
    if (glob.maxDepth !== undefined) {
      const startDepth = depthOf(glob.directoryPrefix);
      if (startDepth < glob.maxDepth)
        yield* this.#globLevels(src, reader, glob, glob.directoryPrefix, startDepth, signal);
      return;
    }
    let previous = '';
    for await (const e of reader.entries({ prefix: glob.prefix, includeDeletes: false, signal })) {
      for (const dir of newAncestors(previous, e.path, '/')) {
        if (glob.matchesDirectory(dir)) yield await this.#dirInfo(src, dir, signal);
      }
      previous = e.path;
      if (glob.matches(e.path)) yield fileInfo(src, e);
    }
  }

  async *#globLevels(
    src: Opened,
    reader: FileSetReader,
    glob: GlobMatcher,
    dir: string,
    depth: number,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<FileInfo> {
    const maxDepth = glob.maxDepth!;
    for await (const item of reader.listDirectory(dir, { signal })) {
      const isDir = item.kind === 'directory';
      const bare = isDir ? item.path.slice(0, -1) : item.path;
      // Skip what cannot lead to a match: outside the literal prefix, and not an ancestor of it.
      if (!bare.startsWith(glob.prefix) && !(isDir && glob.prefix.startsWith(item.path))) continue;
      if (glob.matches(item.path))
        yield item.kind === 'file' ? fileInfo(src, item.entry) : await this.#dirInfo(src, item.path, signal);
      if (isDir && depth + 1 < maxDepth)
        yield* this.#globLevels(src, reader, glob, item.path, depth + 1, signal);
    }
  }

  /**
   * Files that differ between two trees beneath a path (added, changed, deleted), in path order;
   * directories are not reported. Without `oldRef`, the old side is the same path in the new
   * commit's parent (everything is added for a first commit). With equal paths on both sides the
   * storage diff skips identical subtrees without reading them.
   * @throws NOT_FOUND when a side does not resolve; INVALID_ARGUMENT without `oldRef` for a handle.
   */
  async *diffFile(
    newRef: FileRef,
    oldRef: FileRef | undefined,
    options: SignalOptions = {},
  ): AsyncGenerator<FileDiff> {
    const { signal } = options;
    const newPath = treePath(newRef.path);
    const newSrc = await this.#open(newRef.source, signal);
    let oldSrc: Opened;
    let oldPath = newPath;
    if (oldRef) {
      oldPath = oldRef.path === '' ? newPath : treePath(oldRef.path);
      oldSrc = await this.#open(oldRef.source, signal);
    } else {
      if (newSrc.resolved.kind !== 'commit') {
        throw pfsErrors.invalidArgument(
          `diff of ${newSrc.label} needs an old side: a file-set handle has no parent commit`,
        );
      }
      const c = newSrc.resolved.commit;
      oldSrc = c.parent
        ? await this.#open({ kind: 'commit', ref: { repo: c.repo, id: c.parent } }, signal)
        : {
            resolved: newSrc.resolved,
            root: EMPTY_ROOT,
            label: `${c.repo}@(no parent)`,
            committed: undefined,
          };
    }
    const oldReader = this.#storage.reader(oldSrc.root);
    const newReader = this.#storage.reader(newSrc.root);
    // The path itself, when it is a file on either side.
    if (newPath !== '/' || oldPath !== '/') {
      const a = oldPath === '/' ? undefined : await oldReader.get(oldPath, { signal });
      const b = newPath === '/' ? undefined : await newReader.get(newPath, { signal });
      const d = diffEntries(oldSrc, a?.op === 'put' ? a : undefined, newSrc, b?.op === 'put' ? b : undefined);
      if (d) yield d;
    }
    const oldDir = dirOf(oldPath);
    const newDir = dirOf(newPath);
    if (oldDir === newDir) {
      for await (const item of this.#storage.diff(oldSrc.root, newSrc.root, { prefix: newDir, signal })) {
        switch (item.kind) {
          case 'added':
            yield { change: 'added', newFile: fileInfo(newSrc, item.after), oldFile: undefined };
            break;
          case 'deleted':
            yield { change: 'deleted', newFile: undefined, oldFile: fileInfo(oldSrc, item.before) };
            break;
          case 'changed':
            yield {
              change: 'changed',
              newFile: fileInfo(newSrc, item.after),
              oldFile: fileInfo(oldSrc, item.before),
            };
            break;
        }
      }
      return;
    }
    // Different directories: a merge of the two sorted listings by path relative to each side.
    const olds = oldReader.entries({ prefix: oldDir, includeDeletes: false, signal })[Symbol.asyncIterator]();
    const news = newReader.entries({ prefix: newDir, includeDeletes: false, signal })[Symbol.asyncIterator]();
    try {
      let a = await olds.next();
      let b = await news.next();
      while (!a.done || !b.done) {
        const ra = a.done ? undefined : a.value.path.slice(oldDir.length);
        const rb = b.done ? undefined : b.value.path.slice(newDir.length);
        const c = ra === undefined ? 1 : rb === undefined ? -1 : comparePaths(ra, rb);
        const d = diffEntries(
          oldSrc,
          c <= 0 && !a.done ? a.value : undefined,
          newSrc,
          c >= 0 && !b.done ? b.value : undefined,
        );
        if (d) yield d;
        if (c <= 0) a = await olds.next();
        if (c >= 0) b = await news.next();
      }
    } finally {
      await olds.return?.(undefined);
      await news.return?.(undefined);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Sources

  /** The tree a read of `source` sees. */
  async readableRoot(
    source: FileSource,
    options: SignalOptions = {},
  ): Promise<{ resolved: ResolvedSource; root: RootHash }> {
    const { resolved, root } = await this.#open(source, options.signal);
    return { resolved, root };
  }

  async #open(source: FileSource, signal: AbortSignal | undefined): Promise<Opened> {
    if (source.kind === 'commit') {
      const commit = await this.#commits.resolve(source.ref, { signal });
      const root = await this.#commits.readableRoot(commit, { signal });
      return {
        resolved: { kind: 'commit', commit },
        root,
        label: `${commit.repo}@${commit.id}`,
        committed: commitTime(commit),
      };
    }
    const root = await this.#handleTree(source.id, signal);
    return {
      resolved: { kind: 'fileSet', id: source.id },
      root,
      label: `file set ${source.id}`,
      committed: undefined,
    };
  }

  /**
   * A handle's layers applied to the empty tree (deletes dropped, appends resolved, hashes filled
   * in). A single layer that is already a plain tree applies to itself (same pages), so this costs
   * one pass over the handle's entries the first time and nothing while cached.
   */
  async #handleTree(id: string, signal: AbortSignal | undefined): Promise<RootHash> {
    const layers = await this.#handles.layers(id, { signal });
    if (layers.length === 0) return EMPTY_ROOT;
    const key = layers.join(',');
    const now = this.#now();
    const hit = this.#handleTrees.get(key);
    if (hit && now - hit.at < this.#handleTreeCacheMs) return hit.root;
    const { root } = await this.#storage.applyStaged(EMPTY_ROOT, layers, { signal });
    this.#handleTrees.delete(key);
    this.#handleTrees.set(key, { root, at: now });
    if (this.#handleTrees.size > HANDLE_TREE_CACHE_ENTRIES) {
      const oldest = this.#handleTrees.keys().next();
      if (!oldest.done) this.#handleTrees.delete(oldest.value);
    }
    return root;
  }

  async #dirInfo(src: Opened, dir: string, signal: AbortSignal | undefined): Promise<FileInfo> {
    const sizeBytes =
      dir === '/'
        ? (await this.#storage.reader(src.root).totals({ signal })).bytes
        : await rangeBytes(this.#storage, src.root, dir, prefixEnd(dir), signal);
    return {
      source: src.resolved,
      path: dir,
      type: 'dir',
      sizeBytes,
      hash: '',
      committed: src.committed,
      datum: '',
      metadata: {},
    };
  }
}

// -----------------------------------------------------------------------------------------------
// File tags: the storage keeps one free-form tag per file; pfs stores the datum and the user
// metadata in it. A tag without NUL is a bare datum ID (what pps writes); otherwise
// `datum NUL JSON(metadata)`.
// TODO(storage): a metadata field in IndexEntry would let data-plane writers (S3 gateway) set
// metadata without this codec; until then they must use encodeFileTag.

/**
 * Encodes a datum and metadata into a storage tag.
 * @throws INVALID_ARGUMENT for a datum with NUL or over 256 bytes, or metadata over 8 KiB.
 */
export function encodeFileTag(datum: string, metadata: Record<string, string>): string {
  if (datum) checkDatum(datum);
  const keys = Object.keys(metadata).sort();
  if (keys.length === 0) return datum;
  let bytes = 0;
  const sorted: Record<string, string> = {};
  for (const k of keys) {
    const v = metadata[k]!;
    if (typeof v !== 'string')
      throw pfsErrors.invalidArgument(`metadata ${JSON.stringify(k)} must be a string`);
    bytes += Buffer.byteLength(k) + Buffer.byteLength(v);
    sorted[k] = v;
  }
  if (bytes > MAX_METADATA_BYTES) {
    throw pfsErrors.invalidArgument(
      `file metadata is ${bytes} bytes; at most ${MAX_METADATA_BYTES} bytes of keys and values are allowed`,
    );
  }
  return `${datum}\u0000${JSON.stringify(sorted)}`;
}

/** Decodes a storage tag written by encodeFileTag (a tag that is not JSON is kept as the datum). */
export function decodeFileTag(tag: string): { datum: string; metadata: Record<string, string> } {
  const nul = tag.indexOf('\u0000');
  if (nul < 0) return { datum: tag, metadata: {} };
  try {
    const parsed: unknown = JSON.parse(tag.slice(nul + 1));
    if (parsed && typeof parsed === 'object')
      return { datum: tag.slice(0, nul), metadata: parsed as Record<string, string> };
  } catch {
    // fall through: an unreadable tag is shown as it is rather than failing the read
  }
  return { datum: tag, metadata: {} };
}

function checkDatum(datum: string): void {
  if (datum.includes('\u0000') || Buffer.byteLength(datum) > MAX_DATUM_BYTES) {
    throw pfsErrors.invalidArgument(
      `invalid datum ${JSON.stringify(datum.slice(0, 64))}: at most ${MAX_DATUM_BYTES} bytes, no NUL`,
      {
        details: { datum: datum.slice(0, 64) },
      },
    );
  }
}

// -----------------------------------------------------------------------------------------------
// Helpers

/** A path naming a file to write: absolute, normalized, not "/". */
function filePath(path: string): string {
  validatePath(path);
  if (path === '/')
    throw pfsErrors.invalidArgument('invalid path "/": cannot write a file at the root directory', {
      details: { path },
    });
  return path;
}

/** A path naming a file or directory: "" means "/", and one trailing "/" is allowed. */
export function treePath(path: string): string {
  if (path === '' || path === '/') return '/';
  const p = path.endsWith('/') && !path.endsWith('//') ? path.slice(0, -1) : path;
  try {
    return validatePath(p);
  } catch (err) {
    // Name the value the client sent, not the trimmed one.
    if (p !== path && isErrorCode(err, 'invalid_argument')) validatePath(path);
    throw err;
  }
}

function dirOf(path: string): string {
  return path === '/' ? '/' : `${path}/`;
}

function depthOf(dir: string): number {
  let n = 0;
  for (let i = 1; i < dir.length; i++) if (dir.charCodeAt(i) === 0x2f) n++;
  return n;
}

function pageLimit(pageSize: number | undefined): number {
  return pageSize && pageSize > 0 ? pageSize : Number.POSITIVE_INFINITY;
}

function describeRef(ref: CommitRef): string {
  const at = ref.id || ref.branch || '?';
  return `${ref.repo}@${at}${ref.ancestors ? `^${ref.ancestors}` : ''}`;
}

function notFound(src: Opened, path: string): Error {
  return pfsErrors.notFound(`file ${src.label}:${path} not found`, { details: { path, source: src.label } });
}

function commitTime(c: CommitRecord): Date | undefined {
  const ms =
    c.state === CommitState.FINISHED && c.finishedMs > 0n
      ? c.finishedMs
      : c.finishingMs > 0n
        ? c.finishingMs
        : c.startedMs;
  return ms > 0n ? new Date(Number(ms)) : undefined;
}

function fileInfo(src: Opened, e: IndexEntry): FileInfo {
  const { datum, metadata } = decodeFileTag(e.tag);
  return {
    source: src.resolved,
    path: e.path,
    type: 'file',
    sizeBytes: e.size,
    hash: e.contentHash,
    committed: src.committed,
    datum,
    metadata,
  };
}

function diffEntries(
  oldSrc: Opened,
  a: IndexEntry | undefined,
  newSrc: Opened,
  b: IndexEntry | undefined,
): FileDiff | undefined {
  if (a && b) {
    if (a.size === b.size && a.contentHash === b.contentHash) return undefined;
    return { change: 'changed', newFile: fileInfo(newSrc, b), oldFile: fileInfo(oldSrc, a) };
  }
  if (b) return { change: 'added', newFile: fileInfo(newSrc, b), oldFile: undefined };
  if (a) return { change: 'deleted', newFile: undefined, oldFile: fileInfo(oldSrc, a) };
  return undefined;
}

/**
 * The directories strictly beneath `base` that contain `path` but not `previous` (so a sorted walk
 * reports each implied directory once, right before its first file), outermost first.
 */
function newAncestors(previous: string, path: string, base: string): string[] {
  const out: string[] = [];
  let i = base.length - 1;
  while ((i = path.indexOf('/', i + 1)) !== -1) {
    const dir = path.slice(0, i + 1);
    if (!previous.startsWith(dir)) out.push(dir);
  }
  return out;
}

async function* countBytes(body: PutOp['data'], counter: { n: number }): AsyncGenerator<Uint8Array> {
  if (body instanceof Uint8Array) {
    counter.n += body.length;
    yield body;
    return;
  }
  for await (const part of body) {
    counter.n += part.length;
    yield part;
  }
}

/** Files at `path` or beneath it whose tag carries `datum`. */
async function* taggedUnder(
  reader: FileSetReader,
  path: string,
  datum: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<string> {
  if (path !== '/') {
    const e = await reader.get(path, { signal });
    if (e && e.op === 'put' && decodeFileTag(e.tag).datum === datum) yield e.path;
  }
  for await (const e of reader.entries({ prefix: dirOf(path), includeDeletes: false, signal })) {
    if (decodeFileTag(e.tag).datum === datum) yield e.path;
  }
}

/**
 * The total size of the entries with lo ≤ path < hi, from the subtree totals stored in inner pages:
 * O(tree height) page reads (cached), whatever the number of files in the range.
 */
async function rangeBytes(
  storage: FileSetStorage,
  root: RootHash,
  lo: string,
  hi: string,
  signal: AbortSignal | undefined,
): Promise<number> {
  const visit = async (hash: string, upper: string | undefined): Promise<number> => {
    const page = await storage.pages.read(hash, { signal });
    if (page.kind === 'leaf') {
      let sum = 0;
      for (const e of page.entries)
        if (comparePaths(e.path, lo) >= 0 && comparePaths(e.path, hi) < 0) sum += e.size;
      return sum;
    }
    let sum = 0;
    const children = page.children;
    for (let i = 0; i < children.length; i++) {
      const child = children[i]!;
      const childUpper = i + 1 < children.length ? children[i + 1]!.firstKey : upper;
      if (childUpper !== undefined && comparePaths(childUpper, lo) <= 0) continue;
      if (comparePaths(child.firstKey, hi) >= 0) break;
      if (
        comparePaths(child.firstKey, lo) >= 0 &&
        childUpper !== undefined &&
        comparePaths(childUpper, hi) <= 0
      )
        sum += child.bytes;
      else sum += await visit(child.hash, childUpper);
    }
    return sum;
  };
  return await visit(root, undefined);
}
