/**
 * pino JSON logs: one root logger per process, a child per component and per RPC.
 *
 * Quiet in tests: the level defaults to `silent` when running under mocha (or when
 * `TERRAIN_LOG_LEVEL=silent`), so test output shows only test results.
 */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** trace | debug | info | warn | error | fatal | silent */
  level?: string;
  /** Where JSON lines go; defaults to stderr so stdout stays clean for command output. */
  destination?: NodeJS.WritableStream;
}

function defaultLevel(): string {
  const fromEnv = process.env['TERRAIN_LOG_LEVEL'];
  if (fromEnv) return fromEnv;
  const underTest = process.argv.some((a) => a.includes('mocha')) || process.env['TERRAIN_TEST'] === '1';
  return underTest ? 'silent' : 'info';
}

/** Makes the process's root logger. Services receive it (or a child) through their deps. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    { level: options.level ?? defaultLevel(), base: { pid: process.pid } },
    (options.destination ?? process.stderr) as pino.DestinationStream,
  );
}

/** A child logger for one component, e.g. `componentLogger(root, 'pfs.commits')`. */
export function componentLogger(
  parent: Logger,
  component: string,
  bindings: Record<string, unknown> = {},
): Logger {
  return parent.child({ component, ...bindings });
}

/** A logger that drops everything; for unit tests and library code called without one. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
