/**
 * The mount benchmark (issue 8), against a real `bin/terrain up --detach` cluster in a temporary
 * data directory and a real `bin/terrain mount`:
 * - sequential read of a 1 GiB file through the mount (`cat FILE > /dev/null`) vs `terrain get file`
 *   of the same file to /dev/null, same run (target: ≥ 0.5×);
 * - `find` + `stat` over 100,000 files through the mount (`find -printf` stats every file), files/s.
 *
 *   npx node test/bench/mount.ts            # 1 GiB, 100,000 files
 *   npx node test/bench/mount.ts --quick    # 128 MiB, 10,000 files
 *
 * Exits 1 when the read ratio misses its target. Needs /dev/fuse (root); says so and exits 2 otherwise.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect, type FileOperation } from '../../clients/ts/index.ts';
import { LAUNCHER, freePort, isolatedEnv, terrain } from '../e2e/terrain.ts';

const MiB = 1024 * 1024;
const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const fileBytes = values.quick ? 128 * MiB : 1024 * MiB;
const fileCount = values.quick ? 10_000 : 100_000;

if (!existsSync('/dev/fuse')) {
  console.error('bench:mount: no /dev/fuse here; cannot mount');
  process.exit(2);
}

const scratch = mkdtempSync(join(tmpdir(), 'terrain-bench-mount-'));
const dataDir = join(scratch, 'data');
const env = isolatedEnv(join(scratch, 'context.json'));
const grpc = `127.0.0.1:${await freePort()}`;
let mountChild: ChildProcess | undefined;
const mnt = join(scratch, 'mnt');

function time(
  cmd: string,
  args: string[],
  stdout: 'ignore' | 'pipe' = 'ignore',
): { ms: number; out: string } {
  const started = performance.now();
  const result = spawnSync(cmd, args, {
    env,
    stdio: ['ignore', stdout, 'pipe'],
    maxBuffer: 256 * MiB,
    encoding: 'utf8',
  });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${result.stderr}`);
  return { ms, out: result.stdout ?? '' };
}

try {
  const up = await terrain(
    [
      'up',
      '--detach',
      '--data-dir',
      dataDir,
      '--grpc-address',
      grpc,
      '--s3-address',
      `127.0.0.1:${await freePort()}`,
    ],
    { env, timeoutMs: 110_000 },
  );
  if (up.code !== 0) throw new Error(`terrain up failed: ${up.stderr}`);
  const client = connect(grpc, { context: null });
  await client.pfs.createRepo({ repo: { name: 'bench' } });
  // The big file, streamed from a generator (never whole in memory).
  const piece = randomBytes(4 * MiB);
  await client.pfs.putFile(
    'bench@master',
    '/big.bin',
    (function* () {
      for (let at = 0; at < fileBytes; at += piece.byteLength)
        yield piece.subarray(0, Math.min(piece.byteLength, fileBytes - at));
    })(),
  );
  // Many small files in 100 directories, one commit.
  await client.pfs.modify(
    'bench@master',
    (function* (): Generator<FileOperation> {
      for (let i = 0; i < fileCount; i++)
        yield { op: 'put', path: `/many/d${i % 100}/f${i}.txt`, source: Buffer.from(`file ${i}\n`) };
    })(),
  );
  client.close();

  mountChild = spawn(LAUNCHER, ['mount', mnt, '-r', 'bench'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  mountChild.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  for (let i = 0; !stderr.includes('mounted at'); i++) {
    if (i > 300) throw new Error(`mount failed: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  const get = time(LAUNCHER, ['get', 'file', 'bench@master:/big.bin', '-o', '/dev/null']);
  const read = time('sh', ['-c', `cat '${join(mnt, 'bench', 'big.bin')}' > /dev/null`]);
  const mbps = (ms: number) => fileBytes / MiB / (ms / 1000);
  const ratio = mbps(read.ms) / mbps(get.ms);
  const find = time('find', [join(mnt, 'bench', 'many'), '-type', 'f', '-printf', '%s %T@\n'], 'pipe');
  const seen = find.out.split('\n').filter((l) => l !== '').length;
  if (seen !== fileCount) throw new Error(`find saw ${seen} files, expected ${fileCount}`);

  console.log(
    `sequential read, ${fileBytes / MiB} MiB: mount ${mbps(read.ms).toFixed(0)} MB/s, get file ${mbps(get.ms).toFixed(0)} MB/s, ratio ${ratio.toFixed(2)}x (target >= 0.5x) ${ratio >= 0.5 ? 'OK' : 'MISSED'}`,
  );
  console.log(
    `find + stat over ${fileCount} files: ${(fileCount / (find.ms / 1000)).toFixed(0)} files/s (${(find.ms / 1000).toFixed(1)} s)`,
  );
  process.exitCode = ratio >= 0.5 ? 0 : 1;
} finally {
  if (existsSync(join(scratch, 'context.json'))) {
    await terrain(['unmount', mnt], { env }).catch(() => undefined);
  }
  if (mountChild && mountChild.exitCode === null) mountChild.kill('SIGKILL');
  if (readFileSync('/proc/mounts', 'utf8').includes(mnt)) spawnSync('fusermount', ['-u', '-z', mnt]);
  await terrain(['down', '--data-dir', dataDir], { env }).catch(() => undefined);
  rmSync(scratch, { recursive: true, force: true });
}
