/**
 * Writes one staged file set: a batch of put / append / delete / copy operations that becomes a
 * sorted, content-addressed change set (root hash) for merge.ts to apply to a commit's tree.
 *
 * Bytes. All files written through one writer form one logical byte stream, cut by content-defined
 * chunking; a file becomes the list of (chunk, offset, length) slices its bytes occupy. So many small
 * files share a chunk (100,000 files of 1 KiB are about 100 chunk objects), and large files still
 * deduplicate because chunk boundaries re-synchronize inside them. Chunk hashing runs on the thread
 * pool and uploads run concurrently (at most `maxInFlightChunks`), while the main thread chunks the
 * next bytes; a file's content hash (SHA-256 of its bytes) is computed as its bytes stream past.
 *
 * Entries. Operations are buffered as entries (not bytes) and sorted when the set is written. When
 * more than `maxBufferedEntries` are buffered, they are written as an intermediate sorted run, and
 * the runs are merged at the end, so memory stays bounded for millions of files. Operations keep
 * their order: a later operation on a path wins, a delete of `/d` removes earlier writes under `/d/`.
 *
 * Failure. If an operation fails after it started changing the set (a body stream throws, an upload
 * fails, the signal aborts), the writer is poisoned: every later call rethrows that error and
 * nothing is published; objects already uploaded are unreferenced garbage for the collector. An
 * operation refused up front (INVALID_ARGUMENT, NOT_FOUND) changes nothing and the writer goes on.
 *
 * Concurrency: one operation at a time (await each call); a concurrent call is FAILED_PRECONDITION.
 */
import { Chunker, type ChunkingParams } from './chunker.ts';
import type { ChunkRef, ChunkStore } from './chunks.ts';
import { composeSorted, writeComposed } from './compose.ts';
import { isErrorCode } from '../../platform/errors.ts';
import { storageErrors } from './errors.ts';
import { EMPTY_SHA256, sha256Async } from './hash.ts';
import type { ContentHasher, FileSlice, HashResult } from './content-hasher.ts';
import { pageTotals, type EntryOp, type IndexEntry } from './index-page.ts';
import { comparePaths, validatePath } from './paths.ts';
import type { PageStore, RootHash } from './page-store.ts';
import type { FileSetReader } from './fileset-reader.ts';
import { TreeBuilder, type TreeParams } from './tree.ts';

export interface WriterContext {
  chunks: ChunkStore;
  hasher: ContentHasher;
  pages: PageStore;
  tree: TreeParams;
  chunking: ChunkingParams;
}

export interface FileSetWriterOptions {
  /** Aborts every operation of this writer. */
  signal?: AbortSignal;
  /** Entries buffered before a sorted run is written out. Default 100,000. */
  maxBufferedEntries?: number;
  /** Chunk uploads in flight at once. Default 8. */
  maxInFlightChunks?: number;
}

export interface WriteFileOptions {
  signal?: AbortSignal;
  /** A label stored with the file (pps: the datum ID); '' or omitted for none. */
  tag?: string;
}

export interface FileSetSummary {
  root: RootHash;
  /** Entries in the written set (after later operations replaced earlier ones). */
  entries: number;
  /** File bytes streamed through the writer. */
  bytes: number;
  chunks: number;
  /** Chunks uploaded (the rest were already present). */
  chunksWritten: number;
  chunkBytesWritten: number;
  /** Intermediate sorted runs written (0 when everything fit in memory). */
  runs: number;
}

interface OpRecord {
  entry: IndexEntry;
  seq: number;
  /** Offsets of the file's bytes in the writer's logical stream; end -1 while still streaming. */
  start: number;
  end: number;
  /** The content hasher's id for this file (0 for records without bytes). */
  file: number;
}

export class FileSetWriter {
  readonly #ctx: WriterContext;
  readonly #signal: AbortSignal | undefined;
  readonly #maxBuffered: number;
  readonly #maxInFlight: number;
  readonly #chunker: Chunker;
  #ops: OpRecord[] = [];
  /** Byte-bearing records whose bytes are not all in emitted chunks yet, in stream order. */
  #open: OpRecord[] = [];
  #openHead = 0;
  #seq = 0;
  #offset = 0;
  #chunkStart = 0;
  /** Chunk uploads and hashing requests not yet settled. */
  readonly #inflight = new Set<Promise<void>>();
  /** Records whose final hashing request is out, by hasher file id. */
  readonly #awaitingDigest = new Map<number, OpRecord>();
  #failure: unknown = undefined;
  #busy = false;
  #state: 'open' | 'finished' | 'aborted' = 'open';
  readonly #runs: RootHash[] = [];
  readonly #stats = { bytes: 0, chunks: 0, chunksWritten: 0, chunkBytesWritten: 0 };

  constructor(ctx: WriterContext, options: FileSetWriterOptions = {}) {
    this.#ctx = ctx;
    this.#signal = options.signal;
    this.#maxBuffered = Math.max(1, options.maxBufferedEntries ?? 100_000);
    this.#maxInFlight = Math.max(1, options.maxInFlightChunks ?? 8);
    this.#chunker = new Chunker(ctx.chunking);
  }

  /** Writes a file, replacing any earlier content at `path`. */
  async put(
    path: string,
    body: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    options: WriteFileOptions = {},
  ): Promise<void> {
    await this.#run(async () => await this.#writeBytes(path, 'put', body, options), options.signal);
  }

  /** Appends to a file (to the parent commit's file, when the set is merged); creates it if absent. */
  async append(
    path: string,
    body: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    options: WriteFileOptions = {},
  ): Promise<void> {
    await this.#run(async () => await this.#writeBytes(path, 'append', body, options), options.signal);
  }

  /** Deletes the file at `path` and everything under `path/` (`/` deletes everything). */
  async delete(path: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#run(async () => {
      validatePath(path);
      if (path !== '/') this.#addOp({ path, op: 'delete', size: 0, contentHash: '', refs: [], tag: '' });
      this.#addOp({
        path: path === '/' ? '/' : `${path}/`,
        op: 'deletePrefix',
        size: 0,
        contentHash: '',
        refs: [],
        tag: '',
      });
      await this.#maybeSpill();
    }, options.signal);
  }

  /**
   * Copies a file, or a directory's files, from another (committed) file set by reference: no bytes
   * move. `srcPath` may name a file or a directory (`/` for everything); the copies land at `dstPath`
   * (or under `dstPath/`). With `append`, each copy is appended to the destination instead.
   * Returns how many files were copied. @throws NOT_FOUND when nothing exists at `srcPath`.
   */
  async copy(
    source: FileSetReader,
    srcPath: string,
    dstPath: string,
    options: { signal?: AbortSignal; append?: boolean } = {},
  ): Promise<number> {
    return await this.#run(async () => {
      validatePath(srcPath);
      validatePath(dstPath);
      const signal = options.signal ?? this.#signal;
      const op: EntryOp = options.append ? 'append' : 'put';
      let copied = 0;
      const file = srcPath === '/' ? undefined : await source.get(srcPath, { signal });
      if (file && file.op === 'put') {
        if (dstPath === '/')
          throw storageErrors.invalidArgument(
            `cannot copy file ${JSON.stringify(srcPath)} onto the root directory`,
          );
        this.#addOp({ ...file, path: dstPath, op, refs: file.refs.slice() });
        copied++;
      }
      const srcDir = srcPath === '/' ? '/' : `${srcPath}/`;
      const dstDir = dstPath === '/' ? '/' : `${dstPath}/`;
      for await (const e of source.entries({ prefix: srcDir, includeDeletes: false, signal })) {
        if (e.op !== 'put') continue;
        const path = validatePath(dstDir + e.path.slice(srcDir.length));
        this.#addOp({ ...e, path, op, refs: e.refs.slice() });
        copied++;
        await this.#maybeSpill();
      }
      if (copied === 0)
        throw storageErrors.notFound(
          `copy source ${JSON.stringify(srcPath)} not found in file set ${source.root}`,
        );
      return copied;
    }, options.signal);
  }

  /**
   * Waits for every upload, writes the set's index pages and returns its root. After finish the
   * writer accepts nothing more.
   */
  async finish(options: { signal?: AbortSignal } = {}): Promise<FileSetSummary> {
    return await this.#run(async () => {
      await this.#cutAndDrain();
      let root: RootHash;
      let entries: number;
      if (this.#runs.length === 0) {
        ({ root, entries } = await this.#writeOps());
      } else {
        if (this.#ops.length > 0) this.#runs.push((await this.#writeOps()).root);
        root = await writeComposed(this.#ctx, this.#runs, { signal: options.signal ?? this.#signal });
        entries = pageTotals(
          await this.#ctx.pages.read(root, { signal: options.signal ?? this.#signal }),
        ).count;
      }
      this.#state = 'finished';
      return { root, entries, runs: this.#runs.length, ...this.#stats };
    }, options.signal);
  }

  /** Abandons the set: waits for in-flight uploads (their objects become garbage). Idempotent. */
  async abort(): Promise<void> {
    if (this.#state === 'open') this.#state = 'aborted';
    await Promise.allSettled([...this.#inflight]);
    // Let the hash worker forget the files this writer will never finish.
    const unfinished = [
      ...this.#open.slice(this.#openHead).map((r) => r.file),
      ...this.#awaitingDigest.keys(),
    ];
    this.#open = [];
    this.#openHead = 0;
    this.#awaitingDigest.clear();
    if (unfinished.length > 0)
      await this.#ctx.hasher.process(undefined, [], [], unfinished).catch(() => undefined);
  }

  async #run<T>(fn: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    if (this.#busy)
      throw storageErrors.failedPrecondition(
        'a file-set writer takes one operation at a time: await each call before the next',
      );
    if (this.#state !== 'open')
      throw storageErrors.failedPrecondition(`this file-set writer is ${this.#state}; start a new one`);
    if (this.#failure !== undefined) throw this.#failure;
    this.#busy = true;
    const seq = this.#seq;
    const offset = this.#offset;
    try {
      signal?.throwIfAborted();
      this.#signal?.throwIfAborted();
      return await fn();
    } catch (err) {
      // An operation refused before it changed anything (a bad path, a missing copy source) leaves
      // the writer usable; one that failed half-way does not.
      if (this.#seq !== seq || this.#offset !== offset || !isRefusal(err)) this.#failure ??= err;
      throw err;
    } finally {
      this.#busy = false;
    }
  }

  #addOp(entry: IndexEntry): OpRecord {
    const rec: OpRecord = { entry, seq: this.#seq++, start: 0, end: 0, file: 0 };
    this.#ops.push(rec);
    return rec;
  }

  async #writeBytes(
    path: string,
    op: EntryOp,
    body: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    options: WriteFileOptions,
  ): Promise<void> {
    validatePath(path);
    if (path === '/')
      throw storageErrors.invalidArgument('cannot write a file at "/": the root is a directory');
    const signal = options.signal ?? this.#signal;
    const rec = this.#addOp({ path, op, size: 0, contentHash: '', refs: [], tag: options.tag ?? '' });
    rec.start = this.#offset;
    rec.end = -1;
    rec.file = this.#ctx.hasher.newFile();
    this.#open.push(rec);
    if (body instanceof Uint8Array) {
      await this.#pushBytes(body);
    } else {
      for await (const data of body) {
        signal?.throwIfAborted();
        await this.#pushBytes(data);
      }
    }
    rec.end = this.#offset;
    rec.entry.size = rec.end - rec.start;
    this.#stats.bytes += rec.entry.size;
    if (rec.entry.size === 0) rec.entry.contentHash = EMPTY_SHA256;
    // A file that ended exactly where an emitted chunk ended gets no more slices: finish its hash now.
    const finals = this.#settleOpen();
    if (finals.length > 0) this.#track(this.#ctx.hasher.process(undefined, [], finals));
    await this.#maybeSpill();
  }

  async #pushBytes(data: Uint8Array): Promise<void> {
    // Slices of at most one max chunk, so one huge buffer never turns into hundreds of chunk copies.
    const step = this.#ctx.chunking.maxSize;
    for (let off = 0; off < data.length; off += step) {
      const part =
        off === 0 && data.length <= step ? data : data.subarray(off, Math.min(off + step, data.length));
      const chunks = this.#chunker.push(part);
      this.#offset += part.length;
      for (const chunk of chunks) await this.#emitChunk(chunk);
    }
  }

  async #emitChunk(chunk: Uint8Array): Promise<void> {
    const cs = this.#chunkStart;
    const ce = cs + chunk.length;
    this.#chunkStart = ce;
    const refs: ChunkRef[] = [];
    const slices: FileSlice[] = [];
    for (let i = this.#openHead; i < this.#open.length; i++) {
      const rec = this.#open[i]!;
      if (rec.start >= ce) break;
      const s = Math.max(rec.start, cs);
      const e = Math.min(rec.end < 0 ? ce : rec.end, ce);
      if (s < e) {
        // The chunk's hash is filled in when the thread pool has computed it (before finish).
        const ref: ChunkRef = { chunk: '', offset: s - cs, length: e - s };
        rec.entry.refs.push(ref);
        refs.push(ref);
        slices.push({ file: rec.file, from: s - cs, to: e - cs });
      }
    }
    const finals = this.#settleOpen();
    this.#stats.chunks++;
    while (this.#inflight.size >= this.#maxInFlight) await Promise.race(this.#inflight);
    if (this.#failure !== undefined) throw this.#failure;
    const signal = this.#signal;
    // File hashes on the hash worker, then the chunk's own hash on the thread pool, then the upload.
    const hashed = this.#ctx.hasher.process(chunk, slices, finals);
    const task: Promise<void> = (async () => {
      const { chunk: bytes } = await this.#applyDigests(hashed);
      const hash = await sha256Async(bytes!);
      for (const r of refs) r.chunk = hash;
      const { written } = await this.#ctx.chunks.put(bytes!, { hash, signal });
      if (written) {
        this.#stats.chunksWritten++;
        this.#stats.chunkBytesWritten += bytes!.length;
      }
    })().then(
      () => {
        this.#inflight.delete(task);
      },
      (err: unknown) => {
        this.#failure ??= err;
        this.#inflight.delete(task);
      },
    );
    this.#inflight.add(task);
  }

  async #applyDigests(pending: Promise<HashResult>): Promise<HashResult> {
    const result = await pending;
    for (const [file, digest] of result.digests) {
      const rec = this.#awaitingDigest.get(file);
      this.#awaitingDigest.delete(file);
      if (rec) rec.entry.contentHash = digest;
    }
    return result;
  }

  /** Tracks a finals-only hashing request until drain. */
  #track(pending: Promise<HashResult>): void {
    const task: Promise<void> = this.#applyDigests(pending).then(
      () => {
        this.#inflight.delete(task);
      },
      (err: unknown) => {
        this.#failure ??= err;
        this.#inflight.delete(task);
      },
    );
    this.#inflight.add(task);
  }

  /** Advances past records whose bytes are all in emitted chunks; returns their hasher ids. */
  #settleOpen(): number[] {
    const open = this.#open;
    const finals: number[] = [];
    while (this.#openHead < open.length) {
      const rec = open[this.#openHead]!;
      if (rec.end < 0 || (rec.end > this.#chunkStart && rec.end > rec.start)) break;
      this.#openHead++;
      if (rec.end > rec.start) {
        finals.push(rec.file);
        this.#awaitingDigest.set(rec.file, rec);
      }
    }
    if (this.#openHead > 1024 && this.#openHead * 2 > open.length) {
      this.#open = open.slice(this.#openHead);
      this.#openHead = 0;
    }
    return finals;
  }

  /** Cuts the pending bytes into a last chunk and waits for every upload and content hash. */
  async #cutAndDrain(): Promise<void> {
    const last = this.#chunker.flush();
    if (last) await this.#emitChunk(last);
    const finals = this.#settleOpen();
    if (finals.length > 0) this.#track(this.#ctx.hasher.process(undefined, [], finals));
    await Promise.all([...this.#inflight]);
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#openHead < this.#open.length || this.#awaitingDigest.size > 0) {
      throw storageErrors.internal('file-set writer: bytes or hashes left unassigned after the final chunk');
    }
    this.#open = [];
    this.#openHead = 0;
  }

  async #maybeSpill(): Promise<void> {
    if (this.#ops.length < this.#maxBuffered) return;
    // A forced chunk cut here costs at most one non-content-defined boundary per run.
    await this.#cutAndDrain();
    this.#runs.push((await this.#writeOps()).root);
  }

  /** Sorts and folds the buffered operations and writes them as one sorted set. */
  async #writeOps(): Promise<{ root: RootHash; entries: number }> {
    const ops = this.#ops;
    this.#ops = [];
    ops.sort((a, b) => comparePaths(a.entry.path, b.entry.path) || a.seq - b.seq);
    const builder = new TreeBuilder(this.#ctx.pages, this.#ctx.tree, this.#signal);
    let entries = 0;
    for await (const e of composeSorted(ops.map((r) => ({ entry: r.entry, source: r.seq })))) {
      for (const r of e.refs)
        if (!r.chunk)
          throw storageErrors.internal(`file-set writer: ${e.path} references a chunk whose hash is unknown`);
      await builder.addEntry(e);
      entries++;
    }
    return { root: await builder.finish(), entries };
  }
}

function isRefusal(err: unknown): boolean {
  return isErrorCode(err, 'invalid_argument') || isErrorCode(err, 'not_found');
}
