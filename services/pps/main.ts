// pps as its own process, for split deployments: reads config once (TERRAIN_* variables or a config
// file), connects to etcd and the object store, serves Pps + Worker over gRPC, and reaches pfs at
// TERRAIN_PFS_ADDRESS (default: the same address as its own gRPC address, for a combined server).
import { Kv } from '../platform/etcd/index.ts';
import { loadConfig } from '../platform/config.ts';
import { GrpcServer } from '../platform/grpc-server.ts';
import { createLogger } from '../platform/logging.ts';
import { openObjectStore } from '../platform/object-store/open.ts';
import { addVersionService } from '../platform/version-service.ts';
import { PPS_SERVICE_NAME, WORKER_SERVICE_NAME, startPps } from './service.ts';
import { stopOnSignals } from '../platform/shutdown.ts';

const config = loadConfig();
const logger = createLogger({ level: config.logLevel });
const kv = Kv.connect({
  endpoints: config.etcdEndpoints,
  prefix: config.etcdPrefix,
  maxRecordBytes: config.maxRecordBytes,
});
const objects = await openObjectStore(config.storage);
const server = new GrpcServer({ logger });
const pps = await startPps({}, { kv, objects, server, logger });
addVersionService(server, () => [PPS_SERVICE_NAME, WORKER_SERVICE_NAME], logger);
const { port } = await server.listen(config.grpcAddress);
const host = config.grpcAddress.slice(0, config.grpcAddress.lastIndexOf(':')) || '127.0.0.1';
const own = `${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
pps.startBackground({ pfsAddress: process.env['TERRAIN_PFS_ADDRESS'] ?? own, ppsAddress: own });

stopOnSignals(logger, 'pps', async () => {
  await server.shutdown();
  await pps.stop();
  kv.close();
});
