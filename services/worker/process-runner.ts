/**
 * Runs one user command as its own process group: feeds stdin lines, captures stdout and stderr
 * line by line, and stops the whole group (SIGTERM, then SIGKILL after a grace period) when the
 * time limit passes or the caller aborts.
 *
 * Each call is independent; any number may run concurrently.
 */
import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';

export type OutputStream = 'stdout' | 'stderr';

export interface RunProcessOptions {
  /** argv[0] and its arguments. */
  argv: readonly string[];
  env: Record<string, string>;
  cwd?: string | undefined;
  /** Lines written to stdin, each followed by "\n"; stdin is then closed. */
  stdin?: readonly string[];
  /** Called once per output line (without its newline; long lines are split at `maxLineBytes`). */
  onLine?: (stream: OutputStream, line: string) => void;
  /** Kill the process group after this many ms; undefined = no limit. */
  timeoutMs?: number | undefined;
  /** Time between SIGTERM and SIGKILL. Default 2,000 ms. */
  killGraceMs?: number;
  /** Aborting stops the process group the same way as the timeout. */
  signal?: AbortSignal | undefined;
  /** Default 64 KiB (the LogMessage limit). */
  maxLineBytes?: number;
}

export interface ProcessOutcome {
  /** The exit code; -1 when killed by a signal or never started. */
  exitCode: number;
  /** The signal that ended the process, if any. */
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  /** Set when the process could not be started (ENOENT, EACCES…). */
  spawnError?: string;
  durationMs: number;
}

/** Never throws: every failure, including a failed spawn, is described by the outcome. */
export async function runProcess(options: RunProcessOptions): Promise<ProcessOutcome> {
  const started = performance.now();
  const [file, ...args] = options.argv;
  if (file === undefined) {
    return {
      exitCode: -1,
      signal: null,
      timedOut: false,
      aborted: false,
      spawnError: 'empty command',
      durationMs: 0,
    };
  }
  if (options.signal?.aborted) {
    return { exitCode: -1, signal: null, timedOut: false, aborted: true, durationMs: 0 };
  }
  const maxLine = options.maxLineBytes ?? 64 * 1024;
  const grace = options.killGraceMs ?? 2000;
  // detached: the child leads its own process group, so a kill reaches everything it started.
  const child = spawn(file, args, {
    env: options.env,
    cwd: options.cwd,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let timedOut = false;
  let aborted = false;
  let spawnError: string | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let exited = false;

  const killGroup = (sig: NodeJS.Signals): void => {
    if (exited || child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      // the group is already gone
    }
  };
  const stop = (): void => {
    killGroup('SIGTERM');
    killTimer ??= setTimeout(() => killGroup('SIGKILL'), grace);
  };
  const timeout =
    options.timeoutMs !== undefined
      ? setTimeout(() => {
          timedOut = true;
          stop();
        }, options.timeoutMs)
      : undefined;
  const onAbort = (): void => {
    aborted = true;
    stop();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const lineSplitter = (stream: OutputStream) => {
    const decoder = new StringDecoder('utf8');
    let pending = '';
    const emit = (line: string): void => {
      for (let i = 0; i < line.length || i === 0; i += maxLine) {
        options.onLine?.(stream, line.slice(i, i + maxLine));
        if (line.length === 0) break;
      }
    };
    return {
      data: (buf: Buffer): void => {
        pending += decoder.write(buf);
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          emit(pending.slice(0, nl));
          pending = pending.slice(nl + 1);
        }
        // Bound memory for output without newlines.
        while (pending.length >= maxLine) {
          emit(pending.slice(0, maxLine));
          pending = pending.slice(maxLine);
        }
      },
      end: (): void => {
        pending += decoder.end();
        if (pending.length > 0) emit(pending);
        pending = '';
      },
    };
  };
  const out = lineSplitter('stdout');
  const err = lineSplitter('stderr');
  child.stdout.on('data', out.data);
  child.stderr.on('data', err.data);
  // A command that does not read stdin closes it early: EPIPE is not a failure of the datum.
  child.stdin.on('error', () => undefined);
  for (const line of options.stdin ?? []) child.stdin.write(`${line}\n`);
  child.stdin.end();

  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (e) => {
      spawnError = e.message;
      resolve({ code: null, signal: null });
    });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  // Whatever the leader left behind in its group (a background `sleep &`) must not outlive it,
  // and must not hold stdout open.
  killGroup('SIGKILL');
  exited = true;
  if (spawnError === undefined) {
    // 'close' follows once the pipes drain; a process that escaped the group (setsid) could hold
    // them open forever, so the wait is bounded.
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise<void>((r) => (bound = setTimeout(r, 1000)))]);
    clearTimeout(bound);
    child.stdout.destroy();
    child.stderr.destroy();
  }
  out.end();
  err.end();
  if (timeout) clearTimeout(timeout);
  if (killTimer) clearTimeout(killTimer);
  options.signal?.removeEventListener('abort', onAbort);
  return {
    exitCode: result.code ?? -1,
    signal: result.signal,
    timedOut,
    aborted,
    ...(spawnError !== undefined ? { spawnError } : {}),
    durationMs: performance.now() - started,
  };
}
