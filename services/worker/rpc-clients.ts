/**
 * The worker's gRPC stubs: the pps Worker service (control) and the few pfs calls the data plane
 * needs (GetFileSet for input trees, RegisterFileSet for outputs). Promise-based, typed errors,
 * every call cancellable through `{ signal }` (see clients/ts/rpc.ts).
 */
import { Client, credentials } from '@grpc/grpc-js';
import { PfsService } from '../../proto/gen/terrain/pfs/v1/pfs.ts';
import * as ppsWorker from '../../proto/gen/terrain/pps/v1/worker.ts';
import { WorkerService } from '../../proto/gen/terrain/pps/v1/worker.ts';
import { PFS_MESSAGE_MODULES } from '../../clients/ts/client.ts';
import { makeStub, type ServiceStub } from '../../clients/ts/rpc.ts';

export type WorkerStub = ServiceStub<typeof WorkerService>;
export type PfsStub = ServiceStub<typeof PfsService>;

export interface WorkerClients {
  pps: WorkerStub;
  pfs: PfsStub;
  close(): void;
}

/** Connects (lazily, as grpc-js does) to pps and pfs; they may be the same address. */
export function connectWorkerClients(ppsAddress: string, pfsAddress: string): WorkerClients {
  const ppsChannel = new Client(ppsAddress, credentials.createInsecure());
  const pfsChannel =
    pfsAddress === ppsAddress ? ppsChannel : new Client(pfsAddress, credentials.createInsecure());
  return {
    pps: makeStub(WorkerService, [ppsWorker], { channel: ppsChannel, service: 'pps', address: ppsAddress }),
    pfs: makeStub(PfsService, PFS_MESSAGE_MODULES, {
      channel: pfsChannel,
      service: 'pfs',
      address: pfsAddress,
    }),
    close: () => {
      ppsChannel.close();
      if (pfsChannel !== ppsChannel) pfsChannel.close();
    },
  };
}
