/**
 * The S3 gateway benchmark (issue 7): one cluster started in this process (`startCluster`: embedded
 * etcd, pfs, the gateway; local storage in a temporary data directory; free ports). Each gateway
 * figure is printed beside the same work done through pfs's own gRPC API (clients/ts `connect`)
 * in the same run, on the same bytes:
 * - PUT of a 1 GiB object with `@aws-sdk/lib-storage` Upload vs `pfs.putFile` of the same file;
 * - GET of it, streamed GetObject vs `pfs.readFile` (target for both: ≥ 0.8× the gRPC MB/s);
 * - ListObjectsV2 over 100,000 keys (pages of 1,000) vs WalkFile over the same files (keys/s);
 * - 1,000 small-object GETs at concurrency 16 vs 1,000 `readFile`s at concurrency 16 (requests/s).
 *
 *   npx node test/bench/s3.ts           # full sizes (a few minutes)
 *   npx node test/bench/s3.ts --quick   # 128 MiB object, 10,000 keys, 200 GETs
 *   npx node test/bench/s3.ts --dir /mnt/fast   # where the data directory lives (default: OS temp dir)
 *
 * The cluster (etcd aside) runs on this process's main thread; both clients run on one worker
 * thread, as a separate client process would, so client work (the SDK's SigV4 SHA-256 of every
 * part, protobuf encoding) is not charged to the server's event loop — for the gateway and for
 * the baseline alike. The gateway's extra hop (S3 client → gateway → gRPC → pfs) is exactly what
 * the ratio measures.
 */
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { connect, type FileOperation } from '../../clients/ts/index.ts';
import { loadS3Credentials, startCluster } from '../../services/cluster/start.ts';
import { writePrngFile } from './lib/data.ts';
import {
  GiB,
  MiB,
  atLeast,
  fmtInt,
  fmtMBps,
  fmtRatio,
  fmtMs,
  mbps,
  printSummary,
  printTable,
  type Row,
} from './lib/report.ts';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const quick = flags.quick!;
const BIG = quick ? 128 * MiB : GiB;
const KEYS = quick ? 10_000 : 100_000;
const GETS = quick ? 200 : 1_000;
const SMALL_OBJECTS = 1_000;
const SMALL_BYTES = 4 * 1024;
const CONCURRENCY = 16;
const bigLabel = BIG >= GiB ? `${BIG / GiB} GiB` : `${BIG / MiB} MiB`;
const log = (s: string): void => console.error(`  … ${s}`);

/** Same channel options as test/bench/pfs.ts (see there for why a bulk client of pfs sets them). */
const CLIENT_OPTIONS = { 'grpc.per_rpc_retry_buffer_size': 0, 'grpc-node.flow_control_window': 16 * MiB };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/** Runs `count` tasks with at most `concurrency` in flight. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function drain(stream: AsyncIterable<Uint8Array>): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) bytes += chunk.byteLength;
  return bytes;
}

const keyOf = (i: number): string =>
  `d${String(Math.floor(i / 1000)).padStart(4, '0')}/k${String(i).padStart(7, '0')}`;

interface Endpoints {
  grpcAddress: string;
  s3Endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  work: string;
}

/** The measured cases, run in a worker thread: returns the table rows. */
async function runCases(at: Endpoints): Promise<Row[]> {
  const { work } = at;
  const s3 = new S3Client({
    endpoint: at.s3Endpoint,
    region: at.region,
    credentials: { accessKeyId: at.accessKeyId, secretAccessKey: at.secretAccessKey },
    forcePathStyle: true,
    // The SDK's default CRC32 of every byte is client work, not gateway work; the gateway checks
    // SigV4 payload hashes either way.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const client = connect(at.grpcAddress, { context: null, env: {}, channelOptions: CLIENT_OPTIONS });
  const rows: Row[] = [];
  try {
    for (const bucket of ['big', 'grpcbig', 'keys', 'small'])
      await s3.send(new CreateBucketCommand({ Bucket: `master.${bucket}` }));

    // ---- 1 GiB PUT and GET ----------------------------------------------------------------------
    const bigFile = join(work, 'big.bin');
    log(`writing the ${bigLabel} source file`);
    writePrngFile(bigFile, BIG, 42);
    log(`pfs gRPC putFile of ${bigLabel}`);
    const grpcPut = await timed(() =>
      client.pfs.putFile(
        'grpcbig@master',
        '/big.bin',
        createReadStream(bigFile, { highWaterMark: MiB }) as AsyncIterable<Buffer>,
      ),
    );
    log(`S3 Upload of ${bigLabel}`);
    const s3Put = await timed(async () => {
      const upload = new Upload({
        client: s3,
        params: {
          Bucket: 'master.big',
          Key: 'big.bin',
          Body: createReadStream(bigFile, { highWaterMark: MiB }),
        },
        partSize: 16 * MiB,
        queueSize: 4,
      });
      await upload.done();
    });
    log(`pfs gRPC readFile of ${bigLabel}`);
    const grpcGet = await timed(() => drain(client.pfs.readFile('grpcbig@master:/big.bin')));
    log(`S3 GetObject of ${bigLabel}`);
    const s3Get = await timed(async () => {
      const got = await s3.send(new GetObjectCommand({ Bucket: 'master.big', Key: 'big.bin' }));
      return drain(got.Body as Readable);
    });
    if (grpcGet.value !== BIG || s3Get.value !== BIG)
      throw new Error(`read back ${grpcGet.value} (gRPC) and ${s3Get.value} (S3) bytes, expected ${BIG}`);
    rmSync(bigFile);
    const bigRow = (what: string, s3ms: number, grpcMs: number): Row => {
      const ratio = mbps(BIG, s3ms) / mbps(BIG, grpcMs);
      return {
        case: `${what} of ${bigLabel} (SDK vs pfs gRPC)`,
        figure: `${fmtMBps(mbps(BIG, s3ms))} (${fmtMs(s3ms)})`,
        baseline: `${fmtMBps(mbps(BIG, grpcMs))} (${fmtMs(grpcMs)})`,
        ratio: fmtRatio(ratio),
        target: '≥ 0.80×',
        verdict: atLeast(ratio, 0.8),
      };
    };
    rows.push(bigRow('PUT', s3Put.ms, grpcPut.ms), bigRow('GET', s3Get.ms, grpcGet.ms));

    // ---- ListObjectsV2 over KEYS keys -----------------------------------------------------------
    log(`putting ${fmtInt(KEYS)} tiny files in one ModifyFile stream`);
    const tiny = Buffer.from('x');
    await client.pfs.modify(
      'keys@master',
      (function* (): Generator<FileOperation> {
        for (let i = 0; i < KEYS; i++) yield { op: 'put', path: `/${keyOf(i)}`, source: tiny };
      })(),
    );
    log('ListObjectsV2 over every key');
    const listed = await timed(async () => {
      let keys = 0;
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: 'master.keys', MaxKeys: 1000, ContinuationToken: token }),
        );
        keys += page.KeyCount ?? 0;
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys;
    });
    log('WalkFile over every file');
    const walked = await timed(async () => {
      let files = 0;
      for await (const _ of client.pfs.walkFile({
        file: { commit: { repo: { name: 'keys' }, branch: 'master' }, path: '/' },
        filesOnly: true,
      }))
        files++;
      return files;
    });
    if (listed.value !== KEYS || walked.value !== KEYS)
      throw new Error(`listed ${listed.value} keys and walked ${walked.value} files, expected ${KEYS}`);
    const keysPerS = (ms: number): number => KEYS / (ms / 1000);
    rows.push({
      case: `ListObjectsV2 over ${fmtInt(KEYS)} keys (vs WalkFile)`,
      figure: `${fmtInt(keysPerS(listed.ms))} keys/s (${fmtMs(listed.ms)})`,
      baseline: `${fmtInt(keysPerS(walked.ms))} files/s (${fmtMs(walked.ms)})`,
      ratio: fmtRatio(walked.ms / listed.ms),
      target: 'keys/s',
    });

    // ---- small-object GETs ----------------------------------------------------------------------
    log(`putting ${SMALL_OBJECTS} objects of ${SMALL_BYTES} bytes`);
    const small = Buffer.alloc(SMALL_BYTES, 7);
    await client.pfs.modify(
      'small@master',
      (function* (): Generator<FileOperation> {
        for (let i = 0; i < SMALL_OBJECTS; i++)
          yield { op: 'put', path: `/obj/${String(i).padStart(5, '0')}`, source: small };
      })(),
    );
    const smallKey = (i: number): string => `obj/${String(i % SMALL_OBJECTS).padStart(5, '0')}`;
    log(`${GETS} GetObjects at concurrency ${CONCURRENCY}`);
    const s3Gets = await timed(() =>
      pool(GETS, CONCURRENCY, async (i) => {
        const got = await s3.send(new GetObjectCommand({ Bucket: 'master.small', Key: smallKey(i) }));
        const n = await drain(got.Body as Readable);
        if (n !== SMALL_BYTES) throw new Error(`GetObject ${smallKey(i)} returned ${n} bytes`);
      }),
    );
    log(`${GETS} readFiles at concurrency ${CONCURRENCY}`);
    const grpcGets = await timed(() =>
      pool(GETS, CONCURRENCY, async (i) => {
        const n = await drain(client.pfs.readFile(`small@master:/${smallKey(i)}`));
        if (n !== SMALL_BYTES) throw new Error(`readFile ${smallKey(i)} returned ${n} bytes`);
      }),
    );
    const rps = (ms: number): number => GETS / (ms / 1000);
    rows.push({
      case: `${fmtInt(GETS)} small GETs (${SMALL_BYTES / 1024} KiB) at concurrency ${CONCURRENCY}`,
      figure: `${fmtInt(rps(s3Gets.ms))} req/s`,
      baseline: `${fmtInt(rps(grpcGets.ms))} req/s (readFile)`,
      ratio: fmtRatio(grpcGets.ms / s3Gets.ms),
      target: 'requests/s',
    });
  } finally {
    client.close();
    s3.destroy();
  }
  return rows;
}

/**
 * The cluster runs on the main thread, the clients (SDK and gRPC alike) on a worker thread: a real
 * client is another process, and the SDK's own work (SigV4 SHA-256 of every part, buffering parts)
 * must not be charged to the gateway's event loop. Both baselines run on the same worker.
 */
async function main(): Promise<void> {
  const work = mkdtempSync(join(flags.dir ?? tmpdir(), 'terrain-bench-s3-'));
  const dataDir = join(work, 'data');
  const cluster = await startCluster({
    dataDir,
    grpcAddress: `127.0.0.1:${await freePort()}`,
    s3Address: `127.0.0.1:${await freePort()}`,
    logLevel: 'warn',
    log,
  });
  let rows: Row[];
  try {
    const creds = loadS3Credentials(dataDir);
    const endpoints: Endpoints = {
      grpcAddress: cluster.grpcAddress,
      s3Endpoint: cluster.s3Endpoint!,
      ...creds,
      work,
    };
    const worker = new Worker(new URL(import.meta.url), {
      workerData: endpoints,
      argv: process.argv.slice(2),
    });
    rows = await new Promise<Row[]>((resolve, reject) => {
      worker.once('message', (m: Row[]) => resolve(m));
      worker.once('error', reject);
      worker.once('exit', (code) =>
        reject(new Error(`the benchmark worker exited (${code}) before reporting`)),
      );
    });
  } finally {
    await cluster.stop();
    if (!flags.keep) rmSync(work, { recursive: true, force: true });
    else log(`kept ${work}`);
  }
  printTable(
    `S3 gateway (${quick ? 'quick' : 'full'}; gateway figure beside pfs gRPC in the same run)`,
    rows,
  );
  printSummary([{ backend: 'local', rows }]);
}

if (isMainThread) await main();
else parentPort!.postMessage(await runCases(workerData as Endpoints));
