/**
 * In-memory ObjectStore for unit tests. Same semantics as the real backends (atomic put, range
 * reads, ordered paged listing), checked by the shared conformance suite.
 */
import { platformErrors } from '../errors.ts';
import {
  bodyChunks,
  putFailure,
  compareKeys,
  resolveRange,
  validateKey,
  validatePrefix,
  validateRange,
} from './backend-support.ts';
import type {
  GetOptions,
  ListOptions,
  ObjectBody,
  ObjectInfo,
  ObjectStore,
  PutResult,
  SignalOptions,
} from './object-store.ts';

interface StoredObject {
  bytes: Uint8Array;
  lastModified: Date;
}

export class MemoryObjectStore implements ObjectStore {
  readonly description = 'memory:';
  readonly #objects = new Map<string, StoredObject>();

  async put(key: string, body: ObjectBody, options: SignalOptions = {}): Promise<PutResult> {
    validateKey(key);
    const parts: Uint8Array[] = [];
    // bodyChunks rejects at once on abort, even while the body waits for data, and stops the body.
    // Copy each chunk as it arrives: a body may reuse its buffer once the next chunk is requested,
    // and a caller may reuse a whole-buffer body after the put.
    try {
      for await (const part of bodyChunks(body, options.signal)) parts.push(Buffer.from(part));
    } catch (err) {
      throw putFailure(err, options.signal, (e) => e);
    }
    options.signal?.throwIfAborted();
    const bytes = Buffer.concat(parts);
    this.#objects.set(key, { bytes, lastModified: new Date() });
    return { size: bytes.length };
  }

  async *get(key: string, options: GetOptions = {}): AsyncIterable<Uint8Array> {
    validateKey(key);
    validateRange(key, options.range);
    options.signal?.throwIfAborted();
    const stored = this.#objects.get(key);
    if (!stored) throw platformErrors.notFound(`object "${key}" not found`);
    const { start, end } = resolveRange(key, options.range, stored.bytes.length);
    const slice = stored.bytes.subarray(start, end);
    const step = 1 << 20;
    for (let off = 0; off < slice.length; off += step) {
      options.signal?.throwIfAborted();
      yield slice.subarray(off, Math.min(off + step, slice.length));
    }
  }

  async head(key: string, options: SignalOptions = {}): Promise<ObjectInfo> {
    validateKey(key);
    options.signal?.throwIfAborted();
    const stored = this.#objects.get(key);
    if (!stored) throw platformErrors.notFound(`object "${key}" not found`);
    return { key, size: stored.bytes.length, lastModified: stored.lastModified };
  }

  async delete(key: string, options: SignalOptions = {}): Promise<void> {
    validateKey(key);
    options.signal?.throwIfAborted();
    this.#objects.delete(key);
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    validatePrefix(prefix);
    const pageSize = options.pageSize ?? 1000;
    let after = options.startAfter ?? '';
    for (;;) {
      options.signal?.throwIfAborted();
      // Each page re-reads the key set, as a real backend would, so concurrent puts are tolerated.
      const page = [...this.#objects.keys()]
        .filter((k) => k.startsWith(prefix) && compareKeys(k, after) > 0)
        .sort(compareKeys)
        .slice(0, pageSize);
      for (const key of page) {
        const stored = this.#objects.get(key);
        if (stored) yield { key, size: stored.bytes.length, lastModified: stored.lastModified };
      }
      if (page.length < pageSize) return;
      after = page[page.length - 1]!;
    }
  }
}
