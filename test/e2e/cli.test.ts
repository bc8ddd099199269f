import { spawnSync } from 'node:child_process';
/**
 * The `terrain` CLI end to end, as a user runs it: `bin/terrain up --detach` starts a real
 * cluster (embedded etcd, every service, local storage) in a temporary data directory on free
 * ports, with its own context file; every command then finds it through that context file.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  isolatedEnv,
  jsonLines,
  sha256,
  sha256File,
  stderrLines,
  terrain,
  treeDigest,
  type TerrainResult,
} from './terrain.ts';

function assertOk(result: TerrainResult, what: string): void {
  assert.equal(result.code, 0, `${what} failed (exit ${result.code}): ${result.stderr}`);
}

function assertOneErrorLine(result: TerrainResult, code: number, pattern: RegExp): void {
  assert.equal(result.code, code, `expected exit ${code}, got ${result.code}: ${result.stderr}`);
  const lines = stderrLines(result);
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${result.stderr}`);
  assert.match(lines[0] ?? '', pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}

/** A tree with nested directories, a multi-MiB file, an empty file and unicode names. */
function writeFixture(root: string): void {
  mkdirSync(join(root, 'nested', 'a', 'b', 'c'), { recursive: true });
  mkdirSync(join(root, 'données'), { recursive: true });
  mkdirSync(join(root, 'emoji 🌲'), { recursive: true });
  mkdirSync(join(root, 'many'), { recursive: true });
  writeFileSync(join(root, 'nested', 'a', 'b', 'c', 'deep.txt'), 'deep inside\n');
  writeFileSync(join(root, 'nested', 'a', 'sibling.json'), JSON.stringify({ hello: 'world' }));
  writeFileSync(join(root, 'big.bin'), randomBytes(3 * 1024 * 1024 + 12345));
  writeFileSync(join(root, 'empty.txt'), '');
  writeFileSync(join(root, 'données', '日本語 ファイル.txt'), 'こんにちは\n');
  writeFileSync(join(root, 'emoji 🌲', 'naïve café.txt'), 'crème brûlée\n');
  writeFileSync(join(root, 'space name.txt'), 'spaces\n');
  for (let i = 0; i < 40; i++)
    writeFileSync(join(root, 'many', `f${String(i).padStart(2, '0')}.txt`), `file ${i}\n`.repeat(i));
}

describe('terrain CLI without a cluster', () => {
  let scratch: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'terrain-e2e-nocluster-'));
    env = { ...isolatedEnv(join(scratch, 'context.json')), TERRAIN_ADDRESS: `127.0.0.1:${await freePort()}` };
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('exits 2 with one stderr line for a bad flag', async () => {
    assertOneErrorLine(
      await terrain(['list', 'repo', '--no-such-flag'], { env }),
      2,
      /^terrain: unknown option '--no-such-flag'/,
    );
  });

  it('exits 2 with one stderr line for a missing argument', async () => {
    assertOneErrorLine(
      await terrain(['get', 'file'], { env }),
      2,
      /^terrain: missing required argument 'file'/,
    );
  });

  it('exits 1 with one line saying the cluster cannot be reached', async () => {
    assertOneErrorLine(
      await terrain(['list', 'repo'], { env }),
      1,
      /^terrain: pfs: cannot reach 127\.0\.0\.1:\d+ .*terrain up/,
    );
  });
});

describe('terrain CLI against `terrain up --detach`', () => {
  let scratch: string;
  let dataDir: string;
  let fixture: string;
  let env: NodeJS.ProcessEnv;
  let http: Server | undefined;

  const up = async (): Promise<TerrainResult> => {
    const grpcPort = await freePort();
    const s3Port = await freePort();
    return terrain(
      [
        'up',
        '--detach',
        '--data-dir',
        dataDir,
        '--grpc-address',
        `127.0.0.1:${grpcPort}`,
        '--s3-address',
        `127.0.0.1:${s3Port}`,
      ],
      { env, timeoutMs: 110_000 },
    );
  };
  const run = (args: string[], input?: Buffer | string) =>
    terrain(args, { env, ...(input !== undefined ? { input } : {}) });

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'terrain-e2e-'));
    dataDir = join(scratch, 'data');
    fixture = join(scratch, 'fixture');
    writeFixture(fixture);
    env = isolatedEnv(join(scratch, 'context.json'));
    const started = await up();
    assertOk(started, 'terrain up --detach');
    assert.match(started.out, /gRPC: +127\.0\.0\.1:\d+/);
  });

  after(async () => {
    http?.close();
    if (env) await terrain(['down', '--data-dir', dataDir], { env });
    rmSync(scratch, { recursive: true, force: true });
  });

  it('reports every service SERVING in status --json', async () => {
    const status = await run(['status', '--json']);
    assertOk(status, 'status --json');
    const [report] = jsonLines<{
      running: boolean;
      etcd: string;
      dataDir: string;
      services: Record<string, { status: string }>;
    }>(status);
    assert.ok(report);
    assert.equal(report.running, true);
    assert.equal(report.services['pfs']?.status, 'SERVING');
    assert.equal(report.etcd, 'healthy');
    assert.equal(report.dataDir, dataDir);
  });

  it('creates a repo, and refuses to create it twice with one line', async () => {
    assertOk(await run(['create', 'repo', 'tree', '-d', 'the e2e tree']), 'create repo');
    assertOneErrorLine(await run(['create', 'repo', 'tree']), 1, /^terrain: pfs: .*tree.*exists/);
  });

  it('puts a directory tree in one commit and gets it back byte-identical', async () => {
    assertOk(await run(['put', 'file', 'tree@master:/', '-r', '-f', fixture]), 'put file -r');
    assertOk(await run(['wait', 'commit', 'tree@master']), 'wait commit');
    const commits = jsonLines<{ commit: { id: string } }>(await run(['list', 'commit', 'tree', '--json']));
    assert.equal(commits.length, 1, 'the whole tree is one commit');

    const out = join(scratch, 'out');
    assertOk(await run(['get', 'file', 'tree@master:/', '-r', '-o', out]), 'get file -r');
    assert.deepEqual(await treeDigest(out), await treeDigest(fixture));
  });

  it('gets a single file to stdout and to -o, and a subdirectory with -r', async () => {
    const expected = await treeDigest(fixture);
    const stdout = await run(['get', 'file', 'tree@master:/big.bin']);
    assertOk(stdout, 'get file to stdout');
    assert.equal(sha256(stdout.stdout), expected['big.bin']);

    const target = join(scratch, 'one.txt');
    assertOk(
      await run(['get', 'file', 'tree@master:/données/日本語 ファイル.txt', '-o', target]),
      'get file -o',
    );
    assert.equal(await sha256File(target), expected['données/日本語 ファイル.txt']);

    const sub = join(scratch, 'sub');
    assertOk(
      await run(['get', 'file', 'tree@master:/nested/', '-r', '-o', sub]),
      'get file -r of a subdirectory',
    );
    assert.deepEqual(Object.keys(await treeDigest(sub)), ['a/b/c/deep.txt', 'a/sibling.json']);
  });

  it('reads stdin with -f - and an http URL with -f URL', async () => {
    const served = randomBytes(1024 * 1024 + 7);
    http = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(served.length) });
      res.end(served);
    });
    const port = await new Promise<number>((resolve) =>
      http?.listen(0, '127.0.0.1', () => {
        const address = http?.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      }),
    );
    assertOk(
      await run(['put', 'file', 'tree@master:/from/stdin.txt', '-f', '-'], 'piped in\n'),
      'put file -f -',
    );
    assertOk(
      await run(['put', 'file', 'tree@master:/from/', '-f', `http://127.0.0.1:${port}/blob.bin`]),
      'put file -f URL',
    );
    assert.equal((await run(['get', 'file', 'tree@master:/from/stdin.txt'])).out, 'piped in\n');
    assert.equal(sha256((await run(['get', 'file', 'tree@master:/from/blob.bin'])).stdout), sha256(served));
  });

  it('appends with --append', async () => {
    assertOk(await run(['put', 'file', 'tree@master:/log.txt', '-f', '-'], 'one\n'), 'put');
    assertOk(
      await run(['put', 'file', 'tree@master:/log.txt', '-f', '-', '--append'], 'two\n'),
      'put --append',
    );
    assert.equal((await run(['get', 'file', 'tree@master:/log.txt'])).out, 'one\ntwo\n');
  });

  it('prints JSON that parses line by line for every list and inspect command', async () => {
    const repos = jsonLines<{ repo: { name: string }; description?: string }>(
      await run(['list', 'repo', '--json']),
    );
    assert.deepEqual(
      repos.map((r) => r.repo.name),
      ['tree'],
    );
    assert.equal(repos[0]?.description, 'the e2e tree');

    const [repo] = jsonLines<{ repo: { name: string } }>(await run(['inspect', 'repo', 'tree', '--json']));
    assert.equal(repo?.repo.name, 'tree');

    const branches = jsonLines<{ branch: { name: string } }>(await run(['list', 'branch', 'tree', '--json']));
    assert.deepEqual(
      branches.map((b) => b.branch.name),
      ['master'],
    );
    assert.equal(
      jsonLines<{ branch: { name: string } }>(await run(['inspect', 'branch', 'tree@master', '--json']))[0]
        ?.branch.name,
      'master',
    );

    const [commit] = jsonLines<{ commit: { id: string }; state: string }>(
      await run(['inspect', 'commit', 'tree@master', '--json']),
    );
    assert.match(commit?.commit.id ?? '', /^[0-9a-f]{32}$/);
    assert.equal(commit?.state, 'COMMIT_STATE_FINISHED');

    const files = jsonLines<{ file: { path: string }; fileType: string }>(
      await run(['list', 'file', 'tree@master:/', '--json']),
    );
    const paths = files.map((f) => f.file.path);
    for (const expected of ['/big.bin', '/empty.txt', '/nested/', '/données/', '/emoji 🌲/'])
      assert.ok(paths.includes(expected), `${expected} in ${paths.join(', ')}`);

    const [big] = jsonLines<{ sizeBytes: string; fileType: string }>(
      await run(['inspect', 'file', 'tree@master:/big.bin', '--json']),
    );
    assert.equal(big?.sizeBytes, String(3 * 1024 * 1024 + 12345));
    assert.equal(big?.fileType, 'FILE_TYPE_FILE');

    const globbed = jsonLines<{ file: { path: string } }>(
      await run(['glob', 'file', 'tree@master:/many/f0*', '--json']),
    );
    assert.equal(globbed.length, 10);

    const sets = jsonLines<{ commitSet: { id: string } }>(await run(['list', 'commitset', '--json']));
    assert.ok(sets.length >= 1);
    const inSet = jsonLines<{ commit: { repo: { name: string } } }>(
      await run(['inspect', 'commitset', sets[0]?.commitSet.id ?? '', '--json']),
    );
    assert.ok(inSet.some((c) => c.commit.repo.name === 'tree'));
  });

  it('reports the cluster version and the services it serves with version --json', async () => {
    const result = await run(['version', '--json']);
    assertOk(result, 'version --json');
    const [version] = jsonLines<{
      client: { version: string };
      server: { version: string; services?: string[] };
    }>(result);
    assert.equal(version?.server.version, version?.client.version);
    assert.ok(version?.server.services?.includes('terrain.pfs.v1.Pfs'), result.out);
  });

  it('prints aligned tables with human sizes without --json', async () => {
    const table = await run(['list', 'file', 'tree@master:/']);
    assertOk(table, 'list file');
    const lines = table.out.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^NAME\s+TYPE\s+SIZE\s+COMMITTED$/);
    assert.ok(
      lines.some((l) => /^\/big\.bin\s+file\s+3\.0 MiB\s+/.test(l)),
      table.out,
    );
  });

  it('shows what changed with diff file', async () => {
    assertOk(await run(['put', 'file', 'tree@master:/new.txt', '-f', '-'], 'new\n'), 'put');
    assertOk(await run(['delete', 'file', 'tree@master:/space name.txt']), 'delete file');
    const changes = jsonLines<{
      change: string;
      newFile?: { file: { path: string } };
      oldFile?: { file: { path: string } };
    }>(await run(['diff', 'file', 'tree@master', 'tree@master^2', '--json']));
    const summary = changes.map((c) => `${c.change}:${c.newFile?.file.path ?? c.oldFile?.file.path}`).sort();
    assert.deepEqual(summary, ['FILE_CHANGE_ADDED:/new.txt', 'FILE_CHANGE_DELETED:/space name.txt']);
  });

  it('serves S3 to the aws CLI and boto3 with the credentials `s3 info` prints', async () => {
    const info = await run(['s3', 'info', '--json']);
    assertOk(info, 's3 info --json');
    const [creds] = jsonLines<{
      endpoint: string;
      accessKeyId: string;
      secretAccessKey: string;
      region: string;
    }>(info);
    assert.ok(creds, 's3 info printed one JSON object');
    const awsEnv = {
      ...env,
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      AWS_DEFAULT_REGION: creds.region,
    };
    const sh = (cmd: string, args: string[], extra: NodeJS.ProcessEnv = {}) =>
      spawnSync(cmd, args, { env: { ...awsEnv, ...extra }, encoding: 'utf8', timeout: 60_000 });
    const file = join(scratch, 's3-upload.txt');
    writeFileSync(file, 'through the aws CLI\n');
    const mb = sh('/usr/bin/aws', ['--endpoint-url', creds.endpoint, 's3', 'mb', 's3://master.s3e2e']);
    assert.equal(mb.status, 0, mb.stderr);
    const cp = sh('/usr/bin/aws', [
      '--endpoint-url',
      creds.endpoint,
      's3',
      'cp',
      file,
      's3://master.s3e2e/dir/a.txt',
    ]);
    assert.equal(cp.status, 0, cp.stderr);
    const back = await run(['get', 'file', 's3e2e@master:/dir/a.txt']);
    assertOk(back, 'get file of an object put through S3');
    assert.equal(back.out, 'through the aws CLI\n');
    const py = sh('/usr/bin/python3', [
      '-c',
      [
        'import boto3, sys',
        'from botocore.config import Config',
        `s3 = boto3.client("s3", endpoint_url=${JSON.stringify(creds.endpoint)}, config=Config(s3={"addressing_style": "path"}))`,
        'print(",".join(o["Key"] for o in s3.list_objects_v2(Bucket="master.s3e2e")["Contents"]))',
      ].join('\n'),
    ]);
    assert.equal(py.status, 0, py.stderr);
    assert.equal(py.stdout.trim(), 'dir/a.txt');
    const denied = sh('/usr/bin/aws', ['--endpoint-url', creds.endpoint, 's3', 'ls', 's3://master.s3e2e'], {
      AWS_SECRET_ACCESS_KEY: 'wrong-secret-key',
    });
    assert.notEqual(denied.status, 0);
    assert.match(denied.stderr, /SignatureDoesNotMatch/);
  });

  it('copies a file by reference', async () => {
    assertOk(await run(['copy', 'file', 'tree@master:/big.bin', 'tree@master:/copy/big.bin']), 'copy file');
    const [original] = jsonLines<{ hash: string }>(
      await run(['inspect', 'file', 'tree@master:/big.bin', '--json']),
    );
    const [copy] = jsonLines<{ hash: string }>(
      await run(['inspect', 'file', 'tree@master:/copy/big.bin', '--json']),
    );
    assert.equal(copy?.hash, original?.hash);
  });

  it('exits 1 with one stderr line for a missing repo, file or branch', async () => {
    assertOneErrorLine(await run(['inspect', 'repo', 'nope']), 1, /^terrain: pfs: .*"nope".*not found/);
    assertOneErrorLine(await run(['list', 'commit', 'nope']), 1, /^terrain: pfs: .*"nope".*not found/);
    assertOneErrorLine(
      await run(['get', 'file', 'tree@master:/no/such/file']),
      1,
      /^terrain: pfs: .*not found/,
    );
    assertOneErrorLine(
      await run(['inspect', 'branch', 'tree@nobranch']),
      1,
      /^terrain: pfs: .*nobranch.*not found/,
    );
  });

  it('exits 2 with one stderr line for a bad flag', async () => {
    assertOneErrorLine(
      await run(['put', 'file', 'tree@master:/x', '-f', '-', '--bogus']),
      2,
      /^terrain: unknown option '--bogus'/,
    );
  });

  it('opens commits on two repos under one global ID with a transaction', async () => {
    assertOk(await run(['create', 'repo', 'left']), 'create repo left');
    assertOk(await run(['create', 'repo', 'right']), 'create repo right');
    const started = await run(['start', 'transaction']);
    assertOk(started, 'start transaction');
    const transaction = started.out.trim();
    assert.match(transaction, /^[0-9a-f]{32}$/);
    const left = await run(['start', 'commit', 'left@master']);
    const right = await run(['start', 'commit', 'right@master']);
    assertOk(left, 'start commit left in the transaction');
    assertOk(right, 'start commit right in the transaction');
    assert.equal(left.out.trim(), transaction);
    assert.equal(right.out.trim(), transaction);
    assert.equal(
      jsonLines<{ ops?: unknown[] }>(await run(['inspect', 'transaction', '--json']))[0]?.ops?.length,
      2,
    );
    assertOk(await run(['finish', 'transaction']), 'finish transaction');

    assertOk(await run(['put', 'file', `left@${transaction}:/l.txt`, '-f', '-'], 'L'), 'put into left');
    assertOk(await run(['put', 'file', `right@${transaction}:/r.txt`, '-f', '-'], 'R'), 'put into right');
    assertOk(await run(['finish', 'commit', `left@${transaction}`]), 'finish left');
    assertOk(await run(['finish', 'commit', `right@${transaction}`]), 'finish right');
    const waited = jsonLines<{ commit: { repo: { name: string }; id: string } }>(
      await run(['wait', 'commitset', transaction, '--json']),
    );
    assert.deepEqual(waited.map((c) => c.commit.repo.name).sort(), ['left', 'right']);
    assert.ok(waited.every((c) => c.commit.id === transaction));
    assert.equal((await run(['get', 'file', 'right@master:/r.txt'])).out, 'R');
  });

  it('keeps every commit and file across terrain down and terrain up', async () => {
    const before = await run(['list', 'commit', 'tree', '--json']);
    assertOk(before, 'list commit');
    const commitsBefore = jsonLines<{ commit: { id: string } }>(before).map((c) => c.commit.id);
    const before2 = join(scratch, 'before');
    assertOk(await run(['get', 'file', 'tree@master:/', '-r', '-o', before2]), 'get before down');

    assertOk(await run(['down', '--data-dir', dataDir]), 'down');
    const unreachable = await run(['status', '--json']);
    assert.equal(unreachable.code, 1);
    assert.equal(jsonLines<{ running: boolean }>(unreachable)[0]?.running, false);

    assertOk(await up(), 'up again');
    const after = jsonLines<{ commit: { id: string } }>(await run(['list', 'commit', 'tree', '--json'])).map(
      (c) => c.commit.id,
    );
    assert.deepEqual(after, commitsBefore);
    const after2 = join(scratch, 'after');
    assertOk(await run(['get', 'file', 'tree@master:/', '-r', '-o', after2]), 'get after up');
    assert.deepEqual(await treeDigest(after2), await treeDigest(before2));
    assert.equal((await run(['get', 'file', 'left@master:/l.txt'])).out, 'L');
  });
});
