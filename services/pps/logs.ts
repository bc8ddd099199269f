/**
 * Log lines of pipelines, jobs and datums, persisted in etcd as small batches under
 * `pps/logs/<pipeline>/<time>-<random>` (each batch ≤ MAX_BATCH_BYTES), so they survive a restart
 * of pps and of the workers, and `follow` is an etcd watch (no polling).
 *
 * Not finished: nothing trims old batches yet; long-lived pipelines should move logs to the object
 * store (one object per batch) with a retention limit.
 */
import { randomBytes } from 'node:crypto';
import { watchPrefix, type Kv } from '../platform/etcd/index.ts';
import { decode, encode, keys, type LogBatchRecord, type LogLineRecord } from './records.ts';

const MAX_BATCH_BYTES = 256 * 1024;
const MAX_LINE_BYTES = 64 * 1024;

export interface LogQuery {
  pipeline: string;
  jobId?: string;
  datumId?: string;
  follow?: boolean;
  since?: Date;
  tail?: number;
  signal?: AbortSignal;
}

export class Logs {
  readonly #kv: Kv;

  constructor(kv: Kv) {
    this.#kv = kv;
  }

  /** Stores lines (of any pipelines), split into bounded batches. Returns the number stored. */
  async append(lines: readonly LogLineRecord[], options: { signal?: AbortSignal } = {}): Promise<number> {
    const byPipeline = new Map<string, LogLineRecord[]>();
    for (const l of lines) {
      const line =
        Buffer.byteLength(l.message) > MAX_LINE_BYTES
          ? { ...l, message: l.message.slice(0, MAX_LINE_BYTES / 4) }
          : l;
      const list = byPipeline.get(line.pipeline) ?? [];
      list.push(line);
      byPipeline.set(line.pipeline, list);
    }
    let stored = 0;
    for (const [pipeline, list] of byPipeline) {
      let batch: LogLineRecord[] = [];
      let bytes = 0;
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        const record: LogBatchRecord = { lines: batch };
        await this.#kv.put(`${keys.logs(pipeline)}${batchKey()}`, encode(record), options);
        stored += batch.length;
        batch = [];
        bytes = 0;
      };
      for (const line of list) {
        const size = Buffer.byteLength(line.message) + 200;
        if (bytes + size > MAX_BATCH_BYTES) await flush();
        batch.push(line);
        bytes += size;
      }
      await flush();
    }
    return stored;
  }

  /** One line written by pps itself. Never throws (logs must not fail a job). */
  async pps(pipeline: string, jobId: string, message: string): Promise<void> {
    await this.append([
      { pipeline, jobId, datumId: '', workerId: '', time: new Date().toISOString(), source: 'PPS', message },
    ]).catch(() => undefined);
  }

  /** Lines matching the query in time order; with follow, then new lines until the signal aborts. */
  async *read(q: LogQuery): AsyncGenerator<LogLineRecord> {
    const prefix = keys.logs(q.pipeline);
    const matches = (l: LogLineRecord): boolean =>
      (!q.jobId || l.jobId === q.jobId) &&
      (!q.datumId || l.datumId === q.datumId) &&
      (!q.since || l.time >= q.since.toISOString());
    const rev = await this.#kv.revision(q.signal ? { signal: q.signal } : {});
    const opts = { revision: rev, ...(q.signal ? { signal: q.signal } : {}) };
    if (q.tail && q.tail > 0) {
      // Keeps only the last `tail` lines in memory.
      const ring: LogLineRecord[] = [];
      for await (const e of this.#kv.list(prefix, opts)) {
        for (const l of decode<LogBatchRecord>(e.value).lines) {
          if (!matches(l)) continue;
          ring.push(l);
          if (ring.length > q.tail) ring.shift();
        }
      }
      yield* ring;
    } else {
      for await (const e of this.#kv.list(prefix, opts)) {
        for (const l of decode<LogBatchRecord>(e.value).lines) if (matches(l)) yield l;
      }
    }
    if (!q.follow) return;
    for await (const ev of watchPrefix(this.#kv, prefix, {
      fromRevision: rev + 1,
      ...(q.signal ? { signal: q.signal } : {}),
    })) {
      if (ev.type !== 'put' || ev.modRevision <= rev) continue;
      for (const l of decode<LogBatchRecord>(ev.value).lines) if (matches(l)) yield l;
    }
  }
}

/** Sortable by time, unique across writers. */
function batchKey(): string {
  return `${Date.now().toString().padStart(15, '0')}-${randomBytes(6).toString('hex')}`;
}
