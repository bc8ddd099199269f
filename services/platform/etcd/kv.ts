/**
 * The namespaced KV over etcd: every key lives under one prefix (default `/terrain/`), values are
 * bytes (protobuf-encoded records), and every state change can be a compare-and-swap transaction.
 *
 *   const kv = Kv.connect({ endpoints: 'http://127.0.0.1:2379' });
 *   await kv.put('repos/images', bytes);
 *   const entry = await kv.get('repos/images');            // { value, modRevision, createRevision, … }
 *   const { succeeded } = await kv.txn().ifModRevision('repos/images', entry.modRevision)
 *     .put('repos/images', next).commit();
 *   await kv.casUpdate('counters/n', (old) => String(Number(old ? Buffer.from(old.value) : 0) + 1));
 *   for await (const e of kv.list('repos/')) …                 // paged, key order, one consistent revision
 *
 * Keys given to and returned by a `Kv` are relative to its prefix. Revisions are numbers (etcd's
 * int64 revisions stay far below 2^53). Every method takes `{ signal }`; an aborted write may or may
 * not have been applied. Errors: UNAVAILABLE when etcd is unreachable, RESOURCE_EXHAUSTED when a record
 * or transaction is over the limits of records.ts (nothing is sent), ABORTED when casUpdate gives up,
 * FAILED_PRECONDITION (details.reason = "compacted") for a read at a compacted revision,
 * INVALID_ARGUMENT for bad keys. A `Kv` is safe to use concurrently; consistency between concurrent
 * writers comes only from transactions' compares.
 */
import type { Etcd3, ICompare, IKeyValue, IRequestOp, ITxnResponse } from 'etcd3';
import { platformErrors } from '../errors.ts';
import { connectEtcd, etcdCall, parseRevision, sleep, type EtcdConnectOptions } from './client.ts';
import { checkKey, checkNamespace, keyAfter, prefixEnd, toBytes } from './keys.ts';
import {
  PER_OP_OVERHEAD_BYTES,
  checkRecordSize,
  checkTxnLimits,
  resolveLimits,
  type EtcdLimits,
} from './records.ts';

export const DEFAULT_NAMESPACE = '/terrain/';

/** One key's current value and its revisions. */
export interface KvEntry {
  /** Relative to the Kv's prefix. */
  key: string;
  value: Uint8Array;
  /** Revision of the last write to this key. */
  modRevision: number;
  /** Revision at which the key was created (reset when it is deleted and created again). */
  createRevision: number;
  /** Number of writes since creation. */
  version: number;
  /** Lease the key is attached to, "0" when none. */
  lease: string;
}

export interface KvOptions extends Partial<EtcdLimits> {
  /** Namespace prefix, absolute with a trailing slash; default `/terrain/`. */
  prefix?: string;
}

export interface SignalOption {
  signal?: AbortSignal;
}

export interface GetOptions extends SignalOption {
  /** Read as of this revision (FAILED_PRECONDITION "compacted" when it is gone). */
  revision?: number;
}

export interface ListOptions extends SignalOption {
  /** Entries per request (default 500, at most 10,000). Memory use is bounded by one page. */
  pageSize?: number;
  /** Scan as of this revision; by default the revision of the first page, so the whole scan is one snapshot. */
  revision?: number;
  /** Do not fetch values (value is empty). */
  keysOnly?: boolean;
}

export interface PutOptions extends SignalOption {
  /** Attach the key to this lease (see lease.ts); it is deleted when the lease ends. */
  lease?: string;
}

export interface TxnResult {
  /** True when every compare held and the operations were applied. */
  succeeded: boolean;
  /** Store revision after the transaction (unchanged when it did not succeed). */
  revision: number;
}

/** Returned by a casUpdate function to delete the key. */
export const CAS_DELETE = Symbol('cas-delete');
/** Returned by a casUpdate function to leave the key as it is. */
export const CAS_KEEP = Symbol('cas-keep');
export type CasDecision = Uint8Array | string | typeof CAS_DELETE | typeof CAS_KEEP;

export interface CasOptions extends SignalOption {
  /** Attempts before giving up with ABORTED (default 50). */
  maxAttempts?: number;
  /** Lease for the written value. */
  lease?: string;
}

export interface CasResult {
  /** The key's state after the update (undefined when deleted or absent). */
  entry: KvEntry | undefined;
  /** Store revision of the write, or of the read when nothing was written. */
  revision: number;
  /** False when the function returned CAS_KEEP. */
  changed: boolean;
  attempts: number;
}

/** The largest page a listing asks for. */
export const MAX_PAGE_SIZE = 10_000;

export class Kv {
  readonly client: Etcd3;
  /** Absolute namespace prefix, e.g. `/terrain/`. */
  readonly prefix: string;
  readonly limits: EtcdLimits;
  readonly #prefixBytes: Buffer;
  readonly #ownsClient: boolean;

  /** Wraps an existing client (not closed by `close()`). */
  constructor(client: Etcd3, options: KvOptions = {}, ownsClient = false) {
    this.client = client;
    this.prefix = checkNamespace(options.prefix ?? DEFAULT_NAMESPACE);
    this.#prefixBytes = Buffer.from(this.prefix, 'utf8');
    const { prefix: _prefix, ...limits } = options;
    this.limits = resolveLimits(limits);
    this.#ownsClient = ownsClient;
  }

  /** Connects to etcd and returns a Kv that owns the connection (`close()` closes it). */
  static connect(options: EtcdConnectOptions & KvOptions): Kv {
    const { endpoints, callTimeoutMs, ...kvOptions } = options;
    const client = connectEtcd({ endpoints, ...(callTimeoutMs !== undefined ? { callTimeoutMs } : {}) });
    return new Kv(client, kvOptions, true);
  }

  /** A Kv over `this.prefix + sub` sharing this connection and limits. */
  child(sub: string): Kv {
    const relative = checkKey(sub);
    return new Kv(this.client, { ...this.limits, prefix: checkNamespace(this.prefix + relative) });
  }

  /** Closes the connection when this Kv opened it. */
  close(): void {
    if (this.#ownsClient) this.client.close();
  }

  /** The absolute etcd key of a relative key. */
  fullKey(key: string): Buffer {
    return Buffer.concat([this.#prefixBytes, Buffer.from(key, 'utf8')]);
  }

  /** The relative key of an absolute etcd key returned by etcd. */
  relativeKey(full: Uint8Array): string {
    return Buffer.from(full.buffer, full.byteOffset, full.byteLength)
      .subarray(this.#prefixBytes.length)
      .toString('utf8');
  }

  /** Converts an etcd3 key-value into an entry with a relative key. */
  toEntry(kv: IKeyValue): KvEntry {
    return {
      key: this.relativeKey(kv.key),
      value: kv.value ?? Buffer.alloc(0),
      modRevision: parseRevision(kv.mod_revision),
      createRevision: parseRevision(kv.create_revision),
      version: parseRevision(kv.version),
      lease: kv.lease ?? '0',
    };
  }

  #label(op: string, key: string): string {
    return `${op} "${this.prefix}${key}"`;
  }

  /** The key's entry, or undefined when absent. */
  async get(key: string, options: GetOptions = {}): Promise<KvEntry | undefined> {
    checkKey(key);
    const res = await etcdCall(this.#label('get', key), options.signal, () =>
      this.client.kv.range({
        key: this.fullKey(key),
        ...(options.revision !== undefined ? { revision: options.revision } : {}),
      }),
    );
    const kv = res.kvs[0];
    return kv ? this.toEntry(kv) : undefined;
  }

  /** The key's value as UTF-8, or undefined when absent. */
  async getString(key: string, options: GetOptions = {}): Promise<string | undefined> {
    const entry = await this.get(key, options);
    return entry ? Buffer.from(entry.value).toString('utf8') : undefined;
  }

  /** The store's current revision. */
  async revision(options: SignalOption = {}): Promise<number> {
    const res = await etcdCall('read the current revision', options.signal, () =>
      this.client.kv.range({ key: this.#prefixBytes, count_only: true }),
    );
    return parseRevision(res.header.revision);
  }

  /**
   * Every entry whose key starts with `prefix` (relative; '' for the whole namespace), in key order,
   * fetched page by page. All pages are read at one revision (the first page's, or `options.revision`),
   * so the listing is a consistent snapshot; a snapshot older than the retention of auto-compaction
   * fails with FAILED_PRECONDITION "compacted" — list again.
   */
  async *list(prefix: string, options: ListOptions = {}): AsyncGenerator<KvEntry> {
    checkKey(prefix, { allowEmpty: true });
    const pageSize = Math.min(Math.max(1, options.pageSize ?? 500), MAX_PAGE_SIZE);
    const start = this.fullKey(prefix);
    const end = prefixEnd(start);
    let revision = options.revision;
    let from: Buffer = start;
    for (;;) {
      const res = await etcdCall(this.#label('list', `${prefix}*`), options.signal, () =>
        this.client.kv.range({
          key: from,
          range_end: end,
          limit: pageSize,
          sort_order: 'Ascend',
          sort_target: 'Key',
          ...(revision !== undefined ? { revision } : {}),
          ...(options.keysOnly ? { keys_only: true } : {}),
        }),
      );
      revision ??= parseRevision(res.header.revision);
      for (const kv of res.kvs) yield this.toEntry(kv);
      const last = res.kvs[res.kvs.length - 1];
      if (!res.more || !last) return;
      from = keyAfter(last.key);
    }
  }

  /** Writes `value` (bytes or UTF-8 string); returns the new store revision. */
  async put(key: string, value: Uint8Array | string, options: PutOptions = {}): Promise<number> {
    checkKey(key);
    const bytes = toBytes(value);
    const full = this.fullKey(key);
    checkRecordSize(full.toString('utf8'), bytes, this.limits);
    const res = await etcdCall(this.#label('put', key), options.signal, () =>
      this.client.kv.put({ key: full, value: bytes, ...(options.lease ? { lease: options.lease } : {}) }),
    );
    return parseRevision(res.header.revision);
  }

  /** Deletes the key; `deleted` is false when it was absent. */
  async delete(key: string, options: SignalOption = {}): Promise<{ deleted: boolean; revision: number }> {
    checkKey(key);
    const res = await etcdCall(this.#label('delete', key), options.signal, () =>
      this.client.kv.deleteRange({ key: this.fullKey(key) }),
    );
    return { deleted: parseRevision(res.deleted) > 0, revision: parseRevision(res.header.revision) };
  }

  /** Deletes every key starting with `prefix` (relative; '' empties the namespace) in one request. */
  async deletePrefix(
    prefix: string,
    options: SignalOption = {},
  ): Promise<{ deleted: number; revision: number }> {
    checkKey(prefix, { allowEmpty: true });
    const start = this.fullKey(prefix);
    const res = await etcdCall(this.#label('delete', `${prefix}*`), options.signal, () =>
      this.client.kv.deleteRange({ key: start, range_end: prefixEnd(start) }),
    );
    return { deleted: parseRevision(res.deleted), revision: parseRevision(res.header.revision) };
  }

  /** Starts a transaction: compares, then the writes applied only when they all hold. */
  txn(): Txn {
    return new Txn(this);
  }

  /**
   * Compacts etcd's history up to `revision` (global to the whole etcd, not only this namespace).
   * The embedded etcd does this by itself; this exists for tests and operators.
   */
  async compact(revision: number, options: SignalOption & { physical?: boolean } = {}): Promise<void> {
    await etcdCall(`compact to revision ${revision}`, options.signal, () =>
      this.client.kv.compact({ revision, physical: options.physical ?? true }),
    );
  }

  /**
   * Read-modify-write with compare-and-swap: reads the key, calls `fn` with its entry (undefined
   * when absent), and writes the result only if the key has not changed since (compare on its mod
   * revision). On a conflict it calls `fn` again with the newer entry (returned by the same failed
   * transaction, so no extra read); after repeated conflicts it pauses briefly at random and reads
   * again. `fn` may be called several times and must have no side effects. It returns bytes or a
   * string to write, CAS_DELETE to delete, or CAS_KEEP to leave the key unchanged. Throws ABORTED
   * naming the key after `maxAttempts`; RESOURCE_EXHAUSTED when the new value is over the limit.
   */
  async casUpdate(
    key: string,
    fn: (current: KvEntry | undefined) => CasDecision | Promise<CasDecision>,
    options: CasOptions = {},
  ): Promise<CasResult> {
    checkKey(key);
    const maxAttempts = options.maxAttempts ?? 50;
    const full = this.fullKey(key);
    const label = this.#label('update', key);
    let current = await this.get(key, options.signal ? { signal: options.signal } : {});
    let readRevision: number | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const decision = await fn(current);
      if (decision === CAS_KEEP) {
        return {
          entry: current,
          revision: readRevision ?? current?.modRevision ?? 0,
          changed: false,
          attempts: attempt,
        };
      }
      const compare: ICompare = {
        key: full,
        target: 'Mod',
        result: 'Equal',
        mod_revision: current?.modRevision ?? 0,
      };
      let op: IRequestOp;
      let bytes: Buffer | undefined;
      if (decision === CAS_DELETE) {
        op = { request_delete_range: { key: full } };
      } else {
        bytes = toBytes(decision);
        checkRecordSize(full.toString('utf8'), bytes, this.limits);
        op = { request_put: { key: full, value: bytes, ...(options.lease ? { lease: options.lease } : {}) } };
      }
      const res: ITxnResponse = await etcdCall(label, options.signal, () =>
        this.client.kv.txn({
          compare: [compare],
          success: [op],
          failure: [{ request_range: { key: full } }],
        }),
      );
      const revision = parseRevision(res.header.revision);
      if (res.succeeded) {
        const entry =
          bytes === undefined
            ? undefined
            : {
                key,
                value: bytes,
                modRevision: revision,
                createRevision: current ? current.createRevision : revision,
                version: (current?.version ?? 0) + 1,
                lease: options.lease ?? '0',
              };
        return { entry, revision, changed: true, attempts: attempt };
      }
      const kv = res.responses[0]?.response_range?.kvs[0];
      current = kv ? this.toEntry(kv) : undefined;
      readRevision = revision;
      if (attempt >= 2) {
        // Repeated conflicts: back off a little, then read afresh (what the failed transaction
        // returned is stale after the pause).
        await sleep(Math.random() * Math.min(20, 2 ** attempt), options.signal, label);
        current = await this.get(key, options.signal ? { signal: options.signal } : {});
        readRevision = undefined;
      }
    }
    throw platformErrors.aborted(
      `etcd: gave up updating "${this.prefix}${key}" after ${maxAttempts} attempts: other writers kept changing it; retry later`,
      { details: { key: `${this.prefix}${key}`, attempts: String(maxAttempts) } },
    );
  }
}

type Op =
  | { kind: 'put'; key: string; value: Buffer; lease?: string }
  | { kind: 'delete'; key: string }
  | { kind: 'deletePrefix'; prefix: string };

/**
 * A transaction under construction. Compares are ANDed; `commit` applies the operations only when
 * all hold and reports which way it went. A key may be written at most once per transaction (etcd's
 * rule). Limits are checked at commit, before anything is sent.
 */
export class Txn {
  readonly #kv: Kv;
  readonly #compares: ICompare[] = [];
  readonly #ops: Op[] = [];
  #bytes = 0;
  #firstKey: string | undefined;

  constructor(kv: Kv) {
    this.#kv = kv;
  }

  #note(key: string, bytes: number): void {
    this.#firstKey ??= key;
    this.#bytes += Buffer.byteLength(key) + this.#kv.prefix.length + bytes + PER_OP_OVERHEAD_BYTES;
  }

  /** Holds when the key was last written at `revision`; 0 means the key is absent. */
  ifModRevision(key: string, revision: number): this {
    checkKey(key);
    this.#note(key, 0);
    this.#compares.push({
      key: this.#kv.fullKey(key),
      target: 'Mod',
      result: 'Equal',
      mod_revision: revision,
    });
    return this;
  }

  /** Holds when the key was created at `revision`; 0 means the key is absent. */
  ifCreateRevision(key: string, revision: number): this {
    checkKey(key);
    this.#note(key, 0);
    this.#compares.push({
      key: this.#kv.fullKey(key),
      target: 'Create',
      result: 'Equal',
      create_revision: revision,
    });
    return this;
  }

  /** Holds when the key does not exist. */
  ifAbsent(key: string): this {
    return this.ifCreateRevision(key, 0);
  }

  /** Holds when the key exists and its value equals `value` exactly. */
  ifValue(key: string, value: Uint8Array | string): this {
    checkKey(key);
    const bytes = toBytes(value);
    this.#note(key, bytes.byteLength);
    this.#compares.push({ key: this.#kv.fullKey(key), target: 'Value', result: 'Equal', value: bytes });
    return this;
  }

  put(key: string, value: Uint8Array | string, options: { lease?: string } = {}): this {
    checkKey(key);
    const bytes = toBytes(value);
    checkRecordSize(this.#kv.prefix + key, bytes, this.#kv.limits);
    this.#note(key, bytes.byteLength);
    this.#ops.push({ kind: 'put', key, value: bytes, ...(options.lease ? { lease: options.lease } : {}) });
    return this;
  }

  delete(key: string): this {
    checkKey(key);
    this.#note(key, 0);
    this.#ops.push({ kind: 'delete', key });
    return this;
  }

  /** Deletes every key starting with `prefix` (relative). */
  deletePrefix(prefix: string): this {
    checkKey(prefix, { allowEmpty: true });
    this.#note(prefix, 0);
    this.#ops.push({ kind: 'deletePrefix', prefix });
    return this;
  }

  /** Number of compares and operations so far (to split work before reaching the limits). */
  get size(): { compares: number; ops: number; estimatedBytes: number } {
    return { compares: this.#compares.length, ops: this.#ops.length, estimatedBytes: this.#bytes };
  }

  async commit(options: SignalOption = {}): Promise<TxnResult> {
    const firstKey = `${this.#kv.prefix}${this.#firstKey ?? ''}`;
    checkTxnLimits(
      {
        compares: this.#compares.length,
        successOps: this.#ops.length,
        failureOps: 0,
        estimatedBytes: this.#bytes,
        firstKey,
      },
      this.#kv.limits,
    );
    const success: IRequestOp[] = this.#ops.map((op) => {
      switch (op.kind) {
        case 'put':
          return {
            request_put: {
              key: this.#kv.fullKey(op.key),
              value: op.value,
              ...(op.lease ? { lease: op.lease } : {}),
            },
          };
        case 'delete':
          return { request_delete_range: { key: this.#kv.fullKey(op.key) } };
        case 'deletePrefix': {
          const start = this.#kv.fullKey(op.prefix);
          return { request_delete_range: { key: start, range_end: prefixEnd(start) } };
        }
      }
    });
    const res = await etcdCall(`transaction on "${firstKey}"`, options.signal, () =>
      this.#kv.client.kv.txn({ compare: this.#compares, success, failure: [] }),
    );
    return { succeeded: res.succeeded, revision: parseRevision(res.header.revision) };
  }
}
