import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { TerrainError } from '../../services/platform/errors.ts';
import { errorLine, run, usageLine } from './program.ts';

const LAUNCHER = fileURLToPath(new URL('../../bin/terrain', import.meta.url));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

let scratch: string;

async function runInProcess(args: string[]): Promise<Result> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await run(args, {
    stdout,
    stderr,
    stdin: new PassThrough(),
    env: { TERRAIN_CONTEXT: join(scratch, 'context.json'), TERRAIN_ADDRESS: '127.0.0.1:9', HOME: scratch },
  });
  return { code, stdout: out, stderr: err };
}

function runLauncher(args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    // A PATH without the project's node_modules/.bin: the launcher must find Node 24 itself.
    const env = { PATH: '/usr/bin:/bin', HOME: scratch, TERRAIN_CONTEXT: join(scratch, 'context.json') };
    execFile(LAUNCHER, args, { env, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function assertOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${stderr}`);
  assert.match(lines[0] ?? '', pattern);
}

describe('terrain exit codes', () => {
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'terrain-cli-'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('exits 2 with one line for an unknown option', async () => {
    const result = await runInProcess(['list', 'repo', '--bogus']);
    assert.equal(result.code, 2);
    assertOneLine(result.stderr, /^terrain: unknown option '--bogus'/);
    assert.equal(result.stdout, '');
  });

  it('exits 2 with one line for a missing argument', async () => {
    const result = await runInProcess(['create', 'repo']);
    assert.equal(result.code, 2);
    assertOneLine(result.stderr, /^terrain: missing required argument 'name'/);
  });

  it('exits 2 with one line, with a suggestion, for an unknown command', async () => {
    const result = await runInProcess(['list', 'repos']);
    assert.equal(result.code, 2);
    assertOneLine(result.stderr, /^terrain: unknown command 'repos' \(Did you mean repo\?\)/);
  });

  it('exits 2 for a flag value commander cannot check (--type)', async () => {
    const result = await runInProcess(['list', 'repo', '--type', 'weird']);
    assert.equal(result.code, 2);
    assertOneLine(result.stderr, /--type must be "user" or "pipeline"/);
  });

  it('exits 2 when put file is given a directory without -r', async () => {
    const result = await runInProcess(['put', 'file', 'r@master:/x/', '-f', scratch]);
    assert.equal(result.code, 2);
    assertOneLine(result.stderr, /is a directory: add -r/);
  });

  it('exits 2 when put file has no -f', async () => {
    const result = await runInProcess(['put', 'file', 'r@master:/x']);
    assert.equal(result.code, 2);
    assertOneLine(result.stderr, /required option '-f, --file <source>' not specified/);
  });

  it('exits 1 with one line for a malformed ref, before contacting any server', async () => {
    const result = await runInProcess(['inspect', 'commit', 'images@ma ster']);
    assert.equal(result.code, 1);
    assertOneLine(result.stderr, /^terrain: invalid ref "images@ma ster": /);
  });

  it('exits 1 with one line for a missing local file', async () => {
    const result = await runInProcess(['put', 'file', 'r@master:/x', '-f', join(scratch, 'nope')]);
    assert.equal(result.code, 1);
    assertOneLine(result.stderr, /no such file or directory/);
  });

  it('exits 0 for --help and prints it to stdout', async () => {
    const result = await runInProcess(['put', 'file', '--help']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /Usage: terrain put file/);
  });

  it('prints the client version without a cluster', async () => {
    const result = await runInProcess(['version', '--client-only', '--json']);
    assert.equal(result.code, 0);
    const parsed = JSON.parse(result.stdout) as { client: { version: string } };
    assert.match(parsed.client.version, /^\d+\.\d+\.\d+/);
  });

  it('runs through bin/terrain on Node 24 and exits 2 with one line for a bad flag', async () => {
    const result = await runLauncher(['list', 'repo', '--bogus']);
    assert.equal(result.code, 2);
    assertOneLine(result.stderr, /^terrain: unknown option '--bogus'/);
  });

  it("runs through bin/terrain on the project's Node 24, not the Node first on PATH", async () => {
    const result = await runLauncher(['version', '--client-only', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const parsed = JSON.parse(result.stdout) as { client: { nodeVersion: string } };
    assert.match(parsed.client.nodeVersion, /^v24\./);
  });

  it('follows a symlink to bin/terrain, and says to run npm install when node_modules is missing', async () => {
    const link = join(scratch, 'terrain-link');
    symlinkSync(LAUNCHER, link);
    const linked = await new Promise<Result>((resolve) =>
      execFile(
        link,
        ['version', '--client-only'],
        { env: { PATH: '/usr/bin:/bin', HOME: scratch } },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      ),
    );
    assert.equal(linked.code, 0, linked.stderr);
    assert.match(linked.stdout, /^client: /);

    const fakeRoot = join(scratch, 'fresh-clone');
    mkdirSync(join(fakeRoot, 'bin'), { recursive: true });
    copyFileSync(LAUNCHER, join(fakeRoot, 'bin', 'terrain'));
    chmodSync(join(fakeRoot, 'bin', 'terrain'), 0o755);
    const fresh = await new Promise<Result>((resolve) =>
      execFile(
        join(fakeRoot, 'bin', 'terrain'),
        ['version'],
        { env: { PATH: '/usr/bin:/bin' } },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      ),
    );
    assert.equal(fresh.code, 1);
    assertOneLine(fresh.stderr, /run `npm install`/);
  });
});

describe('error lines', () => {
  it('prints a service error as one line prefixed with terrain', () => {
    assert.equal(
      errorLine(new TerrainError('pfs', 'not_found', 'repo "x" not found')),
      'terrain: pfs: repo "x" not found\n',
    );
  });

  it('drops the client/cli label of local errors', () => {
    assert.equal(
      errorLine(new TerrainError('client', 'invalid_argument', 'invalid ref ""')),
      'terrain: invalid ref ""\n',
    );
  });

  it('folds multi-line messages into one line', () => {
    assert.equal(errorLine(new Error('a\n  b')), 'terrain: a b\n');
    assert.equal(
      usageLine("error: unknown option '--x'\n(Did you mean --y?)\n"),
      "terrain: unknown option '--x' (Did you mean --y?) (see --help)\n",
    );
  });
});
