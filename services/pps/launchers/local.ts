/**
 * The `local` launcher: runs each pipeline's workers as child processes of this process
 * (`node services/worker/main.ts`), `parallelism` of them, restarting any that crash with
 * exponential backoff, and stopping them (SIGTERM, grace, SIGKILL) when the pipeline stops or is
 * deleted. `transform.image` is ignored: user code runs on this machine.
 *
 * Children never outlive the parent: each worker's stdin is a pipe from here and the worker exits
 * when it closes (TERRAIN_WORKER_EXIT_WITH_STDIN=1), which the kernel does when this process dies
 * in any way, SIGKILL included; a normal exit also SIGKILLs them synchronously.
 *
 * Concurrency: start/stop calls for one pipeline are serialized (a later call waits for the
 * earlier one); different pipelines proceed independently.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../platform/logging.ts';
import type { LaunchedPipeline, Launcher } from './launcher.ts';

export interface LocalLauncherOptions {
  /** Object store URL the workers use (TERRAIN_STORAGE), the same store pfs uses. */
  storage: string;
  logger: Logger;
  /** Datums each worker runs at once. Default 1. */
  concurrency?: number;
  /** Extra environment for the workers (AWS_* credentials, TERRAIN_LOG_LEVEL…). */
  env?: Record<string, string>;
  /** Between SIGTERM and SIGKILL on stop. Default 15 s (the worker's own grace is 10 s). */
  stopGraceMs?: number;
  /** Restart backoff: first delay, cap, and the uptime after which a worker counts as healthy again. */
  restartBackoff?: { initialMs?: number; maxMs?: number; resetAfterMs?: number };
  /** For tests: the program and script run per worker (default: this Node and worker/main.ts). */
  execPath?: string;
  workerScript?: string;
  /** Where the workers' stderr goes. Default 'inherit'. */
  stderr?: 'inherit' | 'ignore';
}

interface Slot {
  index: number;
  child: ChildProcess | undefined;
  exited: Promise<void>;
  restarts: number;
  /** Consecutive crashes (reset after a healthy run). */
  crashes: number;
  startedAt: number;
  timer: NodeJS.Timeout | undefined;
}

interface Pool {
  spec: LaunchedPipeline;
  slots: Slot[];
  stopping: boolean;
}

export interface WorkerProcessStatus {
  index: number;
  pid: number | undefined;
  restarts: number;
}

const DEFAULT_WORKER_SCRIPT = fileURLToPath(new URL('../../worker/main.ts', import.meta.url));

/** Only these TERRAIN_* variables of this process reach the workers (they refuse unknown ones). */
const PASSED_TERRAIN_VARS = new Set(['TERRAIN_LOG_LEVEL', 'TERRAIN_DATA_DIR']);

export class LocalLauncher implements Launcher {
  readonly #opts: LocalLauncherOptions;
  readonly #logger: Logger;
  readonly #pools = new Map<string, Pool>();
  /** Per-pipeline chain that serializes start/stop. */
  readonly #queues = new Map<string, Promise<void>>();
  readonly #onExit = (): void => this.#killAllNow();

  constructor(options: LocalLauncherOptions) {
    this.#opts = options;
    this.#logger = options.logger.child({ component: 'pps.launcher.local' });
    process.on('exit', this.#onExit);
  }

  /** Starts (or replaces, for a new spec version or parallelism) the pipeline's workers. */
  async start(p: LaunchedPipeline): Promise<void> {
    await this.#serial(p.name, async () => {
      const current = this.#pools.get(p.name);
      if (
        current &&
        current.spec.specVersion === p.specVersion &&
        current.spec.parallelism === p.parallelism &&
        current.spec.ppsAddress === p.ppsAddress &&
        current.spec.pfsAddress === p.pfsAddress
      ) {
        return;
      }
      if (current) await this.#stopPool(current);
      const pool: Pool = { spec: { ...p }, slots: [], stopping: false };
      this.#pools.set(p.name, pool);
      for (let i = 0; i < Math.max(1, p.parallelism); i++) {
        const slot: Slot = {
          index: i,
          child: undefined,
          exited: Promise.resolve(),
          restarts: 0,
          crashes: 0,
          startedAt: 0,
          timer: undefined,
        };
        pool.slots.push(slot);
        this.#spawn(pool, slot);
      }
      this.#logger.info(
        { pipeline: p.name, version: p.specVersion, workers: pool.slots.length },
        'workers started',
      );
    });
  }

  /** Stops the pipeline's workers; resolves when every one has exited. Idempotent. */
  async stop(pipelineName: string): Promise<void> {
    await this.#serial(pipelineName, async () => {
      const pool = this.#pools.get(pipelineName);
      if (!pool) return;
      await this.#stopPool(pool);
      this.#pools.delete(pipelineName);
    });
  }

  /** Stops every pipeline's workers (pps shutting down) and detaches from process exit. */
  async close(): Promise<void> {
    await Promise.all([...this.#pools.keys()].map((name) => this.stop(name)));
    process.off('exit', this.#onExit);
  }

  /** The worker processes of a pipeline (for `inspect pipeline` and tests). */
  status(pipelineName: string): WorkerProcessStatus[] {
    return (this.#pools.get(pipelineName)?.slots ?? []).map((s) => ({
      index: s.index,
      pid: s.child?.pid,
      restarts: s.restarts,
    }));
  }

  async #serial(name: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.#queues.get(name) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.#queues.set(name, tail);
    try {
      await next;
    } finally {
      if (this.#queues.get(name) === tail) this.#queues.delete(name);
    }
  }

  #spawn(pool: Pool, slot: Slot): void {
    const { spec } = pool;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && (!k.startsWith('TERRAIN_') || PASSED_TERRAIN_VARS.has(k))) env[k] = v;
    }
    Object.assign(env, this.#opts.env ?? {}, {
      TERRAIN_STORAGE: this.#opts.storage,
      TERRAIN_PPS_ADDRESS: spec.ppsAddress,
      TERRAIN_PFS_ADDRESS: spec.pfsAddress,
      TERRAIN_WORKER_PIPELINE: spec.name,
      TERRAIN_WORKER_NAME: `${spec.name}-v${spec.specVersion}-${slot.index}`,
      TERRAIN_WORKER_CONCURRENCY: String(this.#opts.concurrency ?? 1),
      TERRAIN_WORKER_EXIT_WITH_STDIN: '1',
    });
    const child = spawn(
      this.#opts.execPath ?? process.execPath,
      [this.#opts.workerScript ?? DEFAULT_WORKER_SCRIPT],
      {
        env,
        stdio: ['pipe', 'ignore', this.#opts.stderr ?? 'inherit'],
      },
    );
    // The pipe only signals our death; nothing is written. Its errors (EPIPE) are expected.
    child.stdin?.on('error', () => undefined);
    slot.child = child;
    slot.startedAt = Date.now();
    slot.exited = new Promise<void>((resolve) => {
      child.once('error', (err) => {
        this.#logger.error({ err, pipeline: spec.name }, 'cannot start a worker process');
      });
      child.once('close', (code, signal) => {
        resolve();
        if (slot.child === child) slot.child = undefined;
        if (pool.stopping) return;
        if (code === 0) {
          // Drained (scaled down or told to stop by pps): not a crash.
          this.#logger.info({ pipeline: spec.name, worker: slot.index }, 'worker exited after draining');
          return;
        }
        const b = this.#opts.restartBackoff ?? {};
        if (Date.now() - slot.startedAt >= (b.resetAfterMs ?? 60_000)) slot.crashes = 0;
        const delay = Math.min(b.maxMs ?? 30_000, (b.initialMs ?? 1000) * 2 ** slot.crashes);
        slot.crashes++;
        this.#logger.warn(
          { pipeline: spec.name, worker: slot.index, code, signal, restartInMs: delay },
          'worker crashed; restarting',
        );
        slot.timer = setTimeout(() => {
          slot.timer = undefined;
          if (pool.stopping) return;
          slot.restarts++;
          this.#spawn(pool, slot);
        }, delay);
      });
    });
  }

  async #stopPool(pool: Pool): Promise<void> {
    pool.stopping = true;
    const grace = this.#opts.stopGraceMs ?? 15_000;
    await Promise.all(
      pool.slots.map(async (slot) => {
        if (slot.timer) clearTimeout(slot.timer);
        slot.timer = undefined;
        const child = slot.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const forced = new Promise<'grace'>((r) => (timer = setTimeout(() => r('grace'), grace)));
        if ((await Promise.race([slot.exited.then(() => 'exited' as const), forced])) === 'grace') {
          this.#logger.warn(
            { pipeline: pool.spec.name, worker: slot.index },
            'worker ignored SIGTERM; killing it',
          );
          child.kill('SIGKILL');
          await slot.exited;
        }
        clearTimeout(timer);
      }),
    );
    this.#logger.info({ pipeline: pool.spec.name }, 'workers stopped');
  }

  #killAllNow(): void {
    for (const pool of this.#pools.values()) {
      pool.stopping = true;
      for (const slot of pool.slots) {
        if (slot.timer) clearTimeout(slot.timer);
        slot.child?.kill('SIGKILL');
      }
    }
  }
}
