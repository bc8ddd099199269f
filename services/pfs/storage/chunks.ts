/**
 * The chunk store: file bytes, content-addressed under `chunks/<sha256 hex>`.
 *
 * Writes are put-if-absent (see content-objects.ts for the freshness rule that keeps dedup safe
 * against GC). Every read fetches the whole chunk (chunks are at most a few MiB) and verifies its
 * SHA-256: a mismatch or a missing chunk is DATA_LOSS naming the chunk, never wrong bytes. Verified
 * chunks are kept in a small byte-bounded LRU so that reading many small files packed into one
 * chunk fetches it once.
 *
 * Concurrency: safe for any number of concurrent readers and writers in one process; buffers it
 * returns are shared with the cache and must be treated as read-only.
 */
import type { ObjectStore } from '../../platform/object-store/object-store.ts';
import { ContentObjects, type ContentCounters } from './content-objects.ts';
import { storageErrors } from './errors.ts';
import { sha256Async, type Sha256Hex } from './hash.ts';
import { LruCache } from './lru.ts';

export const CHUNK_PREFIX = 'chunks/';

/** A slice of a chunk: `length` bytes at `offset`. A file is a list of these. */
export interface ChunkRef {
  chunk: Sha256Hex;
  offset: number;
  length: number;
}

export interface ChunkStoreOptions {
  /** Bytes of verified chunks kept in memory. Default 32 MiB. */
  cacheBytes?: number;
  /** See content-objects.ts. Default 1 hour. */
  refreshAfterMs?: number;
}

export interface ReadRefsOptions {
  signal?: AbortSignal;
  /** First byte of the file to read (default 0). */
  start?: number;
  /** End of the range, exclusive (default: end of file). */
  end?: number;
  /** Chunks fetched ahead of the one being yielded. Default 2. */
  readahead?: number;
}

export class ChunkStore {
  readonly objects: ContentObjects;
  readonly #cache: LruCache<Uint8Array>;
  readonly #loading = new Map<string, Promise<Uint8Array>>();

  constructor(store: ObjectStore, options: ChunkStoreOptions = {}) {
    this.objects = new ContentObjects(store, CHUNK_PREFIX, 'chunk', {
      refreshAfterMs: options.refreshAfterMs,
      headBeforePut: true,
    });
    this.#cache = new LruCache(options.cacheBytes ?? 32 * 1024 * 1024);
  }

  get counters(): ContentCounters {
    return this.objects.counters;
  }

  /**
   * Stores a chunk; `hash` may be given when the caller computed it already (it is trusted).
   * Returns the hash and whether bytes were uploaded (false: deduplicated).
   */
  async put(
    bytes: Uint8Array,
    options: { signal?: AbortSignal; hash?: Sha256Hex } = {},
  ): Promise<{ hash: Sha256Hex; written: boolean }> {
    const hash = options.hash ?? (await sha256Async(bytes));
    const written = await this.objects.putIfAbsent(hash, bytes, options);
    return { hash, written };
  }

  /** A whole verified chunk. @throws DATA_LOSS (missing or corrupt). */
  async get(hash: Sha256Hex, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const hit = this.#cache.get(hash);
    if (hit) return hit;
    const running = this.#loading.get(hash);
    if (running) return await running;
    const task = this.objects.getVerified(hash, options);
    this.#loading.set(hash, task);
    try {
      const bytes = await task;
      this.#cache.set(hash, bytes, bytes.length);
      return bytes;
    } finally {
      this.#loading.delete(hash);
    }
  }

  /**
   * Streams the bytes of a file given its refs, optionally a byte range [start, end). Chunks are
   * fetched `readahead` ahead and each is verified before any of its bytes are yielded.
   * @throws DATA_LOSS for a missing or corrupt chunk, or a ref that points past its chunk's end.
   */
  async *readRefs(refs: readonly ChunkRef[], options: ReadRefsOptions = {}): AsyncGenerator<Uint8Array> {
    const start = Math.max(0, options.start ?? 0);
    const end = options.end ?? Number.MAX_SAFE_INTEGER;
    if (end <= start) return;
    // The slices of refs that intersect [start, end).
    const slices: { ref: ChunkRef; from: number; to: number }[] = [];
    let pos = 0;
    for (const ref of refs) {
      const refEnd = pos + ref.length;
      if (refEnd > start && pos < end && ref.length > 0) {
        slices.push({ ref, from: Math.max(start, pos) - pos, to: Math.min(end, refEnd) - pos });
      }
      pos = refEnd;
      if (pos >= end) break;
    }
    const readahead = Math.max(0, options.readahead ?? 2);
    const pending: Promise<Uint8Array>[] = [];
    let next = 0;
    const fetchNext = (): void => {
      const slice = slices[next++]!;
      const p = this.get(slice.ref.chunk, { signal: options.signal });
      // Prefetches the consumer never reaches must not become unhandled rejections.
      p.catch(() => undefined);
      pending.push(p);
    };
    for (const slice of slices) {
      while (next < slices.length && pending.length <= readahead) fetchNext();
      const bytes = await pending.shift()!;
      const { ref } = slice;
      if (ref.offset + ref.length > bytes.length) {
        throw storageErrors.dataLoss(
          `chunk ${ref.chunk} has ${bytes.length} bytes but a file references bytes ${ref.offset}..${ref.offset + ref.length}: the index and the chunk disagree`,
          { details: { key: this.objects.key(ref.chunk) } },
        );
      }
      yield bytes.subarray(ref.offset + slice.from, ref.offset + slice.to);
    }
  }
}

/** Total bytes referenced by a ref list. */
export function refsSize(refs: readonly ChunkRef[]): number {
  let n = 0;
  for (const r of refs) n += r.length;
  return n;
}

/**
 * `a` followed by `b`, merging the seam when `b` continues `a`'s last slice of the same chunk
 * (appends of consecutive writes stay one ref).
 */
export function concatRefs(a: readonly ChunkRef[], b: readonly ChunkRef[]): ChunkRef[] {
  if (a.some((r) => r.length === 0) || b.some((r) => r.length === 0)) {
    return concatRefs(
      a.filter((r) => r.length > 0),
      b.filter((r) => r.length > 0),
    );
  }
  if (a.length === 0) return b.slice();
  if (b.length === 0) return a.slice();
  const last = a[a.length - 1]!;
  const first = b[0]!;
  if (last.chunk === first.chunk && last.offset + last.length === first.offset) {
    return [
      ...a.slice(0, -1),
      { chunk: last.chunk, offset: last.offset, length: last.length + first.length },
      ...b.slice(1),
    ];
  }
  return [...a, ...b];
}
