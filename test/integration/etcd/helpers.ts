/** Small helpers shared by the etcd integration tests (not a test file itself). */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEtcd, type AutoCompaction, type EmbeddedEtcd } from '../../../services/platform/etcd/index.ts';

/** A fresh scratch directory on /dev/shm when available (etcd fsyncs are cheap there). */
export function scratchDir(name: string): string {
  const root = process.platform === 'linux' ? '/dev/shm' : tmpdir();
  return mkdtempSync(join(root, `terrain-${name}-`));
}

/** An etcd of the test's own, for tests that kill, restart or auto-compact it. Call `dispose` in after(). */
export async function privateEtcd(
  name: string,
  autoCompaction?: AutoCompaction,
  extraArgs?: string[],
): Promise<{ etcd: EmbeddedEtcd; dispose(): Promise<void> }> {
  const dir = scratchDir(name);
  const etcd = await startEtcd({
    dataDir: join(dir, 'data'),
    logFile: join(dir, 'etcd.log'),
    ...(autoCompaction ? { autoCompaction } : {}),
    ...(extraArgs ? { extraArgs } : {}),
  });
  return {
    etcd,
    async dispose() {
      await etcd.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Fixture {
  child: ChildProcess;
  /** The first stdout line (e.g. "ready 123"). */
  firstLine: string;
  /** SIGKILLs the process and waits until it is gone. */
  kill(): Promise<void>;
}

/**
 * Runs `fixtures/<script>` in a separate Node process (the Node running the tests, which is the
 * project's Node 24) and resolves with its first stdout line; rejects when it exits first or stays
 * silent for `timeoutMs`.
 */
export async function runFixture(script: string, args: string[], timeoutMs = 15_000): Promise<Fixture> {
  const path = fileURLToPath(new URL(`./fixtures/${script}`, import.meta.url));
  const child = spawn(process.execPath, [path, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const firstLine = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} printed nothing within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `${script} exited (code ${String(code)}, signal ${String(signal)}) before it was ready; stderr: ${stderr}`,
        ),
      );
    });
  });
  return {
    child,
    firstLine,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls `check` every 20 ms until it returns true; rejects after `timeoutMs` naming `what`. */
export async function waitUntil(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean> | boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Reads the next `n` items of an async iterator, failing after `timeoutMs` with what was read so far. */
export async function take<T>(iter: AsyncIterator<T>, n: number, timeoutMs: number): Promise<T[]> {
  const items: T[] = [];
  const deadline = Date.now() + timeoutMs;
  while (items.length < n) {
    const left = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), Math.max(0, left))),
    );
    const next = await Promise.race([iter.next(), timeout]);
    clearTimeout(timer);
    if (next === 'timeout')
      throw new Error(
        `timed out after ${timeoutMs} ms with ${items.length}/${n} items: ${JSON.stringify(items)}`,
      );
    if (next.done) throw new Error(`iterator ended after ${items.length}/${n} items`);
    items.push(next.value);
  }
  return items;
}
