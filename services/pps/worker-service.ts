/**
 * The pps side of the worker protocol (proto/terrain/pps/v1/worker.proto): worker registration
 * under an etcd lease that only the worker's RenewLease calls keep alive, shard claims recorded
 * under that lease, and datum results accepted only from the claim holder.
 *
 * Concurrency: a claim is taken with one transaction (claim key absent, shard unchanged); a report
 * is applied with one transaction that compares the claim's value (the worker ID) and deletes the
 * claim and the shard, so of two racing reports for one shard (a worker whose lease expired and
 * its successor) exactly one counts: no datum's output is counted twice. When a lease expires,
 * etcd deletes the claim, and the shard is pending again for any worker.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { etcdCall, parseRevision, watchPrefix, type Kv } from '../platform/etcd/index.ts';
import { isErrorCode } from '../platform/errors.ts';
import type { JobStore } from './job-store.ts';
import type { Logs } from './logs.ts';
import type { PfsApi } from './pfs-client.ts';
import type { Pipelines } from './pipelines.ts';
import {
  decode,
  encode,
  keys,
  type DatumRecord,
  type JobRecord,
  type LogLineRecord,
  type ShardRecord,
  type StatsRecord,
  type WorkerRecord,
} from './records.ts';
import { ppsErrors, type PipelineSpec } from './spec/index.ts';

/** How long pps keeps a reported output file set alive (pfs's maximum handle TTL). */
const OUTPUT_HANDLE_TTL_SECONDS = 24 * 3600;
/** The longest AcquireShard wait pps grants. */
const MAX_WAIT_MS = 30_000;

export interface WorkerServiceDeps {
  kv: Kv;
  jobs: JobStore;
  pipelines: Pipelines;
  logs: Logs;
  pfs: () => PfsApi;
  logger: Logger;
  /** Lease TTL given to workers (seconds; default 30). */
  leaseTtlSeconds?: number;
}

export interface AcquiredShard {
  shard: ShardRecord;
  job: JobRecord;
  spec: PipelineSpec;
  datums: (DatumRecord & { attempt: number })[];
}

export interface DatumReport {
  datumId: string;
  state: 'SUCCESS' | 'FAILED' | 'RECOVERED';
  outputFileSetId: string;
  error: string;
  exitCode: number;
  stats: StatsRecord;
  started?: string;
  finished?: string;
  inputFiles: NonNullable<DatumRecord['inputFiles']>;
}

export class WorkerService {
  readonly #d: WorkerServiceDeps;
  readonly ttlSeconds: number;

  constructor(deps: WorkerServiceDeps) {
    this.#d = deps;
    this.ttlSeconds = deps.leaseTtlSeconds ?? 30;
  }

  /** NOT_FOUND for an unknown pipeline; FAILED_PRECONDITION when it is stopped. */
  async register(
    pipeline: string,
    name: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<{ worker: WorkerRecord; expires: Date }> {
    const p = await this.#d.pipelines.inspect(pipeline, options);
    if (p.stopped)
      throw ppsErrors.failedPrecondition(`pps: pipeline "${pipeline}" is stopped; the worker should exit`);
    const kv = this.#d.kv;
    const res = await etcdCall('grant a worker lease', options.signal, () =>
      kv.client.leaseClient.leaseGrant({ TTL: this.ttlSeconds }),
    );
    const worker: WorkerRecord = {
      id: randomBytes(12).toString('hex'),
      pipeline,
      name,
      leaseId: res.ID,
      ttlSeconds: parseRevision(res.TTL),
      registered: new Date().toISOString(),
    };
    await kv.put(keys.worker(worker.id), encode(worker), { ...options, lease: worker.leaseId });
    return { worker, expires: new Date(Date.now() + worker.ttlSeconds * 1000) };
  }

  async #worker(id: string, signal?: AbortSignal): Promise<WorkerRecord> {
    const e = await this.#d.kv.get(keys.worker(id), signal ? { signal } : {});
    if (!e) throw ppsErrors.notFound(`pps: worker "${id}" is unknown or its lease expired; register again`);
    return decode<WorkerRecord>(e.value);
  }

  /** Renews the worker's lease. NOT_FOUND when it already expired. */
  async renew(
    workerId: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<{ expires: Date; drain: boolean }> {
    const worker = await this.#worker(workerId, options.signal);
    const kv = this.#d.kv;
    const stream = await etcdCall('renew a worker lease', options.signal, () =>
      kv.client.leaseClient.leaseKeepAlive(),
    );
    let ttl: number;
    try {
      ttl = await new Promise<number>((resolve, reject) => {
        stream.on('data', (r) => resolve(parseRevision(r.TTL)));
        stream.on('error', reject);
        stream.write({ ID: worker.leaseId });
      });
    } finally {
      stream.end();
    }
    if (ttl <= 0)
      throw ppsErrors.notFound(
        `pps: worker "${workerId}" lease expired; abandon its shards and register again`,
      );
    const p = await this.#d.pipelines.get(worker.pipeline, options);
    return { expires: new Date(Date.now() + ttl * 1000), drain: !p || p.stopped };
  }

  /** Claims a pending shard of the worker's pipeline, waiting up to `waitMs` for one. */
  async acquire(
    workerId: string,
    waitMs: number,
    options: { signal?: AbortSignal } = {},
  ): Promise<{ acquired?: AcquiredShard; drain: boolean }> {
    const worker = await this.#worker(workerId, options.signal);
    const deadline = Date.now() + Math.min(Math.max(0, waitMs), MAX_WAIT_MS);
    const kv = this.#d.kv;
    for (;;) {
      const p = await this.#d.pipelines.get(worker.pipeline, options);
      if (!p || p.stopped) return { drain: true };
      const rev = await kv.revision(options);
      const claimed = new Set<string>();
      for await (const e of kv.list(keys.claims(worker.pipeline), {
        revision: rev,
        keysOnly: true,
        ...options,
      })) {
        claimed.add(e.key.slice(keys.claims(worker.pipeline).length));
      }
      for await (const e of kv.list(keys.shards(worker.pipeline), { revision: rev, ...options })) {
        const rel = e.key.slice(keys.shards(worker.pipeline).length);
        if (claimed.has(rel)) continue;
        const shard = decode<ShardRecord>(e.value);
        const job = await this.#d.jobs.get(shard.pipeline, shard.jobId, options);
        // A shard is written after all its datum records, so it may run while the job is still
        // STARTING (cutting later shards); the move to RUNNING makes no event under work/.
        if (!job || (job.state !== 'RUNNING' && job.state !== 'STARTING')) continue;
        const claimKey = keys.claim(shard.pipeline, shard.jobId, shard.id);
        const res = await kv
          .txn()
          .ifAbsent(claimKey)
          .ifModRevision(e.key, e.modRevision)
          .put(claimKey, worker.id, { lease: worker.leaseId })
          .commit(options);
        if (!res.succeeded) continue;
        const specEntry = await kv.get(keys.spec(job.pipeline, job.pipelineVersion), options);
        const spec = JSON.parse(
          specEntry ? decode<{ specJson: string }>(specEntry.value).specJson : '{}',
        ) as PipelineSpec;
        const datums: AcquiredShard['datums'] = [];
        for (const d of shard.datums) {
          const record = await this.#d.jobs.getDatum(shard.pipeline, shard.jobId, d.id, options);
          if (record) datums.push({ ...record, attempt: d.attempt });
        }
        return { acquired: { shard, job, spec, datums }, drain: false };
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) return { drain: false };
      // Wait for a new shard or a released claim (lease expiry deletes the claim key).
      const wait = AbortSignal.any([
        AbortSignal.timeout(remaining),
        ...(options.signal ? [options.signal] : []),
      ]);
      try {
        for await (const ev of watchPrefix(kv, keys.work(worker.pipeline), {
          fromRevision: rev + 1,
          signal: wait,
        })) {
          if (ev.type === 'put' && ev.key.startsWith(keys.shards(worker.pipeline))) break;
          if (ev.type === 'delete' && ev.key.startsWith(keys.claims(worker.pipeline))) break;
          if (ev.type === 'reset-end') break;
        }
      } catch (err) {
        if (options.signal?.aborted) throw err;
        if (!wait.aborted) throw err;
        return { drain: false };
      }
    }
  }

  /**
   * Applies a shard's datum results. ABORTED when the worker no longer holds the claim (nothing is
   * applied); INVALID_ARGUMENT for a datum not in the shard or a SUCCESS without output;
   * FAILED_PRECONDITION when a final report leaves datums unreported.
   */
  async complete(
    workerId: string,
    shardId: string,
    reports: readonly DatumReport[],
    partial: boolean,
    options: { signal?: AbortSignal } = {},
  ): Promise<number> {
    const worker = await this.#worker(workerId, options.signal);
    const jobId = shardId.split('.')[0] ?? '';
    const pipeline = worker.pipeline;
    const claimKey = keys.claim(pipeline, jobId, shardId);
    const shardKey = keys.shard(pipeline, jobId, shardId);
    const claim = await this.#d.kv.get(claimKey, options);
    const shardEntry = await this.#d.kv.get(shardKey, options);
    if (!claim || Buffer.from(claim.value).toString() !== workerId || !shardEntry) {
      throw ppsErrors.aborted(
        `pps: shard "${shardId}" is no longer held by worker "${workerId}"; its results were discarded`,
      );
    }
    const shard = decode<ShardRecord>(shardEntry.value);
    const job = await this.#d.jobs.inspect(pipeline, jobId, options);
    const specEntry = await this.#d.kv.get(keys.spec(pipeline, job.pipelineVersion), options);
    const spec = JSON.parse(
      specEntry ? decode<{ specJson: string }>(specEntry.value).specJson : '{}',
    ) as Partial<PipelineSpec>;
    const tries = spec.datum_tries ?? 3;
    const inShard = new Map(shard.datums.map((d) => [d.id, d]));
    const reported = new Set<string>();
    const txn = this.#d.kv.txn().ifValue(claimKey, workerId).ifModRevision(shardKey, shardEntry.modRevision);
    const retry: ShardRecord['datums'] = [];
    let finalFailure: { id: string; error: string } | undefined;
    for (const r of reports) {
      const entry = inShard.get(r.datumId);
      if (!entry)
        throw ppsErrors.invalidArgument(`pps: datum "${r.datumId}" is not part of shard "${shardId}"`);
      if (r.state === 'SUCCESS' && !r.outputFileSetId) {
        throw ppsErrors.invalidArgument(
          `pps: datum "${r.datumId}" reported SUCCESS without output_file_set_id`,
        );
      }
      reported.add(r.datumId);
      const record = await this.#d.jobs.getDatum(pipeline, jobId, r.datumId, options);
      if (!record) continue;
      if (r.state === 'SUCCESS') {
        // Keep the output alive until the job assembles its output commit.
        await this.#d
          .pfs()
          .renewFileSet(
            { fileSetId: r.outputFileSetId, ttl: { seconds: BigInt(OUTPUT_HANDLE_TTL_SECONDS), nanos: 0 } },
            options,
          );
      }
      let state: DatumRecord['state'] = r.state;
      if (r.state === 'FAILED' && entry.attempt < tries) {
        state = 'PENDING';
        retry.push({ ...entry, attempt: entry.attempt + 1 });
      } else if (r.state === 'FAILED') {
        finalFailure ??= { id: r.datumId, error: r.error };
      }
      const next: DatumRecord = {
        ...record,
        state,
        attempts: entry.attempt,
        error: r.error,
        workerId,
        outputFileSetId: r.state === 'SUCCESS' ? r.outputFileSetId : '',
        stats: r.stats,
        ...(r.started ? { started: r.started } : {}),
        ...(r.finished ? { finished: r.finished } : {}),
        inputFiles: r.inputFiles,
      };
      txn.put(keys.datum(pipeline, jobId, r.datumId), encode(next));
    }
    const unreported = shard.datums.filter((d) => !reported.has(d.id));
    if (!partial && unreported.length > 0) {
      throw ppsErrors.failedPrecondition(
        `pps: the final report for shard "${shardId}" leaves ${unreported.length} datums unreported (first: ${unreported[0]!.id}); report every datum or set partial`,
      );
    }
    if (finalFailure) {
      // The job fails: no other shard of it needs to run.
      txn.deletePrefix(keys.shards(pipeline, jobId)).deletePrefix(keys.claims(pipeline, jobId));
    } else if (partial) {
      txn.put(shardKey, encode({ ...shard, datums: [...unreported, ...retry] }));
    } else {
      txn.delete(shardKey).delete(claimKey);
      if (retry.length > 0) {
        const retryId = `${shardId}-r${retry[0]!.attempt}`;
        txn.put(keys.shard(pipeline, jobId, retryId), encode({ ...shard, id: retryId, datums: retry }));
      }
    }
    const res = await txn.commit(options);
    if (!res.succeeded) {
      throw ppsErrors.aborted(
        `pps: shard "${shardId}" is no longer held by worker "${workerId}"; its results were discarded`,
      );
    }
    if (finalFailure) {
      await this.#d.logs.pps(
        pipeline,
        jobId,
        `datum ${finalFailure.id} failed ${tries} times: ${finalFailure.error}`,
      );
    }
    return reports.length;
  }

  /** Stores log lines pushed by a worker (pipeline forced to the worker's). */
  async pushLogs(
    workerId: string,
    lines: LogLineRecord[],
    options: { signal?: AbortSignal } = {},
  ): Promise<number> {
    const worker = await this.#worker(workerId, options.signal);
    return this.#d.logs.append(
      lines.map((l) => ({ ...l, pipeline: worker.pipeline, workerId })),
      options,
    );
  }

  /** Number of live workers of a pipeline. */
  async countWorkers(pipeline: string, options: { signal?: AbortSignal } = {}): Promise<number> {
    let n = 0;
    for await (const e of this.#d.kv.list(keys.workers(), options)) {
      if (decode<WorkerRecord>(e.value).pipeline === pipeline) n++;
    }
    return n;
  }
}

export function isAborted(err: unknown): boolean {
  return isErrorCode(err, 'aborted');
}
