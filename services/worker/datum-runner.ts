/**
 * Runs one attempt of one datum: materialize its inputs, run the transform (and err_cmd when it
 * fails), collect /pfs/out into a file set tagged with the datum ID, register it with pfs, and
 * describe the outcome as a DatumResult.
 *
 * Never throws for anything the user code or the data did: those become a FAILED result with the
 * reason in `error`. It throws only when `signal` aborts (the shard was cancelled or the lease
 * lost: nothing must be reported). Each call uses its own directory, so calls run concurrently.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Duration } from '../../proto/gen/google/protobuf/duration.ts';
import { DatumState, type InputFile } from '../../proto/gen/terrain/pps/v1/datum.ts';
import type { DatumResult, ShardDatum, Transform } from '../../proto/gen/terrain/pps/v1/worker.ts';
import type { FileSetStorage, RootHash } from '../pfs/storage/index.ts';
import { isAbortError } from '../platform/errors.ts';
import { materializeInputs, matchedPath, type CommitRoots } from './input-materializer.ts';
import { isolatedArgv, rewritePfsPath, type IsolationMode } from './isolation.ts';
import { collectOutputs, PFS_ROOT } from './output-collector.ts';
import { runProcess, type OutputStream } from './process-runner.ts';

/** Registers a staged file set written to the object store; returns the pfs handle. */
export type RegisterFileSet = (
  root: RootHash,
  options: { signal?: AbortSignal | undefined },
) => Promise<string>;

export interface DatumRunnerDeps {
  storage: FileSetStorage;
  roots: CommitRoots;
  registerFileSet: RegisterFileSet;
  /** Parent of the per-datum directories. */
  scratchDir: string;
  isolation: IsolationMode;
  /** Environment the user code inherits before Pachyderm's variables (PATH, HOME…). */
  baseEnv: Record<string, string>;
  /** SIGTERM → SIGKILL grace when a datum times out or is aborted. Default 2,000 ms. */
  killGraceMs?: number;
  /** Keep datum directories after the attempt (debugging). */
  keepDirs?: boolean;
  /**
   * User processes run at once across every concurrent run() call (default: unlimited). Datums in
   * their download and upload phases do not count, so I/O-bound phases overlap the user code.
   */
  maxProcesses?: number;
  /**
   * Prepended to every command (e.g. `setpriv --pdeathsig KILL`, see processWrapper), so the user
   * process dies with the worker even when the worker is killed with SIGKILL.
   */
  wrapper?: readonly string[];
}

/** The shard-level facts a datum attempt needs. */
export interface DatumJob {
  pipeline: string;
  jobId: string;
  outputCommitId: string;
  transform: Transform;
  /** undefined = no limit. */
  timeoutMs: number | undefined;
  datumTries: number;
}

export type DatumLogSink = (source: OutputStream | 'worker', line: string) => void;

export class DatumRunner {
  readonly #deps: DatumRunnerDeps;
  readonly #slots: Semaphore;

  constructor(deps: DatumRunnerDeps) {
    this.#deps = deps;
    this.#slots = new Semaphore(deps.maxProcesses ?? Number.POSITIVE_INFINITY);
  }

  get isolation(): IsolationMode {
    return this.#deps.isolation;
  }

  /** @throws only an abort error when `signal` aborts. */
  async run(job: DatumJob, datum: ShardDatum, log: DatumLogSink, signal: AbortSignal): Promise<DatumResult> {
    const started = new Date();
    const dir = resolve(this.#deps.scratchDir, `${datum.id.slice(0, 16)}-${randomBytes(6).toString('hex')}`);
    const stats = { downloadMs: 0, processMs: 0, uploadMs: 0, downloadBytes: 0, uploadBytes: 0 };
    let inputFiles: InputFile[] = [];
    let exitCode = -1;
    const result = (state: DatumState, error: string, outputFileSetId = ''): DatumResult => ({
      datumId: datum.id,
      state,
      outputFileSetId,
      error,
      exitCode,
      stats: {
        downloadTime: duration(stats.downloadMs),
        processTime: duration(stats.processMs),
        uploadTime: duration(stats.uploadMs),
        downloadBytes: BigInt(stats.downloadBytes),
        uploadBytes: BigInt(stats.uploadBytes),
      },
      started,
      finished: new Date(),
      inputFiles,
    });
    const fail = (error: string): DatumResult => {
      log('worker', `datum ${datum.id} failed (attempt ${datum.attempt} of ${job.datumTries}): ${error}`);
      return result(DatumState.FAILED, error);
    };
    try {
      await mkdir(join(dir, 'out'), { recursive: true });
      // 1. inputs
      let t = performance.now();
      try {
        const m = await materializeInputs(this.#deps.storage, this.#deps.roots, datum.inputs, dir, {
          signal,
        });
        inputFiles = m.inputFiles;
        stats.downloadBytes = m.bytes;
      } catch (err) {
        if (signal.aborted) throw err;
        return fail(`cannot materialize inputs: ${message(err)}`);
      } finally {
        stats.downloadMs = performance.now() - t;
      }
      // 2. user code
      await this.#slots.acquire(signal);
      let ran: { exitCode: number; error?: string };
      let recovered = false;
      try {
        t = performance.now();
        const env = this.#env(job, datum, dir);
        // TODO(worker): run as transform.user (setpriv after the mount, with the datum dir chowned).
        if (job.transform.user)
          log(
            'worker',
            `transform.user ${JSON.stringify(job.transform.user)} is not supported yet; running as the worker's user`,
          );
        ran = await this.#exec(job.transform.cmd, job.transform.stdin, job, env, dir, log, signal);
        exitCode = ran.exitCode;
        if (ran.error !== undefined && !signal.aborted && job.transform.errCmd.length > 0) {
          log('worker', `running err_cmd after: ${ran.error}`);
          const errRun = await this.#exec(
            job.transform.errCmd,
            job.transform.errStdin,
            job,
            env,
            dir,
            log,
            signal,
          );
          recovered = errRun.error === undefined;
          if (!recovered) log('worker', `err_cmd failed: ${errRun.error}`);
        }
        stats.processMs = performance.now() - t;
      } finally {
        this.#slots.release();
      }
      signal.throwIfAborted();
      if (recovered) {
        log('worker', `datum ${datum.id} recovered by err_cmd`);
        return result(DatumState.RECOVERED, ran.error ?? '');
      }
      if (ran.error !== undefined) return fail(ran.error);
      // 3. outputs
      t = performance.now();
      try {
        const collected = await collectOutputs(this.#deps.storage, dir, datum.id, { signal });
        stats.uploadBytes = collected.bytes;
        const id = await this.#deps.registerFileSet(collected.root, { signal });
        stats.uploadMs = performance.now() - t;
        return result(DatumState.SUCCESS, '', id);
      } catch (err) {
        stats.uploadMs = performance.now() - t;
        if (signal.aborted) throw err;
        return fail(`cannot upload ${PFS_ROOT}/out: ${message(err)}`);
      }
    } catch (err) {
      if (signal.aborted || isAbortError(err)) throw signal.reason ?? err;
      return fail(`worker error: ${message(err)}`);
    } finally {
      if (!this.#deps.keepDirs) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** Pachyderm's variables on top of the base environment and transform.env. */
  #env(job: DatumJob, datum: ShardDatum, dir: string): Record<string, string> {
    const pfs = this.#deps.isolation === 'namespace' ? PFS_ROOT : dir;
    const env: Record<string, string> = { ...this.#deps.baseEnv, ...job.transform.env };
    for (const input of datum.inputs) {
      const p = matchedPath(input);
      env[input.name] = p === '/' ? `${pfs}/${input.name}` : `${pfs}/${input.name}${p}`;
    }
    Object.assign(env, {
      PACH_JOB_ID: job.jobId,
      PACH_DATUM_ID: datum.id,
      PACH_OUTPUT_COMMIT_ID: job.outputCommitId,
      PPS_PIPELINE_NAME: job.pipeline,
      PACH_PFS_DIR: pfs,
      PACH_DATUM_ATTEMPT: String(datum.attempt),
    });
    if (this.#deps.isolation === 'directory') {
      for (const [k, v] of Object.entries(job.transform.env)) env[k] = rewritePfsPath(v, dir);
    }
    return env;
  }

  /** Runs one command; `error` is set when it did not succeed. */
  async #exec(
    cmd: readonly string[],
    stdin: readonly string[],
    job: DatumJob,
    env: Record<string, string>,
    dir: string,
    log: DatumLogSink,
    signal: AbortSignal,
  ): Promise<{ exitCode: number; error?: string }> {
    if (cmd.length === 0) return { exitCode: -1, error: 'transform.cmd is empty' };
    const wd = job.transform.workingDir || undefined;
    const isolated = isolatedArgv(this.#deps.isolation, cmd, dir, wd);
    const argv = [...(this.#deps.wrapper ?? []), ...isolated.argv];
    const { cwd } = isolated;
    const outcome = await runProcess({
      argv,
      env,
      cwd,
      // In directory mode, /pfs in stdin lines (a shell script) means the datum directory too.
      stdin: this.#deps.isolation === 'directory' ? stdin.map((l) => rewritePfsPath(l, dir)) : stdin,
      timeoutMs: job.timeoutMs,
      killGraceMs: this.#deps.killGraceMs,
      signal,
      onLine: (stream, line) => log(stream, line),
    });
    if (outcome.spawnError !== undefined) {
      return { exitCode: -1, error: `cannot start ${JSON.stringify(argv[0])}: ${outcome.spawnError}` };
    }
    if (outcome.timedOut) {
      return { exitCode: -1, error: `datum_timeout of ${formatMs(job.timeoutMs ?? 0)} exceeded` };
    }
    if (outcome.aborted) return { exitCode: -1, error: 'cancelled' };
    if (outcome.signal) return { exitCode: -1, error: `killed by ${outcome.signal}` };
    if (outcome.exitCode === 0 || job.transform.acceptReturnCode.includes(outcome.exitCode)) {
      return { exitCode: outcome.exitCode };
    }
    return { exitCode: outcome.exitCode, error: `exit code ${outcome.exitCode}` };
  }
}

export function duration(ms: number): Duration {
  const whole = Math.max(0, Math.floor(ms));
  const nanos = Math.min(999_999_999, Math.round((ms - whole) * 1e6) + (whole % 1000) * 1e6);
  return { seconds: BigInt(Math.floor(whole / 1000)), nanos };
}

/** A protobuf Duration in ms; undefined when unset or zero. */
export function durationMs(d: Duration | undefined): number | undefined {
  if (!d) return undefined;
  const ms = Number(d.seconds) * 1000 + d.nanos / 1e6;
  return ms > 0 ? ms : undefined;
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A counting semaphore whose waiters give up when their signal aborts. */
class Semaphore {
  #free: number;
  readonly #waiters: (() => void)[] = [];

  constructor(n: number) {
    this.#free = n;
  }

  async acquire(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(grant);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(signal.reason as Error);
      };
      this.#waiters.push(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#free++;
  }
}
