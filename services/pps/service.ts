/**
 * Composes pps from one deps object: pipeline records, the job scheduler (an elected leader), the
 * Worker service, logs, and the gRPC handlers of Pps and Worker on the caller's server.
 *
 * The gRPC services are registered at once; the background work (the scheduler, which talks to pfs
 * over gRPC) starts with `startBackground(pfsAddress)`, after the server listens — in `terrain up`
 * pfs is served by the same server, whose address is known only then.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { PpsService, type PpsServer } from '../../proto/gen/terrain/pps/v1/pps.ts';
import {
  WorkerService as WorkerServiceDef,
  type WorkerServer,
} from '../../proto/gen/terrain/pps/v1/worker.ts';
import type { Kv } from '../platform/etcd/index.ts';
import type { GrpcServer } from '../platform/grpc-server.ts';
import type { ObjectStore } from '../platform/object-store/object-store.ts';
import { FileSetStorage, type FileSetStorageOptions } from '../pfs/storage/index.ts';
import { ppsHandlers } from './api/pps-handlers.ts';
import { workerHandlers } from './api/worker-handlers.ts';
import { JobControl } from './job-control.ts';
import { JobStore } from './job-store.ts';
import { Scheduler } from './jobs.ts';
import type { Launcher } from './launchers/launcher.ts';
import { Logs } from './logs.ts';
import { connectPfs, type PfsApi } from './pfs-client.ts';
import { Pipelines } from './pipelines.ts';
import type { TerrainClient } from '../../clients/ts/index.ts';
import { WorkerService } from './worker-service.ts';

export const PPS_SERVICE_NAME = 'terrain.pps.v1.Pps';
export const WORKER_SERVICE_NAME = 'terrain.pps.v1.Worker';

export interface PpsConfig {
  /** Lease TTL of workers (seconds, default 30); tests shorten it. */
  workerLeaseTtlSeconds?: number;
  /** Lease TTL of the scheduler election (seconds, default 10). */
  schedulerLeaseTtlSeconds?: number;
  /** Storage format parameters; must match pfs's. */
  storage?: FileSetStorageOptions;
  /** Identifies this pps in the scheduler election (default: random). */
  candidateId?: string;
}

export interface PpsDeps {
  /** The cluster's etcd namespace; pps keeps its records under `pps/` in it. */
  kv: Kv;
  /** The object store pfs uses (pps reads input trees directly). */
  objects: ObjectStore;
  server: GrpcServer;
  logger: Logger;
  launcher?: Launcher;
}

export interface RunningPps {
  pipelines: Pipelines;
  jobs: JobStore;
  workers: WorkerService;
  logs: Logs;
  /** Starts the scheduler against the pfs at `pfsAddress`; `ppsAddress` is given to launched workers. */
  startBackground(addresses: { pfsAddress: string; ppsAddress?: string }): void;
  /** Stops the background work. The gRPC server is stopped by its owner. */
  stop(): Promise<void>;
}

export async function startPps(config: PpsConfig, deps: PpsDeps): Promise<RunningPps> {
  const logger = deps.logger.child({ service: 'pps' });
  const kv = deps.kv.child('pps/');
  let client: TerrainClient | undefined;
  const pfs = (): PfsApi => {
    if (!client) throw new Error('pps: pfs address not set yet (startBackground was not called)');
    return client.pfs;
  };
  const storage = new FileSetStorage(deps.objects, config.storage);
  const pipelines = new Pipelines({ kv, pfs, logger });
  const jobs = new JobStore(kv);
  const logs = new Logs(kv);
  const control = new JobControl({ kv, jobs });
  const workers = new WorkerService({
    kv,
    jobs,
    pipelines,
    logs,
    pfs,
    logger,
    ...(config.workerLeaseTtlSeconds !== undefined ? { leaseTtlSeconds: config.workerLeaseTtlSeconds } : {}),
  });
  deps.server.addService(
    PPS_SERVICE_NAME,
    PpsService,
    ppsHandlers({ kv, pipelines, jobs, control, workers, logs, pfs, logger }) as PpsServer,
  );
  deps.server.addService(
    WORKER_SERVICE_NAME,
    WorkerServiceDef,
    workerHandlers({ workers, logger }) as WorkerServer,
  );

  const background = new AbortController();
  let running: Promise<void> | undefined;
  return {
    pipelines,
    jobs,
    workers,
    logs,
    startBackground: ({ pfsAddress, ppsAddress }) => {
      if (running) return;
      client = connectPfs(pfsAddress);
      const scheduler = new Scheduler({
        kv,
        jobs,
        pipelines,
        pfs,
        storage,
        logs,
        logger,
        candidateId: config.candidateId ?? randomBytes(8).toString('hex'),
        ...(config.schedulerLeaseTtlSeconds !== undefined
          ? { leaseTtlSeconds: config.schedulerLeaseTtlSeconds }
          : {}),
        ...(deps.launcher
          ? { launcher: deps.launcher, addresses: { pfsAddress, ppsAddress: ppsAddress ?? pfsAddress } }
          : {}),
      });
      running = scheduler.run(background.signal).catch((err: unknown) => {
        if (!background.signal.aborted) logger.error({ err }, 'pps scheduler stopped');
      });
    },
    stop: async () => {
      background.abort();
      await running;
      client?.close();
    },
  };
}
