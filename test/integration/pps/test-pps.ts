/**
 * pfs + pps in one process on one gRPC port, over the harness's real etcd and Swift S3, with a
 * TypeScript client and a fake worker that speaks the Worker protocol (the real worker sidecar is
 * tested under test/integration/worker/).
 */
import { Client, credentials } from '@grpc/grpc-js';
import { connect, type TerrainClient } from '../../../clients/ts/index.ts';
import { makeStub, type ServiceStub } from '../../../clients/ts/rpc.ts';
import * as workerMessages from '../../../proto/gen/terrain/pps/v1/worker.ts';
import { WorkerService } from '../../../proto/gen/terrain/pps/v1/worker.ts';
import { DatumState } from '../../../proto/gen/terrain/pps/v1/datum.ts';
import { LogSource } from '../../../proto/gen/terrain/pps/v1/logs.ts';
import type { Shard } from '../../../proto/gen/terrain/pps/v1/worker.ts';
import { Kv } from '../../../services/platform/etcd/index.ts';
import { GrpcServer } from '../../../services/platform/grpc-server.ts';
import { silentLogger } from '../../../services/platform/logging.ts';
import { S3ObjectStore } from '../../../services/platform/object-store/s3.ts';
import type { ObjectStore } from '../../../services/platform/object-store/object-store.ts';
import { startPfs, type RunningPfs } from '../../../services/pfs/service.ts';
import { startPps, type RunningPps } from '../../../services/pps/service.ts';
import { freshBucket, testEnv, uniquePrefix } from '../../harness/index.ts';

export type WorkerApi = ServiceStub<typeof WorkerService>;

export interface TestCluster {
  client: TerrainClient;
  worker: WorkerApi;
  address: string;
  kv: Kv;
  objects: ObjectStore;
  pfs: RunningPfs;
  pps: RunningPps;
  /** Stops pps only (its scheduler and gRPC services die with the server). */
  stop(): Promise<void>;
}

const STORAGE = { chunking: { minSize: 16 * 1024, avgSize: 64 * 1024, maxSize: 256 * 1024 } };

export async function startTestCluster(
  name: string,
  options: { share?: { kv: Kv; objects: ObjectStore }; workerLeaseTtlSeconds?: number } = {},
): Promise<TestCluster> {
  const { etcd, s3 } = testEnv();
  const kv = options.share?.kv ?? Kv.connect({ endpoints: [etcd.endpoint], prefix: uniquePrefix(name) });
  const objects =
    options.share?.objects ??
    new S3ObjectStore({
      bucket: await freshBucket(name),
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
  const server = new GrpcServer({ logger: silentLogger() });
  const pfs = await startPfs(
    { storage: STORAGE, gcIntervalMs: 0 },
    { kv, objects, server, logger: silentLogger() },
  );
  const pps = await startPps(
    {
      storage: STORAGE,
      workerLeaseTtlSeconds: options.workerLeaseTtlSeconds ?? 30,
      schedulerLeaseTtlSeconds: 2,
    },
    { kv, objects, server, logger: silentLogger() },
  );
  const { port } = await server.listen('127.0.0.1:0');
  const address = `127.0.0.1:${port}`;
  pps.startBackground({ pfsAddress: address });
  const client = connect(address, { context: null, env: {} });
  const channel = new Client(address, credentials.createInsecure());
  const worker = makeStub(WorkerService, [workerMessages], { channel, service: 'pps', address });
  return {
    client,
    worker,
    address,
    kv,
    objects,
    pfs,
    pps,
    stop: async () => {
      client.close();
      channel.close();
      await pps.stop();
      await pfs.stop();
      await server.shutdown(1000);
    },
  };
}

export interface FakeWorkerOptions {
  /** What to write for each datum: path → content; or throw/return an error string to fail it. */
  process: (datum: Shard['datums'][number], shard: Shard) => Record<string, string> | { error: string };
  /** Stop after this many shards (default: forever). */
  maxShards?: number;
  /** Renew the lease (default true). */
  renew?: boolean;
}

/**
 * A worker written for tests: registers, acquires shards, "runs" each datum by calling `process`,
 * uploads the output as a file set tagged with the datum ID, pushes a log line per datum, reports.
 */
export class FakeWorker {
  readonly #c: TestCluster;
  readonly #pipeline: string;
  readonly #opts: FakeWorkerOptions;
  readonly #ctl = new AbortController();
  #loop: Promise<void> | undefined;
  workerId = '';
  shardsDone = 0;
  datumsSeen: string[] = [];

  constructor(cluster: TestCluster, pipeline: string, options: FakeWorkerOptions) {
    this.#c = cluster;
    this.#pipeline = pipeline;
    this.#opts = options;
  }

  async start(): Promise<void> {
    const reg = await this.#c.worker.registerWorker({
      pipeline: { name: this.#pipeline },
      name: 'fake',
      concurrency: 1,
    });
    this.workerId = reg.workerId;
    this.#loop = this.#run(this.#ctl.signal);
  }

  async stop(): Promise<void> {
    this.#ctl.abort();
    await this.#loop?.catch(() => undefined);
  }

  async #run(signal: AbortSignal): Promise<void> {
    const renew = this.#opts.renew ?? true;
    const timer = renew
      ? setInterval(() => {
          void this.#c.worker.renewLease({ workerId: this.workerId }).catch(() => undefined);
        }, 500)
      : undefined;
    try {
      while (!signal.aborted) {
        if (this.#opts.maxShards !== undefined && this.shardsDone >= this.#opts.maxShards) return;
        const res = await this.#c.worker.acquireShard(
          { workerId: this.workerId, wait: { seconds: 1n, nanos: 0 } },
          { signal },
        );
        if (!res.shard) continue;
        await this.processShard(res.shard, signal);
        this.shardsDone++;
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    } finally {
      clearInterval(timer);
    }
  }

  async processShard(shard: Shard, signal?: AbortSignal): Promise<void> {
    const results = [];
    for (const datum of shard.datums) {
      this.datumsSeen.push(datum.id);
      const out = this.#opts.process(datum, shard);
      await this.#c.worker.pushLogs(
        [
          {
            workerId: this.workerId,
            lines: [
              {
                pipeline: { name: this.#pipeline },
                jobId: shard.job?.id ?? '',
                datumId: datum.id,
                time: new Date(),
                source: LogSource.STDERR,
                message: 'error' in out ? `boom: ${out.error}` : `processed ${datum.id}`,
              },
            ],
          },
        ],
        signal ? { signal } : {},
      );
      if ('error' in out && typeof out.error === 'string') {
        results.push({
          datumId: datum.id,
          state: DatumState.FAILED,
          error: out.error as string,
          exitCode: 1,
        });
        continue;
      }
      const files = out as Record<string, string>;
      const ops = Object.entries(files).flatMap(([path, content]) => [
        { body: { $case: 'putFile' as const, value: { path, datum: datum.id } } },
        { body: { $case: 'data' as const, value: Buffer.from(content) } },
      ]);
      const fs = await this.#c.client.pfs.createFileSet(ops, signal ? { signal } : {});
      results.push({
        datumId: datum.id,
        state: DatumState.SUCCESS,
        outputFileSetId: fs.fileSet?.fileSetId ?? '',
      });
    }
    await this.#c.worker.completeShard(
      { workerId: this.workerId, shardId: shard.id, results },
      signal ? { signal } : {},
    );
  }
}

/** Reads a whole small file as text. */
export async function readText(client: TerrainClient, ref: string): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const b of client.pfs.readFile(ref)) parts.push(b);
  return Buffer.concat(parts).toString('utf8');
}
