/**
 * The job scheduler: one per cluster (an etcd election), it turns output commits into jobs and
 * drives each job through CREATED → STARTING → RUNNING → FINISHING → SUCCESS / FAILURE (or
 * UNRUNNABLE / KILLED). Design notes: docs/design/pps-jobs.md.
 *
 * - For every pipeline it follows SubscribeCommit(output branch, STARTED) from the start of the
 *   branch's history: a STARTED commit without a job gets a job with the same ID. A restarted
 *   scheduler sees every open commit again, and resumes every job that is not terminal (a scan of
 *   `pps/jobs/`), so nothing is lost and nothing polls.
 * - Jobs of one pipeline run one after another, in creation order, because a job's skipped datums
 *   are decided against the previous successful job.
 * - The RUNNING phase waits (etcd watch) until the job's `shards/` prefix is empty: workers take
 *   shards through the Worker service, which deletes a shard when its datums are all done and
 *   clears every shard of a job that failed or was killed.
 */
import type { Logger } from 'pino';
import { campaign, watchPrefix, type Kv } from '../platform/etcd/index.ts';
import { isErrorCode } from '../platform/errors.ts';
import { CommitState } from '../../proto/gen/terrain/pfs/v1/commit.ts';
import type { FileSetStorage } from '../pfs/storage/index.ts';
import { EMPTY_ROOT, type FileSetReader, type RootHash } from '../pfs/storage/index.ts';
import { iterateDatums, type Datum } from './datums/index.ts';
import type { JobStore } from './job-store.ts';
import { BatchWriter } from './job-store.ts';
import type { PfsApi } from './pfs-client.ts';
import type { Pipelines } from './pipelines.ts';
import {
  addStats,
  decode,
  emptyStats,
  encode,
  keys,
  MAX_SHARD_BYTES,
  MAX_SHARD_DATUMS,
  TERMINAL_JOB_STATES,
  type DatumRecord,
  type JobRecord,
  type PipelineRecord,
  type ShardRecord,
  type SpecVersionRecord,
} from './records.ts';
import type { PipelineSpec } from './spec/index.ts';
import type { Logs } from './logs.ts';
import type { Launcher } from './launchers/launcher.ts';

export interface SchedulerDeps {
  kv: Kv;
  jobs: JobStore;
  pipelines: Pipelines;
  pfs: () => PfsApi;
  storage: FileSetStorage;
  logs: Logs;
  logger: Logger;
  /** Identifies this pps in the election. */
  candidateId: string;
  /** TTL of the scheduler's election lease (seconds). */
  leaseTtlSeconds?: number;
  /** Starts and stops each pipeline's workers (none: workers are started by someone else). */
  launcher?: Launcher;
  addresses?: { pfsAddress: string; ppsAddress: string };
}

/** A handle (see file-sets proto) for a layer list → one root to read. */
export async function rootOfLayers(
  storage: FileSetStorage,
  layers: readonly string[],
  signal?: AbortSignal,
): Promise<RootHash> {
  const roots = layers.map((l) => (l.startsWith('index/') ? l.slice('index/'.length) : l) as RootHash);
  if (roots.length === 0) return EMPTY_ROOT;
  if (roots.length === 1) return roots[0]!;
  const merged = await storage.applyStaged(EMPTY_ROOT, roots, signal ? { signal } : {});
  return merged.root;
}

/** The datum a file belongs to, from its storage tag (pfs `encodeFileTag`: datum, then NUL + metadata). */
export function datumOfTag(tag: string): string {
  const nul = tag.indexOf('\u0000');
  return nul < 0 ? tag : tag.slice(0, nul);
}

export class Scheduler {
  readonly #d: SchedulerDeps;
  readonly #log: Logger;
  /** Per pipeline: the subscription's controller and the tail of its job chain. */
  readonly #pipelines = new Map<
    string,
    { ctl: AbortController; chain: Promise<void>; queued: Set<string> }
  >();
  #signal: AbortSignal = new AbortController().signal;
  readonly #launched = new Map<string, string>();

  constructor(deps: SchedulerDeps) {
    this.#d = deps;
    this.#log = deps.logger.child({ component: 'scheduler' });
  }

  /** Campaigns, then schedules until `signal` aborts; campaigns again after losing leadership. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let leadership;
      try {
        leadership = await campaign(this.#d.kv, 'pps-scheduler', this.#d.candidateId, {
          signal,
          ttlSeconds: this.#d.leaseTtlSeconds ?? 10,
          logger: this.#log,
        });
      } catch (err) {
        if (signal.aborted) return;
        this.#log.warn({ err }, 'scheduler campaign failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      const lead = AbortSignal.any([signal, leadership.lost]);
      this.#signal = lead;
      this.#log.info('pps scheduler is the leader');
      try {
        await this.#lead(lead);
      } catch (err) {
        if (!lead.aborted) this.#log.error({ err }, 'scheduler failed; campaigning again');
      } finally {
        for (const p of this.#pipelines.values()) p.ctl.abort();
        await Promise.allSettled([...this.#pipelines.values()].map((p) => p.chain));
        this.#pipelines.clear();
        await leadership.resign().catch(() => undefined);
      }
    }
  }

  async #lead(signal: AbortSignal): Promise<void> {
    const kv = this.#d.kv;
    const rev = await kv.revision({ signal });
    // Resume every job that is not over, in creation order per pipeline.
    const pending: JobRecord[] = [];
    for await (const e of kv.list(keys.jobs(), { revision: rev, signal })) {
      const job = decode<JobRecord>(e.value);
      if (!TERMINAL_JOB_STATES.has(job.state)) pending.push(job);
    }
    pending.sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : 0));
    for await (const e of kv.list(keys.pipelines(), { revision: rev, signal })) {
      const p = decode<PipelineRecord>(e.value);
      this.#follow(p);
      await this.#launch(p);
    }
    for (const job of pending) this.#enqueue(job.pipeline, job.id);
    for await (const ev of watchPrefix(kv, keys.pipelines(), { fromRevision: rev + 1, signal })) {
      if (ev.type === 'put') {
        const p = decode<PipelineRecord>(ev.value);
        this.#follow(p);
        await this.#launch(p);
      } else if (ev.type === 'delete') {
        const name = ev.key.slice(keys.pipelines().length);
        this.#pipelines.get(name)?.ctl.abort();
        this.#pipelines.delete(name);
        await this.#d.launcher
          ?.stop(name)
          .catch((err: unknown) => this.#log.warn({ err, pipeline: name }, 'stopping workers failed'));
      }
    }
  }

  /** Asks the launcher for the pipeline's workers (or to stop them); failures mark the pipeline. */
  async #launch(p: PipelineRecord): Promise<void> {
    const launcher = this.#d.launcher;
    if (!launcher || !this.#d.addresses) return;
    // Pipeline records change with every job; only a new version or a stop/start concerns workers.
    const launchKey = `${p.version}:${p.stopped}`;
    if (this.#launched.get(p.name) === launchKey) return;
    this.#launched.set(p.name, launchKey);
    try {
      if (p.stopped) await launcher.stop(p.name);
      else {
        const spec = JSON.parse(p.specJson) as PipelineSpec;
        await launcher.start({
          name: p.name,
          specVersion: p.version,
          parallelism: spec.parallelism_spec.constant,
          ...this.#d.addresses,
        });
      }
    } catch (err) {
      this.#log.warn({ err, pipeline: p.name }, 'launching workers failed');
      await this.#d.pipelines.setState(
        p.name,
        'CRASHING',
        `workers could not be launched: ${(err as Error).message}`,
      );
    }
  }

  /** Starts following a pipeline's output branch (once). */
  #follow(p: PipelineRecord): void {
    if (this.#pipelines.has(p.name)) return;
    const ctl = new AbortController();
    const signal = AbortSignal.any([this.#signal, ctl.signal]);
    const entry = { ctl, chain: Promise.resolve(), queued: new Set<string>() };
    this.#pipelines.set(p.name, entry);
    void this.#subscribe(p, signal).catch((err: unknown) => {
      if (!signal.aborted) this.#log.error({ err, pipeline: p.name }, 'following the output branch failed');
    });
  }

  async #subscribe(p: PipelineRecord, signal: AbortSignal): Promise<void> {
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        for await (const info of this.#d
          .pfs()
          .subscribeCommit(
            { repo: { name: p.name }, branch: p.outputBranch, state: CommitState.STARTED },
            { signal },
          )) {
          const id = info.commit?.id;
          if (!id) continue;
          const existing = await this.#d.jobs.get(p.name, id, { signal });
          if (existing) {
            if (!TERMINAL_JOB_STATES.has(existing.state)) this.#enqueue(p.name, id);
            continue;
          }
          if (info.state === CommitState.FINISHED) continue; // history from before pps knew it
          const current = await this.#d.pipelines.get(p.name, { signal });
          if (!current) return;
          const job: JobRecord = {
            pipeline: p.name,
            id,
            pipelineVersion: current.version,
            salt: current.salt,
            state: 'CREATED',
            reason: '',
            outputRepo: p.name,
            outputBranch: current.outputBranch,
            inputCommits: info.directProvenance.map((c) => ({ repo: c.repo?.name ?? '', id: c.id })),
            created: new Date().toISOString(),
            total: 0,
            processed: 0,
            skipped: 0,
            failed: 0,
            recovered: 0,
            stats: emptyStats(),
          };
          const { created } = await this.#d.jobs.createIfAbsent(job, { signal });
          if (created) {
            await this.#d.pipelines.noteJob(p.name, id, 'CREATED');
            await this.#d.logs.pps(p.name, id, `job ${id} created for output commit ${p.name}@${id}`);
          }
          this.#enqueue(p.name, id);
        }
        return;
      } catch (err) {
        if (signal.aborted) return;
        // The output repo is gone: the pipeline was deleted (its record goes first).
        if (isErrorCode(err, 'not_found') && !(await this.#d.pipelines.get(p.name, { signal }))) return;
        this.#log.warn({ err, pipeline: p.name }, 'SubscribeCommit failed; retrying');
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
      }
    }
  }

  #enqueue(pipeline: string, id: string): void {
    let entry = this.#pipelines.get(pipeline);
    if (!entry) {
      entry = { ctl: new AbortController(), chain: Promise.resolve(), queued: new Set() };
      this.#pipelines.set(pipeline, entry);
    }
    if (entry.queued.has(id)) return;
    entry.queued.add(id);
    const signal = AbortSignal.any([this.#signal, entry.ctl.signal]);
    const e = entry;
    entry.chain = entry.chain.then(async () => {
      try {
        await new JobRunner(this.#d, pipeline, id, signal).run();
      } catch (err) {
        if (!signal.aborted) this.#log.error({ err, pipeline, job: id }, 'job runner failed');
      } finally {
        e.queued.delete(id);
      }
    });
  }
}

/** Runs one job from wherever its record says it is. Every phase is safe to run again. */
class JobRunner {
  readonly #d: SchedulerDeps;
  readonly #pipeline: string;
  readonly #id: string;
  readonly #signal: AbortSignal;
  readonly #log: Logger;

  constructor(deps: SchedulerDeps, pipeline: string, id: string, signal: AbortSignal) {
    this.#d = deps;
    this.#pipeline = pipeline;
    this.#id = id;
    this.#signal = signal;
    this.#log = deps.logger.child({ pipeline, job: id });
  }

  get #rpc(): { signal: AbortSignal } {
    return { signal: this.#signal };
  }

  async #set(fn: (j: JobRecord) => JobRecord | undefined): Promise<JobRecord> {
    const job = await this.#d.jobs.update(this.#pipeline, this.#id, fn, this.#rpc);
    await this.#d.pipelines.noteJob(this.#pipeline, this.#id, job.state);
    return job;
  }

  async run(): Promise<void> {
    let job = await this.#d.jobs.get(this.#pipeline, this.#id, this.#rpc);
    if (!job || TERMINAL_JOB_STATES.has(job.state)) return;
    if (job.state === 'CREATED') {
      await this.#waitUnpaused();
      // Inputs must be finished; one that finished with an error makes the job unrunnable.
      for (const input of job.inputCommits) {
        const info = await this.#d
          .pfs()
          .inspectCommit(
            { commit: { repo: { name: input.repo }, id: input.id }, wait: CommitState.FINISHED },
            this.#rpc,
          );
        if (info.error) {
          await this.#end('UNRUNNABLE', `input commit ${input.repo}@${input.id} failed: ${info.error}`);
          return;
        }
      }
      job = await this.#set((j) =>
        j.state === 'CREATED' ? { ...j, state: 'STARTING', started: new Date().toISOString() } : undefined,
      );
    }
    if (job.state === 'STARTING') {
      if (!job.datumsReady) await this.#computeDatums(job);
      job = await this.#d.jobs.inspect(this.#pipeline, this.#id, this.#rpc);
      if (job.state === 'STARTING')
        job = await this.#set((j) => (j.state === 'STARTING' ? { ...j, state: 'RUNNING' } : undefined));
    }
    if (job.state === 'RUNNING') {
      await this.#d.logs.pps(
        this.#pipeline,
        this.#id,
        `job running: ${job.total} datums, ${job.skipped} skipped`,
      );
      await this.#waitShardsDone();
      job = await this.#d.jobs.inspect(this.#pipeline, this.#id, this.#rpc);
      if (TERMINAL_JOB_STATES.has(job.state)) {
        await this.#finishOutput(job.reason || `job ${job.state.toLowerCase()}`);
        return;
      }
      job = await this.#set((j) => (j.state === 'RUNNING' ? { ...j, state: 'FINISHING' } : undefined));
    }
    if (job.state === 'FINISHING') await this.#finish();
    // Killed (StopJob, StopPipeline) while in an earlier phase: the output commit still ends.
    if (job.state === 'KILLED') await this.#finishOutput(job.reason);
  }

  /** Waits while the pipeline is stopped (a watch on its record). */
  async #waitUnpaused(): Promise<void> {
    const key = keys.pipeline(this.#pipeline);
    const rev = await this.#d.kv.revision(this.#rpc);
    const entry = await this.#d.kv.get(key, { ...this.#rpc, revision: rev });
    if (!entry || !decode<PipelineRecord>(entry.value).stopped) return;
    for await (const ev of watchPrefix(this.#d.kv, key, { fromRevision: rev + 1, signal: this.#signal })) {
      if (ev.type === 'delete') return;
      if (ev.type === 'put' && ev.key === key && !decode<PipelineRecord>(ev.value).stopped) return;
    }
  }

  async #spec(version: number): Promise<{ spec: PipelineSpec }> {
    const e = await this.#d.kv.get(keys.spec(this.#pipeline, version), this.#rpc);
    if (!e) throw new Error(`pps: spec version ${version} of pipeline "${this.#pipeline}" is missing`);
    return { spec: JSON.parse(decode<SpecVersionRecord>(e.value).specJson) as PipelineSpec };
  }

  /** The most recent successful job of the pipeline before this one, if any. */
  async #previousSuccess(job: JobRecord): Promise<JobRecord | undefined> {
    let best: JobRecord | undefined;
    for await (const j of this.#d.jobs.list(this.#pipeline, this.#rpc)) {
      if (j.id === job.id || j.state !== 'SUCCESS' || j.created > job.created) continue;
      if (!best || j.created > best.created) best = j;
    }
    return best;
  }

  async #computeDatums(job: JobRecord): Promise<void> {
    const kv = this.#d.kv;
    // A previous attempt may have written some: start over.
    await kv
      .txn()
      .deletePrefix(keys.datums(this.#pipeline, this.#id))
      .deletePrefix(keys.shards(this.#pipeline, this.#id))
      .deletePrefix(keys.claims(this.#pipeline, this.#id))
      .commit(this.#rpc);
    const { spec } = await this.#spec(job.pipelineVersion);
    const readers = new Map<string, { reader: FileSetReader; commit: string }>();
    const outputInfo = await this.#d
      .pfs()
      .inspectCommit({ commit: { repo: { name: this.#pipeline }, id: this.#id } }, this.#rpc);
    for (const c of outputInfo.directProvenance) {
      const repo = c.repo?.name ?? '';
      const fs = await this.#d.pfs().getFileSet({ commit: { repo: { name: repo }, id: c.id } }, this.#rpc);
      const root = await rootOfLayers(this.#d.storage, fs.fileSet?.layers ?? [], this.#signal);
      readers.set(repo, { reader: this.#d.storage.reader(root), commit: c.id });
    }
    const prev = spec.reprocess_spec === 'every_job' ? undefined : await this.#previousSuccess(job);
    const prevByHash = new Map<string, string>(); // hash → job whose outputs are carried
    if (prev) {
      for await (const d of this.#d.jobs.datums(this.#pipeline, prev.id, this.#rpc)) {
        if (d.state === 'SUCCESS') prevByHash.set(d.hash, prev.id);
        else if (d.state === 'SKIPPED') prevByHash.set(d.hash, d.skippedFrom ?? prev.id);
      }
    }
    const writer = new BatchWriter(kv, this.#signal);
    let shard: ShardRecord | undefined;
    let shardBytes = 0;
    let shards = 0;
    let total = 0;
    let skipped = 0;
    const flushShard = async (): Promise<void> => {
      if (!shard || shard.datums.length === 0) return;
      await writer.put(keys.shard(this.#pipeline, this.#id, shard.id), encode(shard));
      shard = undefined;
      shardBytes = 0;
    };
    for await (const datum of iterateDatums(spec.input, {
      resolve: ({ repo }) => readers.get(repo),
      salt: job.salt,
      signal: this.#signal,
    })) {
      total++;
      const carried = prevByHash.get(datum.hash);
      const record: DatumRecord = {
        id: datum.id,
        hash: datum.hash,
        state: carried ? 'SKIPPED' : 'PENDING',
        inputs: slimInputs(datum),
        attempts: 0,
        error: '',
        workerId: '',
        outputFileSetId: '',
        stats: emptyStats(),
        ...(carried ? { skippedFrom: carried } : {}),
      };
      await writer.put(keys.datum(this.#pipeline, this.#id, datum.id), encode(record));
      if (carried) {
        skipped++;
        continue;
      }
      const entry = { id: datum.id, hash: datum.hash, attempt: 1 };
      const bytes = datum.id.length + datum.hash.length + 32;
      if (shard && (shard.datums.length >= MAX_SHARD_DATUMS || shardBytes + bytes > MAX_SHARD_BYTES))
        await flushShard();
      shard ??= {
        id: `${this.#id}.${String(shards++).padStart(8, '0')}`,
        pipeline: this.#pipeline,
        jobId: this.#id,
        datums: [],
      };
      shard.datums.push(entry);
      shardBytes += bytes;
    }
    await flushShard();
    await writer.flush();
    await this.#set((j) => ({ ...j, total, skipped, datumsReady: true }));
  }

  /** Resolves when the job has no shard left (all done, or cleared by a failure or a kill). */
  async #waitShardsDone(): Promise<void> {
    const prefix = keys.shards(this.#pipeline, this.#id);
    for (;;) {
      const rev = await this.#d.kv.revision(this.#rpc);
      let any = false;
      for await (const e of this.#d.kv.list(prefix, {
        revision: rev,
        keysOnly: true,
        pageSize: 1,
        signal: this.#signal,
      })) {
        void e;
        any = true;
        break;
      }
      if (!any) return;
      for await (const ev of watchPrefix(this.#d.kv, prefix, {
        fromRevision: rev + 1,
        signal: this.#signal,
      })) {
        if (ev.type === 'delete' || ev.type === 'reset-end') break;
      }
    }
  }

  /** Ends the job in a terminal state and finishes its output commit with the error. */
  async #end(state: 'FAILURE' | 'UNRUNNABLE' | 'KILLED', reason: string): Promise<void> {
    await this.#set((j) => ({ ...j, state, reason, finished: new Date().toISOString() }));
    await this.#d.logs.pps(this.#pipeline, this.#id, `job ${state}: ${reason}`);
    await this.#finishOutput(reason);
  }

  async #finishOutput(error: string): Promise<void> {
    try {
      await this.#d.pfs().finishCommit(
        {
          commit: { repo: { name: this.#pipeline }, id: this.#id },
          error: error || 'job failed',
          force: true,
        },
        this.#rpc,
      );
    } catch (err) {
      if (!isErrorCode(err, 'failed_precondition') && !isErrorCode(err, 'not_found')) throw err;
    }
  }

  /**
   * Assembles the output commit: the parent's tree minus files of datums that were not skipped,
   * plus every new datum output; or fails the job (failed datum, two datums writing one path).
   */
  async #finish(): Promise<void> {
    const pfs = this.#d.pfs();
    const keep = new Set<string>();
    const outputs: { datum: string; fileSetId: string }[] = [];
    let processed = 0;
    let recovered = 0;
    let failed = 0;
    let stats = emptyStats();
    let firstFailure: DatumRecord | undefined;
    for await (const d of this.#d.jobs.datums(this.#pipeline, this.#id, this.#rpc)) {
      stats = addStats(stats, d.stats);
      if (d.state === 'SKIPPED') keep.add(d.id);
      else if (d.state === 'SUCCESS') {
        processed++;
        if (d.outputFileSetId) outputs.push({ datum: d.id, fileSetId: d.outputFileSetId });
      } else if (d.state === 'RECOVERED') recovered++;
      else if (d.state === 'FAILED') {
        failed++;
        firstFailure ??= d;
      }
    }
    await this.#set((j) => ({ ...j, processed, recovered, failed, stats }));
    if (firstFailure) {
      await this.#end(
        'FAILURE',
        `datum ${firstFailure.id} failed after ${firstFailure.attempts} tries: ${firstFailure.error}`,
      );
      return;
    }
    // Owner of every path in the output: carried-over files first, then the new outputs.
    const owner = new Map<string, string>();
    const deletes: string[] = [];
    const current = await pfs.getFileSet(
      { commit: { repo: { name: this.#pipeline }, id: this.#id } },
      this.#rpc,
    );
    const currentRoot = await rootOfLayers(this.#d.storage, current.fileSet?.layers ?? [], this.#signal);
    for await (const entry of this.#d.storage
      .reader(currentRoot)
      .entries({ signal: this.#signal, includeDeletes: false })) {
      const datum = datumOfTag(entry.tag);
      if (keep.has(datum)) owner.set(entry.path, datum);
      else deletes.push(entry.path);
    }
    for (const out of outputs) {
      const info = await pfs.renewFileSet({ fileSetId: out.fileSetId }, this.#rpc);
      for (const layer of info.fileSet?.layers ?? []) {
        const root = await rootOfLayers(this.#d.storage, [layer], this.#signal);
        for await (const entry of this.#d.storage
          .reader(root)
          .entries({ signal: this.#signal, includeDeletes: false })) {
          const other = owner.get(entry.path);
          if (other !== undefined && other !== out.datum) {
            await this.#end(
              'FAILURE',
              `datums ${other} and ${out.datum} both wrote the output path ${entry.path}`,
            );
            return;
          }
          owner.set(entry.path, out.datum);
        }
      }
    }
    const commit = { repo: { name: this.#pipeline }, id: this.#id };
    if (deletes.length > 0) {
      const paths = deletes;
      const handle = await pfs.createFileSet(
        (function* () {
          for (const path of paths) yield { body: { $case: 'deleteFile' as const, value: { path } } };
        })(),
        this.#rpc,
      );
      await pfs.addFileSet({ commit, fileSetId: handle.fileSet?.fileSetId ?? '' }, this.#rpc);
    }
    for (let i = 0; i < outputs.length; i += 100) {
      const ids = outputs.slice(i, i + 100).map((o) => o.fileSetId);
      const composed =
        ids.length === 1
          ? ids[0]!
          : ((await pfs.composeFileSet({ fileSetIds: ids }, this.#rpc)).fileSet?.fileSetId ?? '');
      await pfs.addFileSet({ commit, fileSetId: composed }, this.#rpc);
    }
    try {
      await pfs.finishCommit({ commit }, this.#rpc);
    } catch (err) {
      if (!isErrorCode(err, 'failed_precondition')) throw err;
    }
    await this.#set((j) => ({ ...j, state: 'SUCCESS', reason: '', finished: new Date().toISOString() }));
    await this.#d.logs.pps(
      this.#pipeline,
      this.#id,
      `job succeeded: ${processed} processed, ${keep.size} skipped`,
    );
    this.#log.info({ processed, skipped: keep.size }, 'job succeeded');
  }
}

/** A datum's inputs without their file lists, so a datum record stays small. */
function slimInputs(datum: Datum): Datum['inputs'] {
  return datum.inputs.map((i) => ({ ...i, files: [], filesTruncated: i.fileCount > 0 }));
}
