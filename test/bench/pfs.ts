/**
 * The pfs benchmark (issue 3): pfs as its own process (services/pfs/main.ts, default format
 * parameters) on an etcd and — for S3 — a Swift server that this script starts, driven over gRPC
 * on loopback with the generated PfsClient, as a user's client would. Every figure is printed
 * beside a baseline measured in the same run on the same bytes: `cp`/`cat` of the same file on the
 * local backend, `aws s3 cp` of the same file to the same server on S3.
 *
 *   npx node test/bench/pfs.ts                         # both backends, full sizes (several minutes)
 *   npx node test/bench/pfs.ts --backend local --quick # about a minute
 *   npx node test/bench/pfs.ts --dir /mnt/fast         # where data, the local store and etcd live (default: the OS temp dir)
 *
 * Memory: the pfs figures are the pfs process's peak RSS (VmHWM from /proc, reset before each
 * case); the client streams from and to files and is reported apart.
 */
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CommitState } from '../../proto/gen/terrain/pfs/v1/commit.ts';
import type { ModifyFileRequest } from '../../proto/gen/terrain/pfs/v1/file.ts';
import type { Commit } from '../../proto/gen/terrain/pfs/v1/refs.ts';
import { startEtcd, type EmbeddedEtcd } from '../../services/platform/etcd/embedded.ts';
import { fromServiceError } from '../../services/platform/grpc-status.ts';
import { LocalObjectStore } from '../../services/platform/object-store/local.ts';
import type { ObjectStore } from '../../services/platform/object-store/object-store.ts';
import { S3ObjectStore } from '../../services/platform/object-store/s3.ts';
import { s3Client } from '../harness/index.ts';
import { startSwift, type S3Server } from '../harness/swift.ts';
import { startPfsProcess, type PfsProcess } from '../integration/pfs/fixtures/pfs-process.ts';
import { Prng, writeModifiedCopy, writePrngFile } from './lib/data.ts';
import { median, sampleOwnRss, storeTotals, timeCommand, totalsDelta } from './lib/measure.ts';
import {
  GiB,
  MiB,
  atLeast,
  atMost,
  fmtInt,
  fmtMBps,
  fmtMiB,
  fmtMs,
  fmtRatio,
  mbps,
  printSummary,
  printTable,
  type Row,
} from './lib/report.ts';

const { values: flags } = parseArgs({
  options: {
    backend: { type: 'string', default: 'both' },
    quick: { type: 'boolean', default: false },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'default-client': { type: 'boolean', default: false },
  },
});
const backends = flags.backend === 'both' ? ['local', 's3'] : [flags.backend!];
for (const b of backends)
  if (b !== 'local' && b !== 's3')
    throw new Error(`--backend must be local, s3 or both, not ${JSON.stringify(b)}`);
const quick = flags.quick!;

const BIG = quick ? 128 * MiB : GiB;
const SMALL_FILES = quick ? 10_000 : 100_000;
const REPO_SIZES = quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
const FINISH_REPS = 5;
const AWS = '/usr/bin/aws';
const bigLabel = BIG >= GiB ? `${BIG / GiB} GiB` : `${BIG / MiB} MiB`;
const onMaster = (repo: string): Commit => ({ repo: { name: repo }, id: '', branch: 'master', ancestors: 0 });
const log = (s: string): void => console.error(`  … ${s}`);

/**
 * Channel options of the benchmark's client — what a bulk client of pfs should set (clients/ts too):
 * - grpc-js keeps each sent message in a per-call retry buffer (default 256 KiB) and, for every
 *   message the transport finishes, copies the rest of that buffer (retrying-call.js
 *   clearSentMessages). With ~40-byte puts that is thousands of entries copied per message: a
 *   ModifyFile stream of small puts ran at ~9k files/s instead of ~43k here. pfs has no retry
 *   policy, so a zero buffer loses nothing; it also restores real backpressure (writes wait for
 *   the transport instead of completing on the next tick).
 * - A 16 MiB HTTP/2 window lets GetFile/WalkFile run ahead of the client's event loop instead of
 *   waiting for a WINDOW_UPDATE every 64 KiB.
 * `--default-client` runs with grpc-js's defaults instead, to see the difference.
 */
const CLIENT_OPTIONS = flags['default-client']
  ? {}
  : { 'grpc.per_rpc_retry_buffer_size': 0, 'grpc-node.flow_control_window': 16 * MiB };

// ------------------------------------------------------------------------------------------------
// Request builders

async function* fileMessages(target: Commit, path: string, file: string): AsyncGenerator<ModifyFileRequest> {
  yield { body: { $case: 'setCommit', value: target } };
  let first = true;
  for await (const chunk of createReadStream(file, { highWaterMark: MiB }) as AsyncIterable<Buffer>) {
    if (first) {
      first = false;
      yield {
        body: {
          $case: 'putFile',
          value: { path, append: false, data: chunk, datum: '', metadata: {}, ifNotExists: false },
        },
      };
    } else {
      yield { body: { $case: 'data', value: chunk } };
    }
  }
  if (first)
    yield {
      body: {
        $case: 'putFile',
        value: { path, append: false, data: Buffer.alloc(0), datum: '', metadata: {}, ifNotExists: false },
      },
    };
}

function* manyFiles(
  target: Commit,
  count: number,
  content: (i: number) => Buffer,
): Generator<ModifyFileRequest> {
  yield { body: { $case: 'setCommit', value: target } };
  for (let i = 0; i < count; i++) {
    yield {
      body: {
        $case: 'putFile',
        value: {
          path: manyPath(i),
          append: false,
          data: content(i),
          datum: '',
          metadata: {},
          ifNotExists: false,
        },
      },
    };
  }
}
const manyPath = (i: number): string =>
  `/${String(Math.floor(i / 1000)).padStart(4, '0')}/f${String(i).padStart(7, '0')}`;

// ------------------------------------------------------------------------------------------------
// One backend

interface Backend {
  name: 'local' | 's3';
  storage: string;
  env: Record<string, string>;
  objects: ObjectStore;
  /** put of the big file by the baseline tool, ms. */
  basePut(file: string): number;
  /** get of the big file by the baseline tool (S3 only), ms. */
  baseGet?(): number;
  putBaselineName: string;
  putTarget: number;
}

async function runBackend(b: Backend, etcd: EmbeddedEtcd, work: string): Promise<Row[]> {
  const rows: Row[] = [];
  const bigFile = join(work, 'big.bin');
  const modFile = join(work, 'big-modified.bin');
  const pfs = await startPfsProcess({
    etcdEndpoint: etcd.endpoint,
    etcdPrefix: `/bench-${b.name}-${randomBytes(4).toString('hex')}/`,
    storage: b.storage,
    env: b.env,
    logFile: join(work, `pfs-${b.name}.log`),
    clientOptions: CLIENT_OPTIONS,
  });
  try {
    const createRepo = (name: string): Promise<unknown> =>
      pfs.call(pfs.client.createRepo, {
        repo: { name },
        description: '',
        update: false,
        type: 0,
        pipeline: '',
      });
    await createRepo('big');

    // 1. put the big file: throughput against the baseline tool, and pfs's peak memory.
    log(`${b.name}: baseline ${b.putBaselineName} of ${bigLabel}`);
    const baseMs = b.basePut(bigFile);
    log(`${b.name}: pfs put of ${bigLabel}`);
    let before = await storeTotals(b.objects);
    let put = await timedPut(pfs, onMaster('big'), '/big.bin', bigFile);
    const putDelta = totalsDelta(await storeTotals(b.objects), before);
    const putMBps = mbps(BIG, put.ms);
    const baseMBps = mbps(BIG, baseMs);
    rows.push({
      case: `put a ${bigLabel} file`,
      figure: fmtMBps(putMBps),
      baseline: `${b.putBaselineName}: ${fmtMBps(baseMBps)}`,
      ratio: fmtRatio(putMBps / baseMBps),
      target: `≥ ${b.putTarget}× ${b.putBaselineName}`,
      verdict: atLeast(putMBps / baseMBps, b.putTarget),
    });
    rows.push({
      case: `  peak RSS of pfs during that put`,
      figure: fmtMiB(put.pfsPeak),
      baseline: `client: ${fmtMiB(put.clientPeak)}`,
      ratio: '',
      target: '< 256 MiB',
      verdict: atMost(put.pfsPeak, 256 * MiB - 1),
    });
    rows.push({
      case: `  bytes stored by that put`,
      figure: `${fmtMiB(putDelta.bytes)} in ${fmtInt(putDelta.objects)} objects`,
      baseline: `file: ${fmtMiB(BIG)}`,
      ratio: fmtRatio(putDelta.bytes / BIG),
      target: '',
    });

    // 2. the same bytes again (another path, a new commit): deduplicated.
    log(`${b.name}: pfs put of the same ${bigLabel} again`);
    before = await storeTotals(b.objects);
    put = await timedPut(pfs, onMaster('big'), '/again.bin', bigFile);
    const againDelta = totalsDelta(await storeTotals(b.objects), before);
    rows.push({
      case: `put the same ${bigLabel} again`,
      figure: `${fmtMiB(againDelta.bytes)} new`,
      baseline: `file: ${fmtMiB(BIG)}`,
      ratio: `${((againDelta.bytes / BIG) * 100).toFixed(3)}%`,
      target: '≤ 1% new bytes',
      verdict: atMost(againDelta.bytes / BIG, 0.01),
    });
    rows.push({
      case: '  its throughput',
      figure: fmtMBps(mbps(BIG, put.ms)),
      baseline: `${b.putBaselineName}: ${fmtMBps(baseMBps)}`,
      ratio: fmtRatio(mbps(BIG, put.ms) / baseMBps),
      target: '',
    });

    // 3. 1 MiB changed in the middle.
    log(`${b.name}: pfs put of ${bigLabel} with 1 MiB changed in the middle`);
    before = await storeTotals(b.objects);
    put = await timedPut(pfs, onMaster('big'), '/big.bin', modFile);
    const modDelta = totalsDelta(await storeTotals(b.objects), before);
    rows.push({
      case: `${bigLabel} with 1 MiB changed in the middle`,
      figure: `${fmtMiB(modDelta.chunkBytes)} new chunk bytes`,
      baseline: 'changed: 1.00 MiB',
      ratio: fmtRatio(modDelta.chunkBytes / MiB),
      target: '≤ 8 MiB',
      verdict: atMost(modDelta.chunkBytes, 8 * MiB),
    });
    rows.push({
      case: '  and new index bytes',
      figure: fmtMiB(modDelta.indexBytes),
      baseline: '',
      ratio: '',
      target: '',
    });

    // 4. many small files in one commit.
    log(`${b.name}: ${fmtInt(SMALL_FILES)} files of 1 KiB in one commit`);
    await createRepo('small');
    const prng = new Prng(7);
    before = await storeTotals(b.objects);
    const t0 = performance.now();
    await pfs.modify(manyFiles(onMaster('small'), SMALL_FILES, () => prng.bytes(1024)));
    const smallMs = performance.now() - t0;
    const smallDelta = totalsDelta(await storeTotals(b.objects), before);
    const filesPerS = SMALL_FILES / (smallMs / 1000);
    rows.push({
      case: `${fmtInt(SMALL_FILES)} files of 1 KiB in one commit`,
      figure: `${fmtInt(filesPerS)} files/s`,
      baseline: `${fmtMs(smallMs)} in all`,
      ratio: '',
      target: '≥ 5,000 files/s',
      verdict: atLeast(filesPerS, 5000),
    });
    rows.push({
      case: '  objects stored ÷ files',
      figure: `${fmtInt(smallDelta.objects)} objects`,
      baseline: `${fmtInt(smallDelta.chunkObjects)} chunks + ${fmtInt(smallDelta.indexObjects)} pages`,
      ratio: `${((smallDelta.objects / SMALL_FILES) * 100).toFixed(2)}%`,
      target: '≤ 1% of the files',
      verdict: atMost(smallDelta.objects / SMALL_FILES, 0.01),
    });

    // 5. FinishCommit changing one file, in repos of growing size.
    const finishMs: number[] = [];
    for (const n of REPO_SIZES) {
      const repo = `r${n}`;
      await createRepo(repo);
      log(`${b.name}: building a repo of ${fmtInt(n)} files`);
      pfs.resetPeakRss();
      const tb = performance.now();
      await pfs.modify(manyFiles(onMaster(repo), n, (i) => Buffer.from(`${i}\n`)));
      const buildMs = performance.now() - tb;
      rows.push({
        case: `  build a ${fmtInt(n)}-file repo (one ModifyFile stream)`,
        figure: `${fmtInt(n / (buildMs / 1000))} files/s`,
        baseline: `${fmtMs(buildMs)} in all; pfs peak RSS ${fmtMiB(pfs.peakRss())}`,
        ratio: '',
        target: '',
      });
      const times: number[] = [];
      for (let rep = 0; rep < FINISH_REPS; rep++) {
        const { commit } = await pfs.call(pfs.client.startCommit, {
          branch: { repo: { name: repo }, name: 'master' },
          description: '',
          parent: undefined,
          expectedHead: undefined,
        });
        const i = Math.floor(n / 2) + rep * 7;
        await pfs.modify(oneFile(commit!, manyPath(i), Buffer.from(`changed ${rep}\n`)));
        const tf = performance.now();
        await pfs.call(pfs.client.finishCommit, {
          commit: commit!,
          description: '',
          error: '',
          force: false,
        });
        times.push(performance.now() - tf);
        // FinishCommit returns once the commit is complete when its parent is finished: check it was.
        const done = await pfs.call(pfs.client.inspectCommit, { commit: commit!, wait: 0 });
        if (done.state !== CommitState.FINISHED)
          throw new Error(
            `FinishCommit returned before ${repo}@${commit!.id} was FINISHED (state ${done.state})`,
          );
      }
      finishMs.push(median(times));
    }
    const small = finishMs[0]!;
    const large = finishMs[finishMs.length - 1]!;
    rows.push({
      case: `FinishCommit changing 1 file (median of ${FINISH_REPS})`,
      figure: REPO_SIZES.map((n, k) => `${shortCount(n)}: ${fmtMs(finishMs[k]!)}`).join(', '),
      baseline: `${shortCount(REPO_SIZES[0]!)} files: ${fmtMs(small)}`,
      ratio: `${fmtRatio(large / small)} (${shortCount(REPO_SIZES.at(-1)!)} ÷ ${shortCount(REPO_SIZES[0]!)})`,
      target: `≤ 3× (${shortCount(REPO_SIZES.at(-1)!)} ÷ ${shortCount(REPO_SIZES[0]!)})`,
      verdict: atMost(large / small, 3),
    });

    // 6. list the largest repo; memory compared with listing one ten times smaller.
    const listed: { n: number; ms: number; pfsPeak: number; clientPeak: number; pfsBefore: number }[] = [];
    for (const n of REPO_SIZES.slice(-2)) {
      log(`${b.name}: listing ${fmtInt(n)} files`);
      listed.push({ n, ...(await timedWalk(pfs, onMaster(`r${n}`), n)) });
    }
    const [smaller, largest] = listed as [(typeof listed)[0], (typeof listed)[0]];
    const perS = largest.n / (largest.ms / 1000);
    rows.push({
      case: `list ${shortCount(largest.n)} files (WalkFile)`,
      figure: `${fmtInt(perS)} entries/s`,
      baseline: `${fmtMs(largest.ms)} in all`,
      ratio: '',
      target: '≥ 200,000 entries/s',
      verdict: atLeast(perS, 200_000),
    });
    // Flat: the listing's memory does not grow with the number of entries (1M FileInfos would be ~200 MiB).
    const growth = (l: (typeof listed)[0]): number => Math.max(0, l.pfsPeak - l.pfsBefore);
    rows.push({
      case: `  pfs memory while listing (peak − before)`,
      figure: `${shortCount(largest.n)}: +${fmtMiB(growth(largest))}`,
      baseline: `${shortCount(smaller.n)}: +${fmtMiB(growth(smaller))}; at rest: ${fmtMiB(largest.pfsBefore)}`,
      ratio: '',
      target: 'flat: ≤ +32 MiB',
      verdict: atMost(growth(largest), 32 * MiB),
    });
    rows.push({
      case: '  peak RSS of the client while listing',
      figure: fmtMiB(largest.clientPeak),
      baseline: `${shortCount(smaller.n)}: ${fmtMiB(smaller.clientPeak)}`,
      ratio: '',
      target: '',
    });

    // 7. get the big file (the first version: /again.bin has its bytes).
    log(`${b.name}: cat and pfs get of ${bigLabel}`);
    const catMs = timeCommand('sh', ['-c', `cat '${bigFile}' > /dev/null`]);
    const restBeforeGet = pfs.rss();
    const get = await timedGet(pfs, onMaster('big'), '/again.bin');
    if (get.bytes !== BIG) throw new Error(`GetFile returned ${get.bytes} bytes, not ${BIG}`);
    const getMBps = mbps(BIG, get.ms);
    rows.push({
      case: `get a ${bigLabel} file`,
      figure: fmtMBps(getMBps),
      baseline: `cat: ${fmtMBps(mbps(BIG, catMs))}`,
      ratio: fmtRatio(getMBps / mbps(BIG, catMs)),
      target: 'report against cat',
    });
    if (b.baseGet) {
      const awsMs = b.baseGet();
      rows.push({
        case: '  the same get against aws s3 cp',
        figure: fmtMBps(getMBps),
        baseline: `aws s3 cp: ${fmtMBps(mbps(BIG, awsMs))}`,
        ratio: fmtRatio(getMBps / mbps(BIG, awsMs)),
        target: '',
      });
    }
    rows.push({
      case: '  peak RSS of pfs during the get',
      figure: fmtMiB(get.pfsPeak),
      baseline: `before: ${fmtMiB(restBeforeGet)}; client: ${fmtMiB(get.clientPeak)}`,
      ratio: '',
      target: '',
    });
    return rows;
  } finally {
    await pfs.stop();
  }
}

function* oneFile(target: Commit, path: string, data: Buffer): Generator<ModifyFileRequest> {
  yield { body: { $case: 'setCommit', value: target } };
  yield {
    body: {
      $case: 'putFile',
      value: { path, append: false, data, datum: '', metadata: {}, ifNotExists: false },
    },
  };
}

const shortCount = (n: number): string => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

async function timedPut(
  pfs: PfsProcess,
  target: Commit,
  path: string,
  file: string,
): Promise<{ ms: number; pfsPeak: number; clientPeak: number }> {
  pfs.resetPeakRss();
  const own = sampleOwnRss();
  const t0 = performance.now();
  await pfs.modify(fileMessages(target, path, file));
  const ms = performance.now() - t0;
  return { ms, pfsPeak: pfs.peakRss(), clientPeak: own.stop() };
}

async function timedWalk(
  pfs: PfsProcess,
  commit: Commit,
  expected: number,
): Promise<{ ms: number; pfsPeak: number; clientPeak: number; pfsBefore: number }> {
  const pfsBefore = pfs.rss();
  pfs.resetPeakRss();
  const own = sampleOwnRss();
  const t0 = performance.now();
  let n = 0;
  try {
    for await (const _ of pfs.client.walkFile({
      file: { commit, path: '/', fileSetId: '' },
      pageSize: 0,
      pageToken: '',
      filesOnly: true,
    }))
      n++;
  } catch (err) {
    throw fromServiceError(err, 'pfs');
  }
  const ms = performance.now() - t0;
  if (n !== expected) throw new Error(`WalkFile returned ${n} files, not ${expected}`);
  return { ms, pfsPeak: pfs.peakRss(), clientPeak: own.stop(), pfsBefore };
}

async function timedGet(
  pfs: PfsProcess,
  commit: Commit,
  path: string,
): Promise<{ ms: number; bytes: number; pfsPeak: number; clientPeak: number }> {
  pfs.resetPeakRss();
  const own = sampleOwnRss();
  const t0 = performance.now();
  let bytes = 0;
  try {
    for await (const part of pfs.client.getFile({
      file: { commit, path, fileSetId: '' },
      offset: 0n,
      length: 0n,
    }))
      bytes += (part as { data: Buffer }).data.length;
  } catch (err) {
    throw fromServiceError(err, 'pfs');
  }
  return { ms: performance.now() - t0, bytes, pfsPeak: pfs.peakRss(), clientPeak: own.stop() };
}

// ------------------------------------------------------------------------------------------------
// Main

const root = flags.dir ?? tmpdir();
const work = mkdtempSync(join(root, 'terrain-bench-pfs-'));
const shm = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/terrain-bench-pfs-') : work;
let etcd: EmbeddedEtcd | undefined;
let swift: S3Server | undefined;
const results: { backend: string; rows: Row[] }[] = [];
try {
  console.log(
    `pfs benchmark (${quick ? 'quick' : 'full'}${flags['default-client'] ? ', grpc-js default client options' : ''}): big file ${bigLabel}, ${fmtInt(SMALL_FILES)} small files, repos of ${REPO_SIZES.map(shortCount).join('/')} files; work dir ${work}`,
  );
  log(`writing ${bigLabel} of PRNG data`);
  writePrngFile(join(work, 'big.bin'), BIG, 1);
  writeModifiedCopy(
    join(work, 'big.bin'),
    join(work, 'big-modified.bin'),
    Math.floor(BIG / 2 / MiB) * MiB,
    MiB,
    2,
  );
  etcd = await startEtcd({ dataDir: join(work, 'etcd'), logFile: join(work, 'etcd.log') });

  for (const name of backends) {
    let backend: Backend;
    if (name === 'local') {
      const storeDir = join(work, 'store-local');
      const cpDir = join(work, 'cp');
      mkdirSync(cpDir);
      backend = {
        name: 'local',
        storage: `local:${storeDir}`,
        env: {},
        objects: new LocalObjectStore(storeDir),
        putBaselineName: 'cp',
        putTarget: 0.4,
        basePut: (file) => {
          const ms = timeCommand('cp', [file, join(cpDir, 'big.bin')]);
          rmSync(join(cpDir, 'big.bin'));
          return ms;
        },
      };
    } else {
      swift ??= await startSwift({ baseDir: join(shm, 'swift'), logLevel: 'WARNING' });
      const s3 = swift;
      const client = s3Client(s3);
      const bucket = `bench-pfs-${randomBytes(4).toString('hex')}`;
      const baseBucket = `bench-base-${randomBytes(4).toString('hex')}`;
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      await client.send(new CreateBucketCommand({ Bucket: baseBucket }));
      client.destroy();
      const awsEnv: Record<string, string> = {
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        AWS_DEFAULT_REGION: s3.region,
        AWS_REGION: s3.region,
      };
      // The endpoint is plain http on loopback; a CA bundle from the environment is irrelevant.
      const cliEnv: NodeJS.ProcessEnv = { ...process.env, ...awsEnv };
      delete cliEnv['AWS_CA_BUNDLE'];
      backend = {
        name: 's3',
        storage: `s3://${bucket}?endpoint=${encodeURIComponent(s3.endpoint)}&region=${s3.region}`,
        env: awsEnv,
        objects: new S3ObjectStore({
          bucket,
          endpoint: s3.endpoint,
          region: s3.region,
          forcePathStyle: true,
          credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
        }),
        putBaselineName: 'aws s3 cp',
        putTarget: 0.8,
        basePut: (file) =>
          timeCommand(
            AWS,
            [
              's3',
              'cp',
              '--only-show-errors',
              '--endpoint-url',
              s3.endpoint,
              file,
              `s3://${baseBucket}/big.bin`,
            ],
            { env: cliEnv },
          ),
        baseGet: () => {
          const out = join(work, 'aws-get.bin');
          const ms = timeCommand(
            AWS,
            [
              's3',
              'cp',
              '--only-show-errors',
              '--endpoint-url',
              s3.endpoint,
              `s3://${baseBucket}/big.bin`,
              out,
            ],
            { env: cliEnv },
          );
          rmSync(out, { force: true });
          return ms;
        },
      };
    }
    const rows = await runBackend(backend, etcd, work);
    printTable(
      `pfs on the ${name === 'local' ? `local backend (${work})` : 'S3 backend (Swift s3api on loopback)'}`,
      rows,
    );
    results.push({ backend: name, rows });
  }
  printSummary(results);
} finally {
  await swift?.stop();
  await etcd?.stop();
  if (!flags.keep) {
    rmSync(work, { recursive: true, force: true });
    if (shm !== work) rmSync(shm, { recursive: true, force: true });
  }
}
