/**
 * In-memory ObjectStore for unit tests. Same semantics as the real backends (atomic put, range
 * reads, ordered paged listing), checked by the shared conformance suite.
 */
import { platformErrors } from '../errors.ts';
import type { GetOptions, ListOptions, ObjectBody, ObjectInfo, ObjectStore, PutResult, SignalOptions } from './object-store.ts';

interface StoredObject {
  bytes: Uint8Array;
  lastModified: Date;
}

export class MemoryObjectStore implements ObjectStore {
  readonly description = 'memory:';
  readonly #objects = new Map<string, StoredObject>();

  async put(key: string, body: ObjectBody, options: SignalOptions = {}): Promise<PutResult> {
    options.signal?.throwIfAborted();
    const parts: Uint8Array[] = [];
    if (body instanceof Uint8Array) {
      parts.push(body);
    } else {
      for await (const part of body) {
        options.signal?.throwIfAborted();
        parts.push(part);
      }
    }
    options.signal?.throwIfAborted();
    const bytes = Buffer.concat(parts);
    // Copy so a caller reusing its buffer cannot change a stored object.
    this.#objects.set(key, { bytes: new Uint8Array(bytes), lastModified: new Date() });
    return { size: bytes.length };
  }

  async *get(key: string, options: GetOptions = {}): AsyncIterable<Uint8Array> {
    options.signal?.throwIfAborted();
    const stored = this.#objects.get(key);
    if (!stored) throw platformErrors.notFound(`object "${key}" not found`);
    const size = stored.bytes.length;
    const start = options.range?.start ?? 0;
    const end = Math.min(options.range?.end ?? size, size);
    if (start > size || (start === size && size > 0 && options.range)) {
      throw platformErrors.invalidArgument(`range start ${start} is past the end of "${key}" (${size} bytes)`);
    }
    const slice = stored.bytes.subarray(start, Math.max(start, end));
    const step = 1 << 20;
    for (let off = 0; off < slice.length; off += step) {
      options.signal?.throwIfAborted();
      yield slice.subarray(off, Math.min(off + step, slice.length));
    }
  }

  async head(key: string, options: SignalOptions = {}): Promise<ObjectInfo> {
    options.signal?.throwIfAborted();
    const stored = this.#objects.get(key);
    if (!stored) throw platformErrors.notFound(`object "${key}" not found`);
    return { key, size: stored.bytes.length, lastModified: stored.lastModified };
  }

  async delete(key: string, options: SignalOptions = {}): Promise<void> {
    options.signal?.throwIfAborted();
    this.#objects.delete(key);
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    const pageSize = options.pageSize ?? 1000;
    let after = options.startAfter ?? '';
    for (;;) {
      options.signal?.throwIfAborted();
      // Each page re-reads the key set, as a real backend would, so concurrent puts are tolerated.
      const page = [...this.#objects.keys()]
        .filter((k) => k.startsWith(prefix) && k > after)
        .sort()
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
