/** gRPC handlers of the Pps service: requests → calls on Pipelines, JobStore, Jobs control, Logs. */
import type { Logger } from 'pino';
import type { PpsServer } from '../../../proto/gen/terrain/pps/v1/pps.ts';
import { serverStream, unary } from '../../platform/grpc-handlers.ts';
import { watchKey, watchPrefix, type Kv } from '../../platform/etcd/index.ts';
import type { JobStore } from '../job-store.ts';
import type { JobControl } from '../job-control.ts';
import type { Logs } from '../logs.ts';
import type { Pipelines } from '../pipelines.ts';
import type { PfsApi } from '../pfs-client.ts';
import { decode, keys, TERMINAL_JOB_STATES, type JobRecord } from '../records.ts';
import { ppsErrors } from '../spec/index.ts';
import type { WorkerService } from '../worker-service.ts';
import {
  datumStateName,
  jobStateName,
  toDatumInfo,
  toJobInfo,
  toLogMessage,
  toPipelineInfo,
} from './convert.ts';

export interface PpsHandlerDeps {
  kv: Kv;
  pipelines: Pipelines;
  jobs: JobStore;
  control: JobControl;
  workers: WorkerService;
  logs: Logs;
  pfs: () => PfsApi;
  logger: Logger;
}

function need(name: string | undefined, what: string): string {
  if (!name) throw ppsErrors.invalidArgument(`pps: ${what} is required`);
  return name;
}

export function ppsHandlers(d: PpsHandlerDeps): PpsServer {
  const { logger } = d;
  return {
    createPipeline: unary(logger, 'CreatePipeline', async (req, { signal }) => {
      const record = await d.pipelines.create(req.specJson, {
        update: req.update,
        reprocess: req.reprocess,
        dryRun: req.dryRun,
        signal,
      });
      return { pipelineInfo: toPipelineInfo(record) };
    }),
    inspectPipeline: unary(logger, 'InspectPipeline', async (req, { signal }) => {
      const name = need(req.pipeline?.name, 'pipeline');
      const record = await d.pipelines.inspectVersion(name, Number(req.version), { signal });
      return toPipelineInfo(record, await d.workers.countWorkers(name, { signal }));
    }),
    listPipeline: serverStream(logger, 'ListPipeline', async function* (req, { signal }) {
      const history = Number(req.history);
      const emit = async function* (name: string) {
        const p = await d.pipelines.inspect(name, { signal });
        yield toPipelineInfo(p, await d.workers.countWorkers(name, { signal }));
        if (history !== 0)
          for await (const old of d.pipelines.history(name, history, { signal })) yield toPipelineInfo(old);
      };
      if (req.pipeline?.name) {
        yield* emit(req.pipeline.name);
        return;
      }
      for await (const p of d.pipelines.list({ signal })) yield* emit(p.name);
    }),
    deletePipeline: unary(logger, 'DeletePipeline', async (req, { signal }) => {
      const name = need(req.pipeline?.name, 'pipeline');
      await d.control.killPipelineJobs(name, 'pipeline deleted', { signal });
      return {
        deleted: await d.pipelines.delete(name, { force: req.force, keepRepo: req.keepRepo, signal }),
      };
    }),
    stopPipeline: unary(logger, 'StopPipeline', async (req, { signal }) => {
      const name = need(req.pipeline?.name, 'pipeline');
      const p = await d.pipelines.stop(name, { signal });
      // Running jobs are killed; jobs of new commits wait in CREATED until StartPipeline.
      await d.control.killPipelineJobs(name, 'pipeline stopped', { signal, except: ['CREATED'] });
      return { pipelineInfo: toPipelineInfo(p) };
    }),
    startPipeline: unary(logger, 'StartPipeline', async (req, { signal }) => {
      const name = need(req.pipeline?.name, 'pipeline');
      const p = await d.pipelines.start(name, { signal });
      return { pipelineInfo: toPipelineInfo(p) };
    }),

    inspectJob: unary(logger, 'InspectJob', async (req, { signal }) => {
      const pipeline = need(req.job?.pipeline?.name, 'job.pipeline');
      const id = need(req.job?.id, 'job.id');
      if (!req.wait) return toJobInfo(await d.jobs.inspect(pipeline, id, { signal }));
      const rev = await d.kv.revision({ signal });
      const job = await d.jobs.get(pipeline, id, { signal });
      if (job && TERMINAL_JOB_STATES.has(job.state)) return toJobInfo(job);
      if (!job) {
        // The scheduler creates the job shortly after pfs opens the output commit: wait for it
        // when that commit exists (NOT_FOUND otherwise).
        await d.pipelines.inspect(pipeline, { signal });
        await d.pfs().inspectCommit({ commit: { repo: { name: pipeline }, id } }, { signal });
      }
      for await (const ev of watchKey(d.kv, keys.job(pipeline, id), { fromRevision: rev + 1, signal })) {
        if (ev.type === 'delete')
          throw ppsErrors.notFound(`pps: job ${pipeline}@${id} was deleted while waiting`);
        if (ev.type === 'put') {
          const j = decode<JobRecord>(ev.value);
          if (TERMINAL_JOB_STATES.has(j.state)) return toJobInfo(j);
        }
      }
      throw ppsErrors.cancelled('pps: InspectJob wait ended');
    }),
    listJob: serverStream(logger, 'ListJob', async function* (req, { signal }) {
      if (req.pipeline?.name) await d.pipelines.inspect(req.pipeline.name, { signal });
      // Newest first needs a sort: job records are small, and one pipeline's jobs fit in memory.
      const all: JobRecord[] = [];
      const state = req.state ? jobStateName(req.state) : undefined;
      const before = req.createdBefore?.toISOString();
      for await (const j of d.jobs.list(req.pipeline?.name || undefined, { signal })) {
        if (state && j.state !== state) continue;
        if (before && j.created >= before) continue;
        if (
          req.inputCommits.length > 0 &&
          !req.inputCommits.every((c) => j.inputCommits.some((i) => i.repo === c.repo?.name && i.id === c.id))
        )
          continue;
        all.push(j);
      }
      all.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
      const n = Number(req.number);
      for (const j of n > 0 ? all.slice(0, n) : all) yield toJobInfo(j);
    }),
    subscribeJob: serverStream(logger, 'SubscribeJob', async function* (req, { signal }) {
      const name = need(req.pipeline?.name, 'pipeline');
      await d.pipelines.inspect(name, { signal });
      const rev = await d.kv.revision({ signal });
      if (req.includeExisting) {
        for await (const e of d.kv.list(keys.jobs(name), { revision: rev, signal })) {
          const j = decode<JobRecord>(e.value);
          if (!TERMINAL_JOB_STATES.has(j.state)) yield toJobInfo(j);
        }
      }
      for await (const ev of watchPrefix(d.kv, keys.jobs(name), { fromRevision: rev + 1, signal })) {
        if (ev.type === 'put') yield toJobInfo(decode<JobRecord>(ev.value));
      }
    }),
    stopJob: unary(logger, 'StopJob', async (req, { signal }) => {
      const pipeline = need(req.job?.pipeline?.name, 'job.pipeline');
      const id = need(req.job?.id, 'job.id');
      const job = await d.control.kill(pipeline, id, req.reason || 'stopped by StopJob', { signal });
      return { jobInfo: toJobInfo(job) };
    }),

    listDatum: serverStream(logger, 'ListDatum', async function* (req, { signal }) {
      const pipeline = need(req.job?.pipeline?.name, 'job.pipeline');
      const id = need(req.job?.id, 'job.id');
      await d.jobs.inspect(pipeline, id, { signal });
      const state = req.state ? datumStateName(req.state) : undefined;
      let n = 0;
      for await (const datum of d.jobs.datums(pipeline, id, {
        signal,
        ...(req.pageToken ? { startAfter: req.pageToken } : {}),
      })) {
        if (state && datum.state !== state) continue;
        yield toDatumInfo(pipeline, id, datum);
        if (req.pageSize > 0 && ++n >= req.pageSize) return;
      }
    }),
    inspectDatum: unary(logger, 'InspectDatum', async (req, { signal }) => {
      const pipeline = need(req.datum?.job?.pipeline?.name, 'datum.job.pipeline');
      const job = need(req.datum?.job?.id, 'datum.job.id');
      const id = need(req.datum?.id, 'datum.id');
      await d.jobs.inspect(pipeline, job, { signal });
      const datum = await d.jobs.getDatum(pipeline, job, id, { signal });
      if (!datum) throw ppsErrors.notFound(`pps: datum ${id} not found in job ${pipeline}@${job}`);
      return toDatumInfo(pipeline, job, datum);
    }),
    restartDatum: unary(logger, 'RestartDatum', async (req, { signal }) => {
      const pipeline = need(req.job?.pipeline?.name, 'job.pipeline');
      const id = need(req.job?.id, 'job.id');
      return { restarted: await d.control.restartDatums(pipeline, id, req.datumIds, { signal }) };
    }),

    getLogs: serverStream(logger, 'GetLogs', async function* (req, { signal }) {
      const pipeline = req.job?.pipeline?.name || req.pipeline?.name;
      if (!pipeline) throw ppsErrors.invalidArgument('pps: GetLogs needs a pipeline or a job');
      if (req.datumId && !req.job?.id)
        throw ppsErrors.invalidArgument('pps: GetLogs for a datum needs its job');
      await d.pipelines.inspect(pipeline, { signal });
      if (req.job?.id) await d.jobs.inspect(pipeline, req.job.id, { signal });
      for await (const line of d.logs.read({
        pipeline,
        ...(req.job?.id ? { jobId: req.job.id } : {}),
        ...(req.datumId ? { datumId: req.datumId } : {}),
        follow: req.follow,
        ...(req.since ? { since: req.since } : {}),
        tail: Number(req.tail),
        signal,
      })) {
        yield toLogMessage(line);
      }
    }),
  };
}
