import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../platform/logging.ts';
import { LocalLauncher, type LocalLauncherOptions } from './local.ts';
import type { LaunchedPipeline } from './launcher.ts';

// A stand-in for the worker: records its environment, then behaves like the worker on stdin
// (it exits when the launcher's pipe closes). `exec` keeps one process per worker.
const RECORD = `echo "$TERRAIN_WORKER_PIPELINE|$TERRAIN_PPS_ADDRESS|$TERRAIN_PFS_ADDRESS|$TERRAIN_WORKER_NAME|$TERRAIN_STORAGE|$TERRAIN_WORKER_EXIT_WITH_STDIN" > "$TEST_DIR/run.$$"`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls a condition on real processes (there is no event to wait for across processes). */
async function waitFor(
  pred: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function pipeline(partial: Partial<LaunchedPipeline> = {}): LaunchedPipeline {
  return {
    name: 'edges',
    specVersion: 1,
    parallelism: 2,
    ppsAddress: '127.0.0.1:1',
    pfsAddress: '127.0.0.1:2',
    ...partial,
  };
}

describe('LocalLauncher', function () {
  this.timeout(20_000);
  let dir: string;
  let launcher: LocalLauncher | undefined;

  async function make(script: string, extra: Partial<LocalLauncherOptions> = {}): Promise<LocalLauncher> {
    const path = join(dir, 'worker.sh');
    await writeFile(path, script);
    launcher = new LocalLauncher({
      storage: 'memory:',
      logger: silentLogger(),
      env: { TEST_DIR: dir },
      execPath: '/bin/sh',
      workerScript: path,
      stderr: 'ignore',
      restartBackoff: { initialMs: 10, maxMs: 50 },
      stopGraceMs: 5000,
      ...extra,
    });
    return launcher;
  }
  const runs = async (): Promise<string[]> => (await readdir(dir)).filter((f) => f.startsWith('run.'));

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-launcher-'));
  });
  afterEach(async () => {
    await launcher?.close();
    launcher = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it("starts parallelism worker processes with the pipeline's addresses and storage in their environment", async () => {
    const l = await make(`${RECORD}\nexec cat > /dev/null\n`);
    await l.start(pipeline());
    await waitFor(async () => (await runs()).length === 2, 'two workers');
    const lines = await Promise.all(
      (await runs()).map(async (f) => (await readFile(join(dir, f), 'utf8')).trim()),
    );
    assert.deepEqual(lines.sort(), [
      'edges|127.0.0.1:1|127.0.0.1:2|edges-v1-0|memory:|1',
      'edges|127.0.0.1:1|127.0.0.1:2|edges-v1-1|memory:|1',
    ]);
    assert.equal(l.status('edges').length, 2);
  });

  it('restarts a worker that crashes, with backoff, and counts the restart', async () => {
    const l = await make(
      `if [ ! -e "$TEST_DIR/crashed" ]; then touch "$TEST_DIR/crashed"; exit 3; fi\n${RECORD}\nexec cat > /dev/null\n`,
    );
    await l.start(pipeline({ parallelism: 1 }));
    await waitFor(async () => (await runs()).length === 1, 'the restarted worker');
    assert.equal(l.status('edges')[0]!.restarts, 1);
  });

  it('does nothing for the same spec version and replaces the workers for a new one', async () => {
    const l = await make(`${RECORD}\nexec cat > /dev/null\n`);
    await l.start(pipeline({ parallelism: 1 }));
    await waitFor(() => l.status('edges')[0]?.pid !== undefined, 'a worker');
    const first = l.status('edges')[0]!.pid!;
    await l.start(pipeline({ parallelism: 1 }));
    assert.equal(l.status('edges')[0]!.pid, first);
    await l.start(pipeline({ parallelism: 1, specVersion: 2 }));
    const second = l.status('edges')[0]!.pid!;
    assert.notEqual(second, first);
    assert.equal(alive(first), false, 'the old version was stopped before the new one started');
  });

  it('stops workers with SIGTERM, then SIGKILL after the grace period, and does not restart them', async () => {
    // `trap '' TERM` is inherited through exec: this worker ignores SIGTERM.
    const l = await make(`${RECORD}\ntrap '' TERM\nexec cat > /dev/null\n`, { stopGraceMs: 300 });
    await l.start(pipeline());
    await waitFor(async () => (await runs()).length === 2, 'two workers');
    const pids = l.status('edges').map((s) => s.pid!);
    const t0 = Date.now();
    await l.stop('edges');
    assert.ok(Date.now() - t0 >= 250, 'waited for the grace period');
    assert.deepEqual(pids.map(alive), [false, false]);
    assert.deepEqual(l.status('edges'), []);
    await l.stop('edges'); // idempotent
    assert.equal((await runs()).length, 2, 'no restart after stop');
  });

  it('leaves no worker behind when the launching process is killed with SIGKILL', async () => {
    const script = join(dir, 'worker.sh');
    await writeFile(script, `${RECORD}\nexec cat > /dev/null\n`);
    const local = fileURLToPath(new URL('./local.ts', import.meta.url));
    const logging = fileURLToPath(new URL('../../platform/logging.ts', import.meta.url));
    const program = `
      import { LocalLauncher } from ${JSON.stringify(local)};
      import { silentLogger } from ${JSON.stringify(logging)};
      const l = new LocalLauncher({ storage: 'memory:', logger: silentLogger(), env: { TEST_DIR: ${JSON.stringify(dir)} },
        execPath: '/bin/sh', workerScript: ${JSON.stringify(script)}, stderr: 'ignore' });
      await l.start({ name: 'edges', specVersion: 1, parallelism: 2, ppsAddress: 'x:1', pfsAddress: 'x:2' });
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', program], { stdio: 'ignore' });
    try {
      await waitFor(async () => (await runs()).length === 2, 'two workers');
      const pids = (await runs()).map((f) => Number(f.slice('run.'.length)));
      assert.ok(pids.every(alive));
      parent.kill('SIGKILL');
      await waitFor(() => pids.every((p) => !alive(p)), 'the workers to exit after their parent died');
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
