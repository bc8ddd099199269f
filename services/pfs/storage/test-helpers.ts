/**
 * Test support for this library's unit tests (not exported from index.ts): a counting ObjectStore
 * decorator, deterministic random bytes, stream collection and corruption of stored objects.
 */
import type {
  GetOptions,
  ListOptions,
  ObjectBody,
  ObjectInfo,
  ObjectStore,
  PutOptions,
  PutResult,
  SignalOptions,
} from '../../platform/object-store/object-store.ts';

export interface OpCounts {
  put: number;
  get: number;
  head: number;
  delete: number;
  list: number;
}

/** Counts operations per key prefix (`chunks/`, `index/`) so tests can assert I/O bounds. */
export class CountingObjectStore implements ObjectStore {
  readonly inner: ObjectStore;
  readonly description: string;
  counts = new Map<string, OpCounts>();

  constructor(inner: ObjectStore) {
    this.inner = inner;
    this.description = `counting(${inner.description})`;
  }

  #count(op: keyof OpCounts, key: string): void {
    const prefix = key.slice(0, key.indexOf('/') + 1);
    let c = this.counts.get(prefix);
    if (!c) this.counts.set(prefix, (c = { put: 0, get: 0, head: 0, delete: 0, list: 0 }));
    c[op]++;
  }

  of(prefix: string): OpCounts {
    return this.counts.get(prefix) ?? { put: 0, get: 0, head: 0, delete: 0, list: 0 };
  }

  reset(): void {
    this.counts = new Map();
  }

  async put(key: string, body: ObjectBody, options?: PutOptions): Promise<PutResult> {
    this.#count('put', key);
    return await this.inner.put(key, body, options);
  }

  get(key: string, options?: GetOptions): AsyncIterable<Uint8Array> {
    this.#count('get', key);
    return this.inner.get(key, options);
  }

  async head(key: string, options?: SignalOptions): Promise<ObjectInfo> {
    this.#count('head', key);
    return await this.inner.head(key, options);
  }

  async delete(key: string, options?: SignalOptions): Promise<void> {
    this.#count('delete', key);
    await this.inner.delete(key, options);
  }

  list(prefix: string, options?: ListOptions): AsyncIterable<ObjectInfo> {
    this.#count('list', prefix);
    return this.inner.list(prefix, options);
  }
}

/** Deterministic pseudo-random bytes (xorshift128), fast enough for tens of MiB. */
export function randomBytes(n: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(n);
  let x = 123456789 ^ seed;
  let y = 362436069;
  let z = 521288629;
  let w = 88675123 ^ Math.imul(seed, 0x9e3779b9);
  const words = Math.floor(n / 4);
  const view = new Uint32Array(out.buffer, out.byteOffset, out.byteOffset % 4 === 0 ? words : 0);
  let i = 0;
  if (view.length === words) {
    for (; i < words; i++) {
      const t = x ^ (x << 11);
      x = y;
      y = z;
      z = w;
      w = w ^ (w >>> 19) ^ (t ^ (t >>> 8));
      view[i] = w;
    }
    i *= 4;
  }
  for (; i < n; i++) {
    const t = x ^ (x << 11);
    x = y;
    y = z;
    z = w;
    w = w ^ (w >>> 19) ^ (t ^ (t >>> 8));
    out[i] = w & 0xff;
  }
  return out;
}

export async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of source) parts.push(p);
  return Buffer.concat(parts);
}

export async function toArray<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of source) out.push(x);
  return out;
}

/** Yields `bytes` in pieces of `size` (to exercise streaming across buffer boundaries). */
export async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < bytes.length; off += size)
    yield bytes.subarray(off, Math.min(off + size, bytes.length));
}

/** Flips one byte of a stored object (rewriting it), as disk corruption would. */
export async function corruptObject(store: ObjectStore, key: string, at = 0): Promise<void> {
  const bytes = Buffer.from(await collect(store.get(key)));
  const i = at % bytes.length;
  bytes[i] = bytes[i]! ^ 0xff;
  await store.put(key, bytes);
}

/** Every key in the store under a prefix. */
export async function keys(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const info of store.list(prefix)) out.push(info.key);
  return out;
}
