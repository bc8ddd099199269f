/**
 * A pfs server for one test: its own etcd prefix and its own bucket on the harness's S3 server
 * (Swift), served over gRPC on a free loopback port, with a promise-based client.
 */
import {
  credentials,
  Metadata,
  type CallOptions,
  type ClientReadableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { PfsClient } from '../../../proto/gen/terrain/pfs/v1/pfs.ts';
import { Kv } from '../../../services/platform/etcd/index.ts';
import { fromServiceError } from '../../../services/platform/grpc-status.ts';
import { GrpcServer } from '../../../services/platform/grpc-server.ts';
import { silentLogger } from '../../../services/platform/logging.ts';
import { S3ObjectStore } from '../../../services/platform/object-store/s3.ts';
import type { ObjectStore } from '../../../services/platform/object-store/object-store.ts';
import { startPfs, type RunningPfs } from '../../../services/pfs/service.ts';
import { freshBucket, testEnv, uniquePrefix } from '../../harness/index.ts';

export interface TestPfs {
  client: PfsClient;
  pfs: RunningPfs;
  kv: Kv;
  objects: ObjectStore;
  address: string;
  /** Calls a unary method and returns its response, turning errors into typed Terrain errors. */
  call<Req, Res>(method: UnaryMethod<Req, Res>, req: Req): Promise<Res>;
  /** Collects a server stream (tests only read small streams). */
  collect<Req, Res>(method: (req: Req) => ClientReadableStream<Res>, req: Req): Promise<Res[]>;
  stop(): Promise<void>;
}

/** The widest overload of a generated unary method (TypeScript infers from the last one). */
type UnaryMethod<Req, Res> = (
  req: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  cb: (err: ServiceError | null, res: Res) => void,
) => unknown;

/** `share` runs a second server over another's etcd prefix and bucket (its caches start empty). */
export async function startTestPfs(name: string, share?: { kv: Kv; objects: ObjectStore }): Promise<TestPfs> {
  const { etcd, s3 } = testEnv();
  const kv = share?.kv ?? Kv.connect({ endpoints: [etcd.endpoint], prefix: uniquePrefix(name) });
  const objects =
    share?.objects ??
    new S3ObjectStore({
      bucket: await freshBucket(name),
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
  const server = new GrpcServer({ logger: silentLogger() });
  const pfs = await startPfs(
    { storage: { chunking: { minSize: 16 * 1024, avgSize: 64 * 1024, maxSize: 256 * 1024 } } },
    {
      kv,
      objects,
      server,
      logger: silentLogger(),
    },
  );
  const { port } = await server.listen('127.0.0.1:0');
  const address = `127.0.0.1:${port}`;
  const client = new PfsClient(address, credentials.createInsecure());
  return {
    client,
    pfs,
    kv,
    objects,
    address,
    call: (method, req) =>
      new Promise((resolve, reject) => {
        method.call(client, req, new Metadata(), {}, (err, res) =>
          err ? reject(fromServiceError(err, 'pfs')) : resolve(res),
        );
      }),
    collect: async (method, req) => {
      const out = [];
      try {
        for await (const item of method.call(client, req)) out.push(item);
      } catch (err) {
        throw fromServiceError(err, 'pfs');
      }
      return out;
    },
    stop: async () => {
      client.close();
      await pfs.stop();
      await server.shutdown(1000);
      if (!share) kv.close();
    },
  };
}
