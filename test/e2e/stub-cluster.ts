/**
 * A stand-in for services/cluster/start.ts with the same `startCluster` signature, used only by
 * cluster-lifecycle.test.ts (through `terrain up --cluster-module`) to test up/down/status on their
 * own: a real gRPC server with health, reflection and the Version service, and a Pfs service whose
 * every method answers UNIMPLEMENTED. No etcd, no storage.
 */
import type { GetVersionResponse } from '../../proto/gen/terrain/common/v1/version.ts';
import { VersionService } from '../../proto/gen/terrain/common/v1/version.ts';
import { PfsService } from '../../proto/gen/terrain/pfs/v1/pfs.ts';
import { GrpcServer } from '../../services/platform/grpc-server.ts';
import { silentLogger } from '../../services/platform/logging.ts';

export interface ClusterOptions {
  dataDir: string;
  storage?: string;
  etcd?: string;
  grpcAddress?: string;
  s3Address?: string;
  logLevel?: string;
}

export async function startCluster(options: ClusterOptions) {
  const server = new GrpcServer({ logger: silentLogger() });
  server.addService('terrain.common.v1.Version', VersionService, {
    getVersion: (_call: unknown, callback: (err: null, value: GetVersionResponse) => void) =>
      callback(null, {
        version: 'stub',
        gitCommit: '',
        nodeVersion: process.version,
        services: ['terrain.pfs.v1.Pfs'],
      }),
  });
  server.addService('terrain.pfs.v1.Pfs', PfsService, {});
  const address = options.grpcAddress ?? '127.0.0.1:0';
  const { port } = await server.listen(address);
  const host = address.slice(0, address.lastIndexOf(':'));
  return {
    grpcAddress: `${host}:${port}`,
    etcdEndpoint: options.etcd ?? 'http://127.0.0.1:1',
    storage: options.storage ?? `local:${options.dataDir}/objects`,
    stop: () => server.shutdown(1000),
  };
}
