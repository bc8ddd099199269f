/**
 * A byte-bounded least-recently-used cache (a Map keeps insertion order; a hit re-inserts).
 * Synchronous, so safe to share between concurrent async readers in one process.
 */
export class LruCache<V> {
  readonly #maxBytes: number;
  readonly #map = new Map<string, { value: V; bytes: number }>();
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: string): V | undefined {
    const hit = this.#map.get(key);
    if (!hit) return undefined;
    this.#map.delete(key);
    this.#map.set(key, hit);
    return hit.value;
  }

  has(key: string): boolean {
    return this.#map.has(key);
  }

  /** Values larger than the whole cache are not kept. */
  set(key: string, value: V, bytes: number): void {
    const old = this.#map.get(key);
    if (old) {
      this.#bytes -= old.bytes;
      this.#map.delete(key);
    }
    if (bytes > this.#maxBytes) return;
    this.#map.set(key, { value, bytes });
    this.#bytes += bytes;
    while (this.#bytes > this.#maxBytes) {
      const oldest = this.#map.keys().next();
      if (oldest.done) break;
      const e = this.#map.get(oldest.value)!;
      this.#map.delete(oldest.value);
      this.#bytes -= e.bytes;
    }
  }

  delete(key: string): void {
    const old = this.#map.get(key);
    if (!old) return;
    this.#bytes -= old.bytes;
    this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
  }
}
