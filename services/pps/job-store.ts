/**
 * Job, datum and shard records in etcd: reads, compare-and-swap updates and batched writes.
 * Concurrency: job updates are CAS on the job key (fn may run several times: keep it pure).
 */
import { CAS_KEEP, type Kv } from '../platform/etcd/index.ts';
import {
  decode,
  encode,
  keys,
  TERMINAL_JOB_STATES,
  type DatumRecord,
  type JobRecord,
  type ShardRecord,
} from './records.ts';
import { ppsErrors } from './spec/index.ts';

/** etcd refuses transactions with more than 128 operations by default; stay well below. */
const TXN_OPS = 64;

export class JobStore {
  readonly kv: Kv;

  constructor(kv: Kv) {
    this.kv = kv;
  }

  async get(
    pipeline: string,
    id: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<JobRecord | undefined> {
    const e = await this.kv.get(keys.job(pipeline, id), options);
    return e ? decode<JobRecord>(e.value) : undefined;
  }

  async inspect(pipeline: string, id: string, options: { signal?: AbortSignal } = {}): Promise<JobRecord> {
    const job = await this.get(pipeline, id, options);
    if (!job) throw ppsErrors.notFound(`pps: job ${pipeline}@${id} not found`);
    return job;
  }

  /** Creates the job unless it exists; returns the stored one. */
  async createIfAbsent(
    job: JobRecord,
    options: { signal?: AbortSignal } = {},
  ): Promise<{ job: JobRecord; created: boolean }> {
    const res = await this.kv
      .txn()
      .ifAbsent(keys.job(job.pipeline, job.id))
      .put(keys.job(job.pipeline, job.id), encode(job))
      .commit(options);
    if (res.succeeded) return { job, created: true };
    return { job: await this.inspect(job.pipeline, job.id, options), created: false };
  }

  /**
   * Updates a job; `fn` returns undefined to leave it. A terminal job is never changed (so a late
   * writer cannot resurrect it). NOT_FOUND when the job is gone.
   */
  async update(
    pipeline: string,
    id: string,
    fn: (job: JobRecord) => JobRecord | undefined,
    options: { signal?: AbortSignal } = {},
  ): Promise<JobRecord> {
    let out: JobRecord | undefined;
    await this.kv.casUpdate(
      keys.job(pipeline, id),
      (e) => {
        if (!e) throw ppsErrors.notFound(`pps: job ${pipeline}@${id} not found`);
        const job = decode<JobRecord>(e.value);
        out = job;
        if (TERMINAL_JOB_STATES.has(job.state)) return CAS_KEEP;
        const next = fn(job);
        if (!next) return CAS_KEEP;
        out = next;
        return encode(next);
      },
      options,
    );
    return out!;
  }

  /** Jobs of one pipeline (or all), in key order. */
  async *list(pipeline?: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<JobRecord> {
    for await (const e of this.kv.list(keys.jobs(pipeline), options)) yield decode<JobRecord>(e.value);
  }

  async getDatum(
    pipeline: string,
    job: string,
    id: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<DatumRecord | undefined> {
    const e = await this.kv.get(keys.datum(pipeline, job, id), options);
    return e ? decode<DatumRecord>(e.value) : undefined;
  }

  async *datums(
    pipeline: string,
    job: string,
    options: { signal?: AbortSignal; startAfter?: string } = {},
  ): AsyncGenerator<DatumRecord> {
    const prefix = keys.datums(pipeline, job);
    for await (const e of this.kv.list(prefix, options.signal ? { signal: options.signal } : {})) {
      if (options.startAfter !== undefined && e.key.slice(prefix.length) <= options.startAfter) continue;
      yield decode<DatumRecord>(e.value);
    }
  }

  async getShard(
    pipeline: string,
    job: string,
    id: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<ShardRecord | undefined> {
    const e = await this.kv.get(keys.shard(pipeline, job, id), options);
    return e ? decode<ShardRecord>(e.value) : undefined;
  }
}

/** Buffers puts and writes them in transactions of at most TXN_OPS operations. */
export class BatchWriter {
  readonly #kv: Kv;
  readonly #signal: AbortSignal | undefined;
  #ops: { key: string; value: string }[] = [];

  constructor(kv: Kv, signal?: AbortSignal) {
    this.#kv = kv;
    this.#signal = signal;
  }

  async put(key: string, value: string): Promise<void> {
    this.#ops.push({ key, value });
    if (this.#ops.length >= TXN_OPS) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#ops.length === 0) return;
    const txn = this.#kv.txn();
    for (const op of this.#ops) txn.put(op.key, op.value);
    this.#ops = [];
    await txn.commit(this.#signal ? { signal: this.#signal } : {});
  }
}
