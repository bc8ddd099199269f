/**
 * Content-addressed objects (`chunks/<sha256>`, `index/<sha256>`): put-if-absent with a
 * freshness rule that keeps deduplication safe against the garbage collector, and verified reads.
 *
 * GC contract. The collector (in pfs) deletes an unreachable object only when its lastModified is
 * older than the mark's start minus a grace period. A writer that finds an object already present
 * (deduplication) relies on that object surviving until the writer registers a root that
 * references it. So a dedup hit counts only when the existing object was written less than
 * `refreshAfterMs` ago; an older object is written again, which refreshes its lastModified. The
 * in-process cache of known-present hashes follows the same rule. This is safe when
 *   grace ≥ refreshAfterMs + the longest time a writer takes from a put/dedup to registering a root
 * (a file-set handle or a commit). Freshness compares this process's clock with the object store's
 * lastModified; clock skew must stay well below refreshAfterMs.
 *
 * Concurrency: any number of concurrent puts and gets; concurrent puts of one hash share one
 * upload, concurrent gets of one hash share one download. Puts of one key by several processes are
 * harmless (same bytes).
 */
import type { ObjectStore } from '../../platform/object-store/object-store.ts';
import { isErrorCode } from '../../platform/errors.ts';
import { storageErrors } from './errors.ts';
import { sha256Async, type Sha256Hex } from './hash.ts';
import { LruCache } from './lru.ts';

export const DEFAULT_REFRESH_AFTER_MS = 60 * 60 * 1000;

export interface ContentObjectsOptions {
  /** A present object older than this is written again instead of deduplicated. Default 1 hour. */
  refreshAfterMs?: number;
  /** How many known-present hashes to remember. Default 200,000. */
  knownEntries?: number;
  /** Ask the store (head) before a put of an unknown hash. Chunks: yes; small pages: no. */
  headBeforePut: boolean;
}

export interface ContentCounters {
  /** Objects written to the store. */
  puts: number;
  /** Bytes written to the store. */
  putBytes: number;
  /** Puts skipped because the object was known (cache) or found (head) to be fresh. */
  dedupHits: number;
  /** Objects read from the store (cache misses). */
  gets: number;
  getBytes: number;
}

export class ContentObjects {
  readonly store: ObjectStore;
  readonly prefix: string;
  readonly #what: string;
  readonly #refreshAfterMs: number;
  readonly #headBeforePut: boolean;
  /** hash → the time (ms) from which the object is known to exist and be fresh. */
  readonly #known: LruCache<number>;
  readonly #putting = new Map<string, Promise<boolean>>();
  readonly counters: ContentCounters = { puts: 0, putBytes: 0, dedupHits: 0, gets: 0, getBytes: 0 };

  constructor(store: ObjectStore, prefix: string, what: string, options: ContentObjectsOptions) {
    this.store = store;
    this.prefix = prefix;
    this.#what = what;
    this.#refreshAfterMs = options.refreshAfterMs ?? DEFAULT_REFRESH_AFTER_MS;
    this.#headBeforePut = options.headBeforePut;
    this.#known = new LruCache(options.knownEntries ?? 200_000);
  }

  key(hash: Sha256Hex): string {
    return this.prefix + hash;
  }

  /**
   * Stores `bytes` under `hash` unless a fresh copy exists. `hash` must be the SHA-256 of `bytes`
   * (callers computed it already). Returns true when bytes were uploaded.
   */
  async putIfAbsent(
    hash: Sha256Hex,
    bytes: Uint8Array,
    options: { signal?: AbortSignal } = {},
  ): Promise<boolean> {
    const knownSince = this.#known.get(hash);
    if (knownSince !== undefined && Date.now() - knownSince < this.#refreshAfterMs) {
      this.counters.dedupHits++;
      return false;
    }
    const running = this.#putting.get(hash);
    if (running) {
      await running;
      this.counters.dedupHits++;
      return false;
    }
    const task = this.#put(hash, bytes, knownSince === undefined && this.#headBeforePut, options.signal);
    this.#putting.set(hash, task);
    try {
      return await task;
    } finally {
      this.#putting.delete(hash);
    }
  }

  async #put(
    hash: Sha256Hex,
    bytes: Uint8Array,
    head: boolean,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    const key = this.key(hash);
    const started = Date.now();
    if (head) {
      try {
        const info = await this.store.head(key, { signal });
        const modified = info.lastModified.getTime();
        if (started - modified < this.#refreshAfterMs && info.size === bytes.length) {
          this.#known.set(hash, modified, 1);
          this.counters.dedupHits++;
          return false;
        }
      } catch (err) {
        if (!isErrorCode(err, 'not_found')) throw err;
      }
    }
    await this.store.put(key, bytes, { signal });
    this.counters.puts++;
    this.counters.putBytes += bytes.length;
    // The object's lastModified is at least `started`, so freshness counts from there.
    this.#known.set(hash, started, 1);
    return true;
  }

  /**
   * Reads a whole object and checks its SHA-256.
   * @throws DATA_LOSS when the object is missing or its bytes do not match `hash`.
   */
  async getVerified(hash: Sha256Hex, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const key = this.key(hash);
    const parts: Uint8Array[] = [];
    try {
      for await (const part of this.store.get(key, { signal: options.signal })) parts.push(part);
    } catch (err) {
      if (isErrorCode(err, 'not_found')) {
        throw storageErrors.dataLoss(
          `${this.#what} ${hash} is missing from the object store (${this.store.description}): data that a file set references was deleted; restore the object or drop the affected commits`,
          { cause: err, details: { key } },
        );
      }
      throw err;
    }
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const actual = await sha256Async(bytes);
    if (actual !== hash) {
      throw storageErrors.dataLoss(
        `${this.#what} ${hash} is corrupt in the object store (${this.store.description}): its ${bytes.length} bytes hash to ${actual}; restore the object "${key}" from a replica or backup`,
        { details: { key, actual } },
      );
    }
    this.counters.gets++;
    this.counters.getBytes += bytes.length;
    return bytes;
  }
}
