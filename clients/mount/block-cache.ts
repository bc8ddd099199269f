/**
 * A bounded LRU cache of file blocks, keyed by content hash and block index: the same bytes are
 * shared by every path and branch that holds them, and a branch that moves can never serve stale
 * bytes (a changed file has a new hash).
 *
 * Concurrency: single-threaded JS; concurrent `get`s of the same missing block share one fetch.
 * A failed fetch is not cached (the next read retries).
 */
export class BlockCache {
  readonly blockBytes: number;
  readonly maxBytes: number;
  #bytes = 0;
  // Map iteration order is insertion order: re-inserting on hit makes the first key the LRU one.
  readonly #blocks = new Map<string, Buffer>();
  readonly #inflight = new Map<string, Promise<Buffer>>();

  constructor(maxBytes = 64 * 1024 * 1024, blockBytes = 2 * 1024 * 1024) {
    this.maxBytes = maxBytes;
    this.blockBytes = blockBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The block, from the cache or from `fetch` (whose result is cached). Throws fetch's error. */
  async get(key: string, fetch: () => Promise<Buffer>): Promise<Buffer> {
    const hit = this.#blocks.get(key);
    if (hit) {
      this.#blocks.delete(key);
      this.#blocks.set(key, hit);
      return hit;
    }
    let pending = this.#inflight.get(key);
    if (!pending) {
      pending = fetch().then(
        (block) => {
          this.#inflight.delete(key);
          this.#put(key, block);
          return block;
        },
        (err: unknown) => {
          this.#inflight.delete(key);
          throw err;
        },
      );
      this.#inflight.set(key, pending);
    }
    return pending;
  }

  has(key: string): boolean {
    return this.#blocks.has(key) || this.#inflight.has(key);
  }

  #put(key: string, block: Buffer): void {
    if (block.byteLength > this.maxBytes) return;
    this.#blocks.set(key, block);
    this.#bytes += block.byteLength;
    for (const [oldest, bytes] of this.#blocks) {
      if (this.#bytes <= this.maxBytes) break;
      this.#blocks.delete(oldest);
      this.#bytes -= bytes.byteLength;
    }
  }
}
