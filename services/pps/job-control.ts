/**
 * User-driven changes to running jobs: kill (StopJob, pipeline deletion) and RestartDatum. A kill
 * marks the job KILLED and clears its shards and claims in one transaction; the job's runner sees
 * the empty shard prefix, and finishes the output commit with the reason as its error.
 */
import type { Kv } from '../platform/etcd/index.ts';
import { isErrorCode } from '../platform/errors.ts';
import type { JobStore } from './job-store.ts';
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

export class JobControl {
  readonly #kv: Kv;
  readonly #jobs: JobStore;

  constructor(deps: { kv: Kv; jobs: JobStore }) {
    this.#kv = deps.kv;
    this.#jobs = deps.jobs;
  }

  /** Kills a job. Idempotent on KILLED; FAILED_PRECONDITION when it ended otherwise. */
  async kill(
    pipeline: string,
    id: string,
    reason: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<JobRecord> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const entry = await this.#kv.get(keys.job(pipeline, id), options);
      if (!entry) throw ppsErrors.notFound(`pps: job ${pipeline}@${id} not found`);
      const job = decode<JobRecord>(entry.value);
      if (job.state === 'KILLED') return job;
      if (TERMINAL_JOB_STATES.has(job.state)) {
        throw ppsErrors.failedPrecondition(`pps: job ${pipeline}@${id} already ended in ${job.state}`);
      }
      const next: JobRecord = {
        ...job,
        state: 'KILLED',
        reason: `job killed: ${reason}`,
        finished: new Date().toISOString(),
      };
      const res = await this.#kv
        .txn()
        .ifModRevision(keys.job(pipeline, id), entry.modRevision)
        .put(keys.job(pipeline, id), encode(next))
        .deletePrefix(keys.shards(pipeline, id))
        .deletePrefix(keys.claims(pipeline, id))
        .commit(options);
      if (res.succeeded) return next;
    }
    throw ppsErrors.aborted(`pps: job ${pipeline}@${id} kept changing; retry StopJob`);
  }

  /** Kills every job of the pipeline that is not over (except those in `except` states). */
  async killPipelineJobs(
    pipeline: string,
    reason: string,
    options: { signal?: AbortSignal; except?: JobRecord['state'][] } = {},
  ): Promise<void> {
    const rpc = options.signal ? { signal: options.signal } : {};
    for await (const j of this.#jobs.list(pipeline, rpc)) {
      if (TERMINAL_JOB_STATES.has(j.state) || options.except?.includes(j.state)) continue;
      try {
        await this.kill(pipeline, j.id, reason, rpc);
      } catch (err) {
        // It ended on its own meanwhile.
        if (!isErrorCode(err, 'failed_precondition')) throw err;
      }
    }
  }

  /** Sends datums (default: every FAILED one) of a RUNNING job back to PENDING with fresh tries. */
  async restartDatums(
    pipeline: string,
    id: string,
    datumIds: readonly string[],
    options: { signal?: AbortSignal } = {},
  ): Promise<number> {
    const job = await this.#jobs.inspect(pipeline, id, options);
    if (job.state !== 'RUNNING') {
      throw ppsErrors.failedPrecondition(
        `pps: job ${pipeline}@${id} is ${job.state}, not RUNNING; only a running job's datums can be restarted`,
      );
    }
    const chosen: DatumRecord[] = [];
    if (datumIds.length > 0) {
      for (const d of datumIds) {
        const rec = await this.#jobs.getDatum(pipeline, id, d, options);
        if (!rec) throw ppsErrors.notFound(`pps: datum ${d} is not part of job ${pipeline}@${id}`);
        if (rec.state !== 'PENDING') chosen.push(rec);
      }
    } else {
      for await (const rec of this.#jobs.datums(pipeline, id, options))
        if (rec.state === 'FAILED') chosen.push(rec);
    }
    for (let i = 0; i < chosen.length; i += 50) {
      const part = chosen.slice(i, i + 50);
      const shard: ShardRecord = {
        id: `${id}.restart-${Date.now().toString(36)}-${i}`,
        pipeline,
        jobId: id,
        datums: part.map((d) => ({ id: d.id, hash: d.hash, attempt: 1 })),
      };
      const txn = this.#kv.txn().put(keys.shard(pipeline, id, shard.id), encode(shard));
      for (const d of part)
        txn.put(keys.datum(pipeline, id, d.id), encode({ ...d, state: 'PENDING', attempts: 0, error: '' }));
      await txn.commit(options);
    }
    return chosen.length;
  }
}
