/**
 * The embedded etcd: Debian's `etcd` binary run as a child process on loopback, for `terrain up` and
 * the test harness.
 *
 *   const etcd = await startEtcd({ dataDir: '/var/lib/terrain/etcd' });
 *   const kv = Kv.connect({ endpoints: etcd.endpoint });
 *   …
 *   await etcd.stop();
 *
 * Automatic compaction is always on (Pachyderm #1763: without it the database fills up with history
 * until etcd refuses writes). The default is `periodic` with a 10-minute retention: etcd 3.4's
 * periodic compactor runs every `retention` (capped at one hour) and keeps every revision younger
 * than `retention`, so any watcher that was disconnected for less than that resumes exactly, and
 * one that was away longer recovers with a re-list (see watch.ts). Terrain keeps the history users
 * ask about (commits, jobs) as records, never as etcd revisions, so a short retention loses nothing.
 * `revision` mode is available too, but etcd 3.4 runs that compactor only every 5 minutes.
 *
 * Children never outlive this process by accident: every live etcd is SIGKILLed from a
 * `process.on('exit')` hook (a process that is itself SIGKILLed cannot run hooks; etcd then keeps
 * running until someone stops it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { platformErrors } from '../errors.ts';
import { findBinary } from '../system-packages.ts';

export interface AutoCompaction {
  /** `periodic`: keep revisions younger than `retention` (a Go duration: `10m`, `1h`, `2s`). `revision`: keep the last `retention` revisions. */
  mode: 'periodic' | 'revision';
  retention: string;
}

export interface StartEtcdOptions {
  /** etcd's data directory; created when missing. Reusing one keeps every key and revision. */
  dataDir: string;
  /** Loopback client port; a free one when omitted. */
  clientPort?: number;
  /** Loopback peer port; a free one when omitted. */
  peerPort?: number;
  /** Member name (default `terrain`). */
  name?: string;
  /** etcd's own log (stdout and stderr) is appended here; otherwise only its last lines are kept for error messages. */
  logFile?: string;
  /** Default `{ mode: 'periodic', retention: '10m' }`. */
  autoCompaction?: AutoCompaction;
  /** Backend quota; default 2 GiB (etcd's own default, stated so it is visible). */
  quotaBackendBytes?: number;
  /** Path of the etcd binary; default `$TERRAIN_ETCD_BIN`, then `etcd` on PATH, then `/usr/bin/etcd`. */
  binary?: string;
  /** How long to wait until etcd answers /health (default 20 s). */
  startTimeoutMs?: number;
  /** Extra command-line flags, appended last. */
  extraArgs?: string[];
}

/** A running etcd child process. Methods are not meant to be called concurrently with each other. */
export interface EmbeddedEtcd {
  /** `http://127.0.0.1:PORT`, for clients. */
  readonly endpoint: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  /** Pid of the current etcd process (changes on restart). */
  readonly pid: number;
  /** True while the process runs. */
  readonly running: boolean;
  /** SIGTERM, then SIGKILL after `graceMs` (default 5 s); resolves when the process has exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
  /** Sends `signal` (default SIGKILL) and resolves when the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops etcd if it runs, then starts it again on the same data dir and ports and waits until healthy. */
  restart(): Promise<void>;
}

const DEFAULT_COMPACTION: AutoCompaction = { mode: 'periodic', retention: '10m' };
const DEFAULT_QUOTA_BYTES = 2 * 1024 * 1024 * 1024;
const STDERR_TAIL_BYTES = 8 * 1024;

/** Every etcd started by this process and still running; killed on exit. */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/**
 * Finds the etcd binary or throws FAILED_PRECONDITION saying how to install it. `explicit` (or
 * `$TERRAIN_ETCD_BIN`) wins; then `etcd` on `search.path` (default `$PATH`); then the fallbacks
 * (default `/usr/bin/etcd`, where Debian's etcd-server puts it).
 */
export function findEtcdBinary(
  explicit?: string,
  search: { path?: string; fallbacks?: readonly string[] } = {},
): string {
  const wanted = explicit ?? process.env['TERRAIN_ETCD_BIN'];
  if (wanted) {
    const found = findBinary(wanted, search.path);
    if (!found)
      throw platformErrors.failedPrecondition(`etcd binary "${wanted}" not found or not executable`);
    return found;
  }
  let found = findBinary('etcd', search.path);
  for (const fallback of search.fallbacks ?? ['/usr/bin/etcd']) found ??= findBinary(fallback);
  if (!found) {
    throw platformErrors.failedPrecondition(
      'etcd not found on PATH or at /usr/bin/etcd: install it with `apt-get install -y etcd-server` (as root)',
    );
  }
  return found;
}

/** A port that was free a moment ago on 127.0.0.1 (the kernel picks it). */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** The command line for one member listening on loopback. Pure; exported for unit tests. */
export function etcdArgs(o: {
  name: string;
  dataDir: string;
  clientPort: number;
  peerPort: number;
  autoCompaction: AutoCompaction;
  quotaBackendBytes: number;
  extraArgs?: string[];
}): string[] {
  const client = `http://127.0.0.1:${o.clientPort}`;
  const peer = `http://127.0.0.1:${o.peerPort}`;
  return [
    '--name', o.name,
    '--data-dir', o.dataDir,
    '--listen-client-urls', client,
    '--advertise-client-urls', client,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `${o.name}=${peer}`,
    '--auto-compaction-mode', o.autoCompaction.mode,
    '--auto-compaction-retention', o.autoCompaction.retention,
    '--quota-backend-bytes', String(o.quotaBackendBytes),
    '--logger', 'zap',
    '--log-outputs', 'stderr',
    ...(o.extraArgs ?? []),
  ]; // prettier-ignore
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
    if (!res.ok) return false;
    const body = (await res.json()) as { health?: unknown };
    return body.health === 'true' || body.health === true;
  } catch {
    return false;
  }
}

class EtcdProcess implements EmbeddedEtcd {
  readonly endpoint: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  readonly #binary: string;
  readonly #args: string[];
  readonly #logFile: string | undefined;
  readonly #startTimeoutMs: number;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #tail = '';

  constructor(o: {
    binary: string;
    args: string[];
    dataDir: string;
    clientPort: number;
    peerPort: number;
    logFile: string | undefined;
    startTimeoutMs: number;
  }) {
    this.#binary = o.binary;
    this.#args = o.args;
    this.dataDir = o.dataDir;
    this.clientPort = o.clientPort;
    this.peerPort = o.peerPort;
    this.endpoint = `http://127.0.0.1:${o.clientPort}`;
    this.#logFile = o.logFile;
    this.#startTimeoutMs = o.startTimeoutMs;
  }

  get pid(): number {
    return this.#child?.pid ?? 0;
  }

  get running(): boolean {
    const c = this.#child;
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  }

  /** Spawns etcd and resolves once it answers /health; rejects (and kills it) when it exits or times out. */
  async start(): Promise<void> {
    mkdirSync(this.dataDir, { recursive: true });
    let logFd: number | undefined;
    if (this.#logFile) {
      mkdirSync(dirname(this.#logFile), { recursive: true });
      logFd = openSync(this.#logFile, 'a');
    }
    this.#tail = '';
    // /health alone could be answered by another process on the port; wait for our child to say it serves.
    let serving = false;
    const child = spawn(this.#binary, this.#args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    liveChildren.add(child);
    installExitHook();
    const onData = (chunk: Buffer): void => {
      if (logFd !== undefined) writeSync(logFd, chunk);
      this.#tail = (this.#tail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
      if (this.#tail.includes('serving client traffic')) serving = true;
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.#exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        liveChildren.delete(child);
        resolve();
      });
      child.once('error', (err) => {
        // spawn failure (binary vanished): 'exit' may never come
        this.#tail += `\nspawn error: ${err.message}`;
        liveChildren.delete(child);
        resolve();
      });
    });
    void this.#exited.then(() => {
      if (logFd !== undefined) closeSync(logFd);
    });

    const deadline = Date.now() + this.#startTimeoutMs;
    let exited = false;
    void this.#exited.then(() => (exited = true));
    while (!exited) {
      if (serving && (await healthy(this.endpoint)) && !exited) return;
      if (Date.now() > deadline) {
        await this.kill('SIGKILL');
        throw platformErrors.unavailable(
          `etcd on ${this.endpoint} (data dir ${this.dataDir}) did not become healthy within ${this.#startTimeoutMs} ms; its last output:\n${this.#lastLines()}`,
        );
      }
      await sleep(50);
    }
    throw platformErrors.unavailable(
      `etcd on ${this.endpoint} (data dir ${this.dataDir}) exited during startup (code ${String(child.exitCode)}, signal ${String(child.signalCode)}); its last output:\n${this.#lastLines()}`,
    );
  }

  #lastLines(): string {
    return this.#tail.trim().split('\n').slice(-8).join('\n');
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    child.kill(signal);
    await this.#exited;
  }

  async stop(graceMs = 5000): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}

/**
 * Starts one etcd member on loopback and resolves once it is healthy (about 1 s).
 *
 * Throws FAILED_PRECONDITION when the binary is missing (with the apt-get command), UNAVAILABLE
 * when etcd exits or does not answer in time (with the last lines of its log). When it picked the
 * ports itself and etcd lost the race for one, it retries with new ports.
 */
export async function startEtcd(options: StartEtcdOptions): Promise<EmbeddedEtcd> {
  const binary = findEtcdBinary(options.binary);
  const attempts = options.clientPort === undefined || options.peerPort === undefined ? 3 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const clientPort = options.clientPort ?? (await freeLoopbackPort());
    let peerPort = options.peerPort ?? (await freeLoopbackPort());
    while (peerPort === clientPort) peerPort = await freeLoopbackPort();
    const name = options.name ?? 'terrain';
    const proc = new EtcdProcess({
      binary,
      args: etcdArgs({
        name,
        dataDir: options.dataDir,
        clientPort,
        peerPort,
        autoCompaction: options.autoCompaction ?? DEFAULT_COMPACTION,
        quotaBackendBytes: options.quotaBackendBytes ?? DEFAULT_QUOTA_BYTES,
        ...(options.extraArgs ? { extraArgs: options.extraArgs } : {}),
      }),
      dataDir: options.dataDir,
      clientPort,
      peerPort,
      logFile: options.logFile,
      startTimeoutMs: options.startTimeoutMs ?? 20_000,
    });
    try {
      await proc.start();
      return proc;
    } catch (err) {
      lastError = err;
      if (!(err instanceof Error) || !/address already in use/.test(err.message)) throw err;
    }
  }
  throw lastError;
}
