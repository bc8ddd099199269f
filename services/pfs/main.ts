// pfs as its own process, for split deployments: reads config once (TERRAIN_* variables or a
// config file), connects to etcd and the object store, serves gRPC until SIGINT/SIGTERM.
import { Kv } from '../platform/etcd/index.ts';
import { loadConfig } from '../platform/config.ts';
import { GrpcServer } from '../platform/grpc-server.ts';
import { createLogger } from '../platform/logging.ts';
import { openObjectStore } from '../platform/object-store/open.ts';
import { addVersionService } from '../platform/version-service.ts';
import { PFS_SERVICE_NAME, startPfs } from './service.ts';
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
const pfs = await startPfs({}, { kv, objects, server, logger });
addVersionService(server, () => [PFS_SERVICE_NAME], logger);
await server.listen(config.grpcAddress);

stopOnSignals(logger, 'pfs', async () => {
  await server.shutdown();
  await pfs.stop();
  kv.close();
});
