/**
 * `terrain up --detach`, `status`, `down` and foreground `up`, against a stub cluster module
 * (stub-cluster.ts) so the process handling is tested independently of the services.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAUNCHER, freePort, isolatedEnv, jsonLines, stderrLines, terrain } from './terrain.ts';

const STUB = fileURLToPath(new URL('./stub-cluster.ts', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('terrain up, status and down (stub cluster)', () => {
  let scratch: string;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let port: number;

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'terrain-lifecycle-'));
    dataDir = join(scratch, 'data');
    env = isolatedEnv(join(scratch, 'context.json'));
    port = await freePort();
  });

  after(async () => {
    await terrain(['down', '--data-dir', dataDir], { env });
    rmSync(scratch, { recursive: true, force: true });
  });

  it('starts in the background, prints the endpoints and writes the context file', async () => {
    const up = await terrain(
      [
        'up',
        '--detach',
        '--data-dir',
        dataDir,
        '--grpc-address',
        `127.0.0.1:${port}`,
        '--cluster-module',
        STUB,
      ],
      {
        env,
      },
    );
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.out, new RegExp(`gRPC: +127\\.0\\.0\\.1:${port}`));
    const context = JSON.parse(readFileSync(join(scratch, 'context.json'), 'utf8')) as {
      grpcAddress: string;
      pid: number;
      dataDir: string;
    };
    assert.equal(context.grpcAddress, `127.0.0.1:${port}`);
    assert.equal(context.dataDir, dataDir);
    assert.equal(Number(readFileSync(join(dataDir, 'terrain.pid'), 'utf8')), context.pid);
    assert.ok(alive(context.pid));
    assert.ok(existsSync(join(dataDir, 'terrain.log')));
  });

  it('reports SERVING for served services and NOT_SERVED for the others in status --json', async () => {
    const status = await terrain(['status', '--json'], { env });
    assert.equal(status.code, 0, status.stderr);
    const [report] = jsonLines<{
      running: boolean;
      health: string;
      grpcAddress: string;
      dataDir: string;
      services: Record<string, { status: string; name: string }>;
    }>(status);
    assert.ok(report);
    assert.equal(report.running, true);
    assert.equal(report.health, 'SERVING');
    assert.equal(report.grpcAddress, `127.0.0.1:${port}`);
    assert.equal(report.services['pfs']?.status, 'SERVING');
    assert.equal(report.services['pfs']?.name, 'terrain.pfs.v1.Pfs');
    assert.equal(report.services['pps']?.status, 'NOT_SERVED');
  });

  it('finds the cluster through the context file for other commands', async () => {
    const version = await terrain(['version', '--json'], { env });
    assert.equal(version.code, 0, version.stderr);
    const [parsed] = jsonLines<{ server: { version: string }; address: string }>(version);
    assert.equal(parsed?.server.version, 'stub');
    assert.equal(parsed?.address, `127.0.0.1:${port}`);
  });

  it('refuses a second up on the same data directory with one line', async () => {
    const again = await terrain(['up', '--detach', '--data-dir', dataDir, '--cluster-module', STUB], { env });
    assert.equal(again.code, 1);
    assert.equal(stderrLines(again).length, 1, again.stderr);
    assert.match(again.stderr, /already running from .* \(pid \d+\)/);
  });

  it('stops the cluster with down, removing its pid file', async () => {
    const pid = Number(readFileSync(join(dataDir, 'terrain.pid'), 'utf8'));
    const down = await terrain(['down'], { env }); // data dir from the context file
    assert.equal(down.code, 0, down.stderr);
    assert.equal(alive(pid), false);
    assert.equal(existsSync(join(dataDir, 'terrain.pid')), false);
    const status = await terrain(['status', '--json'], { env });
    assert.equal(status.code, 1);
    assert.equal(jsonLines<{ running: boolean }>(status)[0]?.running, false);
    assert.match(stderrLines(status).at(-1) ?? '', /^terrain: no cluster is serving at/);
  });

  it('says nothing is running when down finds no cluster', async () => {
    const down = await terrain(['down', '--data-dir', dataDir], { env });
    assert.equal(down.code, 0);
    assert.match(down.stderr, /no cluster is running/);
  });

  it('runs in the foreground until SIGINT, then stops cleanly', async () => {
    const foregroundPort = await freePort();
    const child = spawn(
      LAUNCHER,
      [
        'up',
        '--data-dir',
        dataDir,
        '--grpc-address',
        `127.0.0.1:${foregroundPort}`,
        '--cluster-module',
        STUB,
      ],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    while (!out.includes('Press Ctrl-C to stop')) {
      const early = await Promise.race([
        exited.then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), 100)),
      ]);
      if (early) assert.fail(`up exited early: ${err}`);
    }
    assert.match(out, new RegExp(`gRPC: +127\\.0\\.0\\.1:${foregroundPort}`));
    assert.ok(existsSync(join(dataDir, 'terrain.pid')));
    child.kill('SIGINT');
    assert.equal(await exited, 0, err);
    assert.match(err, /stopped/);
    assert.equal(existsSync(join(dataDir, 'terrain.pid')), false);
  });

  it('fails with one line naming the log when the cluster cannot start', async () => {
    const taken = await freePort();
    // Occupy the port so the stub cannot listen.
    const { createServer } = await import('node:net');
    const blocker = createServer().listen(taken, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    try {
      const up = await terrain(
        [
          'up',
          '--detach',
          '--data-dir',
          dataDir,
          '--grpc-address',
          `127.0.0.1:${taken}`,
          '--cluster-module',
          STUB,
        ],
        {
          env,
        },
      );
      assert.equal(up.code, 1);
      assert.equal(stderrLines(up).length, 1, up.stderr);
      assert.match(up.stderr, /the cluster stopped during start-up .*terrain\.log/);
    } finally {
      blocker.close();
    }
  });
});
