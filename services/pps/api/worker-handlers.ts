/** gRPC handlers of the Worker service (the protocol pps offers to worker sidecars). */
import type { Logger } from 'pino';
import { DatumState } from '../../../proto/gen/terrain/pps/v1/datum.ts';
import type { WorkerServer } from '../../../proto/gen/terrain/pps/v1/worker.ts';
import { clientStream, unary } from '../../platform/grpc-handlers.ts';
import { ppsErrors } from '../spec/index.ts';
import type { DatumReport, WorkerService } from '../worker-service.ts';
import { fromDuration, fromLogMessage, fromStats, toDuration, toShard } from './convert.ts';

export function workerHandlers(d: { workers: WorkerService; logger: Logger }): WorkerServer {
  const { workers, logger } = d;
  return {
    registerWorker: unary(logger, 'RegisterWorker', async (req, { signal }) => {
      const pipeline = req.pipeline?.name;
      if (!pipeline) throw ppsErrors.invalidArgument('pps: RegisterWorker needs a pipeline');
      const { worker, expires } = await workers.register(pipeline, req.name, { signal });
      return { workerId: worker.id, leaseTtl: toDuration(worker.ttlSeconds * 1000), leaseExpires: expires };
    }),
    acquireShard: unary(logger, 'AcquireShard', async (req, { signal }) => {
      const { acquired, drain } = await workers.acquire(req.workerId, fromDuration(req.wait), { signal });
      return { shard: acquired ? toShard(acquired) : undefined, drain };
    }),
    renewLease: unary(logger, 'RenewLease', async (req, { signal }) => {
      const { expires, drain } = await workers.renew(req.workerId, { signal });
      return { leaseExpires: expires, cancelledShardIds: [], drain };
    }),
    completeShard: unary(logger, 'CompleteShard', async (req, { signal }) => {
      const reports: DatumReport[] = req.results.map((r) => {
        const state =
          r.state === DatumState.SUCCESS
            ? 'SUCCESS'
            : r.state === DatumState.FAILED
              ? 'FAILED'
              : r.state === DatumState.RECOVERED
                ? 'RECOVERED'
                : undefined;
        if (!state)
          throw ppsErrors.invalidArgument(
            `pps: datum "${r.datumId}" result state must be SUCCESS, FAILED or RECOVERED`,
          );
        return {
          datumId: r.datumId,
          state,
          outputFileSetId: r.outputFileSetId,
          error: r.error,
          exitCode: r.exitCode,
          stats: fromStats(r.stats),
          ...(r.started ? { started: r.started.toISOString() } : {}),
          ...(r.finished ? { finished: r.finished.toISOString() } : {}),
          inputFiles: r.inputFiles.map((f) => ({
            inputName: f.inputName,
            repo: f.file?.commit?.repo?.name ?? '',
            commit: f.file?.commit?.id ?? '',
            path: f.file?.path ?? '',
            hash: f.hash,
            sizeBytes: Number(f.sizeBytes),
          })),
        };
      });
      return {
        accepted: await workers.complete(req.workerId, req.shardId, reports, req.partial, { signal }),
      };
    }),
    pushLogs: clientStream(logger, 'PushLogs', async (requests, { signal }) => {
      let stored = 0;
      for await (const req of requests) {
        stored += await workers.pushLogs(req.workerId, req.lines.map(fromLogMessage), { signal });
      }
      return { stored: BigInt(stored) };
    }),
  };
}
