/**
 * Typed error families shared by every service.
 *
 * Errors are told apart by their `code` field, never by `instanceof` across packages (a client
 * decoding a gRPC status builds the same shape). Each service makes its errors with its own name as
 * `service`, so messages read `pfs: repo "images" not found`.
 *
 * The one table that maps families to gRPC status codes (and back) is in `grpc-status.ts`.
 */

export const ERROR_CODES = [
  'not_found',
  'already_exists',
  'invalid_argument',
  'failed_precondition',
  'aborted',
  'unavailable',
  'data_loss',
  'resource_exhausted',
  'deadline_exceeded',
  'cancelled',
  'unimplemented',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface TerrainErrorOptions {
  cause?: unknown;
  /** Structured facts about the error (the offending value, the JSON path…), safe to show users. */
  details?: Record<string, string>;
}

/** The one error class; `code` says which family it belongs to. */
export class TerrainError extends Error {
  readonly code: ErrorCode;
  readonly service: string;
  readonly details: Record<string, string>;

  constructor(service: string, code: ErrorCode, message: string, options: TerrainErrorOptions = {}) {
    super(message.startsWith(`${service}: `) ? message : `${service}: ${message}`, { cause: options.cause });
    this.name = 'TerrainError';
    this.code = code;
    this.service = service;
    this.details = options.details ?? {};
  }
}

/** True when `err` is a Terrain error of family `code` (works across package copies). */
export function isErrorCode(err: unknown, code: ErrorCode): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { code?: unknown }).code === code &&
    typeof (err as { service?: unknown }).service === 'string'
  );
}

export function isTerrainError(err: unknown): err is TerrainError {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { service?: unknown }).service === 'string' &&
    (ERROR_CODES as readonly unknown[]).includes((err as { code?: unknown }).code)
  );
}

/**
 * Error constructors bound to one service name, so call sites read
 * `errors.notFound(`repo "${name}" not found`)`.
 */
export function errorFactory(service: string) {
  const make =
    (code: ErrorCode) =>
    (message: string, options?: TerrainErrorOptions): TerrainError =>
      new TerrainError(service, code, message, options);
  return {
    notFound: make('not_found'),
    alreadyExists: make('already_exists'),
    invalidArgument: make('invalid_argument'),
    failedPrecondition: make('failed_precondition'),
    aborted: make('aborted'),
    unavailable: make('unavailable'),
    dataLoss: make('data_loss'),
    resourceExhausted: make('resource_exhausted'),
    deadlineExceeded: make('deadline_exceeded'),
    cancelled: make('cancelled'),
    unimplemented: make('unimplemented'),
    internal: make('internal'),
  };
}

export type ErrorFactory = ReturnType<typeof errorFactory>;

/** Errors raised by the platform library itself (etcd layer, object stores, config). */
export const platformErrors = errorFactory('platform');

/** True when `err` is an abort (from an AbortSignal), whatever produced it. */
export function isAbortError(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    ((err as { name?: unknown }).name === 'AbortError' || isErrorCode(err, 'cancelled'))
  );
}
