/**
 * UnitOfWork: reads and writes of one pfs operation — or of a whole multi-operation transaction —
 * applied as ONE etcd transaction.
 *
 * Reads go through an overlay of the writes made so far, so later steps see earlier ones (an
 * `add_file_set` after a `start_commit` in one transaction finds the new commit). Every key read
 * from etcd is remembered with its mod revision (0 when absent) and compared at commit, so if
 * anything read changed meanwhile the commit fails and the caller rebuilds the work from fresh
 * reads: no lost updates, and nobody ever sees half of it.
 *
 * Listings are not compared key by key (a key created under a listed prefix by someone else is not
 * detected); pfs only lists small sets (branches, children, members) whose writers also touch a
 * compared key, such as the branch or the commit they belong to.
 */
import type { KvEntry, Kv } from '../platform/etcd/index.ts';
import { pfsErrors } from './errors.ts';

export interface SignalOptions {
  signal?: AbortSignal;
}

/** The read side shared by `Kv` and `UnitOfWork`. */
export interface KvReader {
  get(key: string, options?: SignalOptions): Promise<KvEntry | undefined>;
  list(
    prefix: string,
    options?: SignalOptions & { keysOnly?: boolean; pageSize?: number },
  ): AsyncIterable<KvEntry>;
}

/** etcd allows 128 operations per transaction; keep headroom for compares. */
const MAX_OPS = 120;

export class UnitOfWork implements KvReader {
  readonly kv: Kv;
  /** Keys read from etcd → the mod revision seen (0 = absent). */
  readonly #reads = new Map<string, number>();
  /** Keys written → new value, or null for deleted. */
  readonly #writes = new Map<string, Uint8Array | null>();

  constructor(kv: Kv) {
    this.kv = kv;
  }

  async get(key: string, options: SignalOptions = {}): Promise<KvEntry | undefined> {
    if (this.#writes.has(key)) {
      const value = this.#writes.get(key);
      return value ? { key, value, modRevision: 0, createRevision: 0, version: 0, lease: '0' } : undefined;
    }
    const entry = await this.kv.get(key, options);
    if (!this.#reads.has(key)) this.#reads.set(key, entry?.modRevision ?? 0);
    return entry;
  }

  async *list(
    prefix: string,
    options: SignalOptions & { keysOnly?: boolean; pageSize?: number } = {},
  ): AsyncGenerator<KvEntry> {
    const written = [...this.#writes.keys()].filter((k) => k.startsWith(prefix)).sort();
    let w = 0;
    const fromOverlay = (key: string): KvEntry | undefined => {
      const value = this.#writes.get(key);
      return value ? { key, value, modRevision: 0, createRevision: 0, version: 0, lease: '0' } : undefined;
    };
    for await (const entry of this.kv.list(prefix, options)) {
      // Merge the overlay's keys in order.
      while (w < written.length && written[w]! < entry.key) {
        const e = fromOverlay(written[w++]!);
        if (e) yield e;
      }
      if (this.#writes.has(entry.key)) {
        if (written[w] === entry.key) w++;
        const e = fromOverlay(entry.key);
        if (e) yield e;
        continue;
      }
      yield entry;
    }
    while (w < written.length) {
      const e = fromOverlay(written[w++]!);
      if (e) yield e;
    }
  }

  put(key: string, value: Uint8Array | string): this {
    this.#writes.set(key, typeof value === 'string' ? Buffer.from(value) : value);
    return this;
  }

  delete(key: string): this {
    this.#writes.set(key, null);
    return this;
  }

  readonly #finishing = new Set<string>();

  /** Records that this unit finishes `repo@id` (inputs finished in the same transaction count as finished). */
  noteFinish(repo: string, id: string): void {
    this.#finishing.add(`${repo}@${id}`);
  }

  finishes(repo: string, id: string): boolean {
    return this.#finishing.has(`${repo}@${id}`);
  }

  /** Compares `key` at `modRevision` (0 = absent) even if it was not read through this unit. */
  expect(key: string, modRevision: number): this {
    if (!this.#reads.has(key)) this.#reads.set(key, modRevision);
    return this;
  }

  get size(): number {
    return this.#reads.size + this.#writes.size;
  }

  /** Applies every write if nothing read has changed; false when something did (rebuild and retry). */
  async commit(options: SignalOptions = {}): Promise<boolean> {
    if (this.#writes.size === 0) return true;
    if (this.#writes.size > MAX_OPS) {
      throw pfsErrors.invalidArgument(
        `this operation would change ${this.#writes.size} records at once (at most ${MAX_OPS}); split it into smaller transactions`,
      );
    }
    const txn = this.kv.txn();
    for (const [key, rev] of this.#reads) {
      if (rev === 0) txn.ifAbsent(key);
      else txn.ifModRevision(key, rev);
    }
    for (const [key, value] of this.#writes) {
      if (value) txn.put(key, value);
      else txn.delete(key);
    }
    return (await txn.commit(options)).succeeded;
  }
}
