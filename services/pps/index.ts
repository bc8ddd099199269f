/**
 * pps: pipelines, jobs driven by pfs commits, datum shards leased to workers.
 *
 *   import { startPps } from './services/pps/index.ts';
 *
 *   const pps = await startPps({}, { kv, objects, server, logger });   // registers Pps + Worker
 *   await server.listen(address);
 *   pps.startBackground({ pfsAddress: address });                      // the scheduler (elected)
 *   ...
 *   await pps.stop();
 */
export {
  startPps,
  PPS_SERVICE_NAME,
  WORKER_SERVICE_NAME,
  type PpsConfig,
  type PpsDeps,
  type RunningPps,
} from './service.ts';
export { Pipelines, type CreatePipelineOptions } from './pipelines.ts';
export { JobStore } from './job-store.ts';
export { JobControl } from './job-control.ts';
export { Scheduler, datumOfTag } from './jobs.ts';
export { WorkerService, type AcquiredShard, type DatumReport } from './worker-service.ts';
export { Logs, type LogQuery } from './logs.ts';
export type { Launcher, LaunchedPipeline } from './launchers/launcher.ts';
export type {
  DatumRecord,
  JobRecord,
  JobStateName,
  PipelineRecord,
  PipelineStateName,
  ShardRecord,
  WorkerRecord,
} from './records.ts';
