/**
 * `terrain mount` end to end (issue 8): a real `bin/terrain up --detach` cluster in a temporary
 * data directory, the real launcher mounting through FUSE, and plain tools (fs calls, `find`,
 * `grep -r`, `cp -r`, `dd`) reading and writing through the kernel.
 *
 * Where FUSE cannot work (no /dev/fuse, fuse-native does not load) every test is reported as
 * skipped with the reason; nothing passes silently.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LAUNCHER,
  freePort,
  isolatedEnv,
  jsonLines,
  terrain,
  treeDigest,
  type TerrainResult,
} from './terrain.ts';

const MiB = 1024 * 1024;

function fuseUnavailable(): string | undefined {
  if (!existsSync('/dev/fuse')) return 'no /dev/fuse on this machine';
  try {
    createRequire(import.meta.url)('fuse-native');
  } catch (err) {
    return `fuse-native does not load here: ${(err as Error).message}`;
  }
  return undefined;
}

function assertOk(result: TerrainResult, what: string): void {
  assert.equal(result.code, 0, `${what} failed (exit ${result.code}): ${result.stderr}`);
}

function mountedAt(dir: string): boolean {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[1] === dir);
}

describe('terrain mount (FUSE) against `terrain up --detach`', function () {
  const skipReason = fuseUnavailable();
  let scratch: string;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let upArgs: string[];
  const mounts: { dir: string; child: ChildProcess }[] = [];

  const run = (args: string[], input?: Buffer | string) =>
    terrain(args, { env, ...(input !== undefined ? { input } : {}) });

  /** Starts `terrain mount DIR ARGS…` and waits until the kernel serves DIR. */
  async function mount(dir: string, args: string[] = []): Promise<ChildProcess> {
    const child = spawn(LAUNCHER, ['mount', dir, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    mounts.push({ dir, child });
    const deadline = Date.now() + 30_000;
    while (!stderr.includes('mounted at')) {
      if (child.exitCode !== null) throw new Error(`terrain mount exited ${child.exitCode}: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`terrain mount did not mount ${dir} within 30 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(mountedAt(dir), `${dir} is in /proc/mounts`);
    return child;
  }

  async function unmount(dir: string): Promise<TerrainResult> {
    const result = await run(['unmount', dir]);
    const entry = mounts.find((m) => m.dir === dir);
    if (entry && entry.child.exitCode === null) {
      await new Promise((r) => entry.child.once('exit', r));
    }
    return result;
  }

  before(async function () {
    if (skipReason) {
      console.log(`    SKIPPED: FUSE mount tests cannot run here: ${skipReason}`);
      this.skip();
    }
    scratch = mkdtempSync(join(tmpdir(), 'terrain-e2e-mount-'));
    dataDir = join(scratch, 'data');
    env = isolatedEnv(join(scratch, 'context.json'));
    upArgs = [
      'up',
      '--detach',
      '--data-dir',
      dataDir,
      '--grpc-address',
      `127.0.0.1:${await freePort()}`,
      '--s3-address',
      `127.0.0.1:${await freePort()}`,
    ];
    const up = await terrain(upArgs, { env, timeoutMs: 110_000 });
    assertOk(up, 'terrain up --detach');
  });

  after(async () => {
    for (const { dir, child } of mounts) {
      if (child.exitCode === null) child.kill('SIGKILL');
      if (mountedAt(dir)) spawnSync('fusermount', ['-u', '-z', dir]);
    }
    if (env) await terrain(['down', '--data-dir', dataDir], { env });
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('reads a 50 MiB tree through the mount byte-identical to `get file -r`, with find, grep -r and cp -r', async () => {
    const tree = join(scratch, 'tree');
    mkdirSync(join(tree, 'a', 'b'), { recursive: true });
    mkdirSync(join(tree, 'c'), { recursive: true });
    writeFileSync(join(tree, 'big.bin'), randomBytes(40 * MiB));
    writeFileSync(join(tree, 'a', 'mid.bin'), randomBytes(7 * MiB + 13));
    for (let i = 0; i < 200; i++)
      writeFileSync(join(tree, 'a', 'b', `f${i}.txt`), `file ${i}\n${randomBytes(i * 97).toString('hex')}`);
    writeFileSync(join(tree, 'c', 'needle.txt'), 'the needle is here\n');
    writeFileSync(join(tree, 'c', 'empty'), '');
    assertOk(await run(['create', 'repo', 'tree']), 'create repo');
    assertOk(await run(['put', 'file', 'tree@master:/', '-r', '-f', tree]), 'put file -r');
    const viaGet = join(scratch, 'via-get');
    assertOk(await run(['get', 'file', 'tree@master:/', '-r', '-o', viaGet]), 'get file -r');

    const mnt = join(scratch, 'mnt-all');
    await mount(mnt);
    assert.deepEqual(await treeDigest(join(mnt, 'tree')), await treeDigest(viaGet));
    assert.equal(statSync(join(mnt, 'tree', 'a', 'mid.bin')).size, 7 * MiB + 13);
    assert.ok(
      statSync(join(mnt, 'tree', 'big.bin')).mtime.getTime() > Date.now() - 10 * 60_000,
      'mtime comes from pfs',
    );

    const found = spawnSync('find', [join(mnt, 'tree'), '-type', 'f'], { encoding: 'utf8' });
    assert.equal(found.status, 0, found.stderr);
    assert.equal(found.stdout.trim().split('\n').length, 204);
    const grep = spawnSync('grep', ['-rl', 'needle is here', join(mnt, 'tree')], { encoding: 'utf8' });
    assert.equal(grep.stdout.trim(), join(mnt, 'tree', 'c', 'needle.txt'));
    const copy = join(scratch, 'via-cp');
    const cp = spawnSync('cp', ['-r', join(mnt, 'tree'), copy], { encoding: 'utf8' });
    assert.equal(cp.status, 0, cp.stderr);
    assert.deepEqual(await treeDigest(copy), await treeDigest(viaGet));
    rmSync(copy, { recursive: true });

    // Random reads at odd offsets, straddling cache blocks.
    const want = readFileSync(join(tree, 'big.bin'));
    const fd = openSync(join(mnt, 'tree', 'big.bin'), 'r');
    try {
      for (const [offset, length] of [
        [0, 1],
        [1, 3],
        [2 * MiB - 7, 19],
        [12_345_677, 4099],
        [40 * MiB - 5, 100],
        [40 * MiB + 9, 10],
      ] as const) {
        const buf = Buffer.alloc(length);
        const n = readSync(fd, buf, 0, length, offset);
        assert.deepEqual(
          buf.subarray(0, n),
          want.subarray(offset, offset + length),
          `bytes at ${offset}+${length}`,
        );
      }
    } finally {
      closeSync(fd);
    }
    const dd = spawnSync(
      'dd',
      [`if=${join(mnt, 'tree', 'big.bin')}`, 'bs=4096', 'skip=3001', 'count=3', 'status=none'],
      { maxBuffer: MiB },
    );
    assert.equal(dd.status, 0);
    assert.deepEqual(dd.stdout, want.subarray(3001 * 4096, 3004 * 4096));

    assertOk(await unmount(mnt), 'terrain unmount');
    assert.equal(mountedAt(mnt), false);
  });

  it('refuses writes on a read-only mount and on a commit with EROFS', async () => {
    const listed = await run(['list', 'commit', 'tree', '--json']);
    assertOk(listed, 'list commit');
    const id = jsonLines<{ commit: { id: string } }>(listed)[0]?.commit.id ?? '';
    const mnt = join(scratch, 'mnt-ro');
    await mount(mnt, ['-r', 'tree']);
    assert.throws(() => writeFileSync(join(mnt, 'tree', 'new.txt'), 'x'), { code: 'EROFS' });
    assert.throws(() => unlinkSync(join(mnt, 'tree', 'c', 'needle.txt')), { code: 'EROFS' });
    assert.throws(() => readFileSync(join(mnt, 'tree', 'no-such-file')), { code: 'ENOENT' });
    assertOk(await unmount(mnt), 'terrain unmount');

    const commitMnt = join(scratch, 'mnt-commit');
    await mount(commitMnt, ['-r', `tree@${id}`]);
    assert.equal(readFileSync(join(commitMnt, 'tree', 'c', 'needle.txt'), 'utf8'), 'the needle is here\n');
    assert.throws(() => writeFileSync(join(commitMnt, 'tree', 'c', 'needle.txt'), 'x'), { code: 'EROFS' });
    assertOk(await unmount(commitMnt), 'terrain unmount');
  });

  it('stages writes, renames and deletes on a +w mount and commits them as one commit', async () => {
    assertOk(await run(['create', 'repo', 'rw']), 'create repo');
    assertOk(await run(['put', 'file', 'rw@master:/keep.txt', '-f', '-'], 'keep\n'), 'put keep');
    assertOk(await run(['put', 'file', 'rw@master:/old/name.txt', '-f', '-'], 'rename me\n'), 'put old');
    assertOk(await run(['put', 'file', 'rw@master:/gone.txt', '-f', '-'], 'delete me\n'), 'put gone');
    const before = jsonLines(await run(['list', 'commit', 'rw', '--json'])).length;

    const mnt = join(scratch, 'mnt-rw');
    await mount(mnt, ['-r', 'rw@master+w']);
    const root = join(mnt, 'rw');
    writeFileSync(join(root, 'new.txt'), 'brand new\n');
    assert.throws(() => mkdirSync(join(mnt, 'another-repo')), { code: 'EACCES' });
    writeFileSync(join(root, 'keep.txt'), 'more\n', { flag: 'a' });
    renameSync(join(root, 'old', 'name.txt'), join(root, 'renamed.txt'));
    unlinkSync(join(root, 'gone.txt'));
    mkdirSync(join(root, 'dir'));
    writeFileSync(join(root, 'dir', 'inner.txt'), 'inner\n');
    writeFileSync(join(root, 'trunc.txt'), 'abcdefgh');
    spawnSync('truncate', ['-s', '3', join(root, 'trunc.txt')]);
    // Like any POSIX filesystem, moving the last file out of old/ leaves old/ empty; pfs has no empty
    // directories, so it is gone after the commit (checked below).
    assert.deepEqual(readdirSync(root).sort(), [
      'dir',
      'keep.txt',
      'new.txt',
      'old',
      'renamed.txt',
      'trunc.txt',
    ]);
    assert.deepEqual(readdirSync(join(root, 'old')), []);
    assert.equal(readFileSync(join(root, 'keep.txt'), 'utf8'), 'keep\nmore\n');
    // Nothing is committed before commit-mount.
    assert.equal(jsonLines(await run(['list', 'commit', 'rw', '--json'])).length, before);

    assertOk(await run(['commit-mount', mnt]), 'commit-mount');
    assert.equal(
      jsonLines(await run(['list', 'commit', 'rw', '--json'])).length,
      before + 1,
      'exactly one new commit',
    );
    const files = jsonLines<{ file: { path: string } }>(
      await run(['list', 'file', 'rw@master:/', '--json']),
    ).map((f) => f.file.path);
    assert.deepEqual(files.sort(), ['/dir/', '/keep.txt', '/new.txt', '/renamed.txt', '/trunc.txt']);
    assert.equal((await run(['get', 'file', 'rw@master:/renamed.txt'])).out, 'rename me\n');
    assert.equal((await run(['get', 'file', 'rw@master:/keep.txt'])).out, 'keep\nmore\n');
    assert.equal((await run(['get', 'file', 'rw@master:/trunc.txt'])).out, 'abc');
    assert.equal((await run(['get', 'file', 'rw@master:/dir/inner.txt'])).out, 'inner\n');

    // A change left at unmount is committed then.
    writeFileSync(join(root, 'last.txt'), 'at unmount\n');
    assertOk(await unmount(mnt), 'terrain unmount');
    assert.equal((await run(['get', 'file', 'rw@master:/last.txt'])).out, 'at unmount\n');
  });

  it('commits each closed file at once with --commit-on-close', async () => {
    const before = jsonLines(await run(['list', 'commit', 'rw', '--json'])).length;
    const mnt = join(scratch, 'mnt-close');
    await mount(mnt, ['-r', 'rw@master+w', '--commit-on-close']);
    writeFileSync(join(mnt, 'rw', 'closed.txt'), 'committed on close\n');
    assert.equal((await run(['get', 'file', 'rw@master:/closed.txt'])).out, 'committed on close\n');
    assert.equal(jsonLines(await run(['list', 'commit', 'rw', '--json'])).length, before + 1);
    assertOk(await unmount(mnt), 'terrain unmount');
    assert.equal(
      jsonLines(await run(['list', 'commit', 'rw', '--json'])).length,
      before + 1,
      'nothing left to commit',
    );
  });

  it('keeps a write that cannot be committed because the branch moved, and reports it', async () => {
    const mnt = join(scratch, 'mnt-moved');
    await mount(mnt, ['-r', 'rw@master+w']);
    writeFileSync(join(mnt, 'rw', 'mine.txt'), 'mine\n');
    assertOk(
      await run(['put', 'file', 'rw@master:/theirs.txt', '-f', '-'], 'theirs\n'),
      'a concurrent put moves the branch',
    );
    const commit = await run(['commit-mount', mnt]);
    assert.equal(commit.code, 1, 'commit-mount fails');
    assert.match(commit.stderr, /moved/);
    assert.equal(readFileSync(join(mnt, 'rw', 'mine.txt'), 'utf8'), 'mine\n', 'the write is still there');
    const down = await unmount(mnt);
    assert.equal(down.code, 1, 'unmount reports the uncommitted write');
    assert.match(down.stderr, /changes kept in .*spool/);
    assert.equal(
      (await run(['get', 'file', 'rw@master:/mine.txt'])).code,
      1,
      'nothing was committed over the moved branch',
    );
  });

  it('fails calls with EIO within the timeout when the cluster stops under the mount', async () => {
    const mnt = join(scratch, 'mnt-kill');
    await mount(mnt, ['-r', 'tree', '--timeout', '2000']);
    assert.equal(readFileSync(join(mnt, 'tree', 'c', 'needle.txt'), 'utf8'), 'the needle is here\n');
    assertOk(await run(['down', '--data-dir', dataDir]), 'terrain down');
    const started = Date.now();
    // Plain tools in child processes, so a hang would show as a timeout here, not a stuck test.
    const cat = spawnSync('cat', [join(mnt, 'tree', 'a', 'b', 'f7.txt')], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    const ls = spawnSync('ls', [join(mnt, 'tree', 'a')], { encoding: 'utf8', timeout: 20_000 });
    assert.notEqual(cat.signal, 'SIGTERM', 'cat did not hang');
    assert.notEqual(ls.signal, 'SIGTERM', 'ls did not hang');
    assert.notEqual(cat.status, 0);
    assert.match(cat.stderr, /Input\/output error|No such file/);
    assert.ok(Date.now() - started < 20_000, `calls ended in ${Date.now() - started} ms`);

    // The same mount serves again once the cluster is back at the same address.
    assertOk(await terrain(upArgs, { env, timeoutMs: 110_000 }), 'terrain up --detach again');
    await new Promise((r) => setTimeout(r, 2500)); // past the attribute cache's 2 s
    // The first calls may still fail while gRPC reconnects; it must serve within 15 s.
    let text = '';
    for (const deadline = Date.now() + 15_000; Date.now() < deadline;) {
      try {
        text = readFileSync(join(mnt, 'tree', 'a', 'b', 'f7.txt'), 'utf8');
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EIO') throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    assert.equal(text.slice(0, 7), 'file 7\n');
    assertOk(await unmount(mnt), 'terrain unmount');
  });

  it('cleans up a mount left stale by a killed `terrain mount` on the next mount and unmount', async () => {
    const mnt = join(scratch, 'mnt-stale');
    const child = await mount(mnt, ['-r', 'tree']);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.ok(mountedAt(mnt), 'the killed process left its mount behind');
    assert.throws(() => readdirSync(mnt), { code: 'ENOTCONN' });
    await mount(mnt, ['-r', 'tree']);
    assert.equal(readFileSync(join(mnt, 'tree', 'c', 'needle.txt'), 'utf8'), 'the needle is here\n');
    const again = mounts[mounts.length - 1]?.child;
    again?.kill('SIGKILL');
    if (again) await new Promise((r) => again.once('exit', r));
    assertOk(await run(['unmount', mnt]), 'terrain unmount of a stale mount');
    assert.equal(mountedAt(mnt), false);
  });
});
