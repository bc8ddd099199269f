/**
 * The one table that maps Terrain error families to gRPC status codes, and back.
 *
 * Server side: `toServiceError` turns anything a handler threw into a gRPC error. Terrain errors keep
 * their message; unknown errors become INTERNAL with a generic message (the cause is logged, never
 * sent — it may hold paths or secrets). Client side: `fromServiceError` rebuilds the same typed
 * error, so `isErrorCode(err, 'not_found')` works identically on both sides of the wire.
 */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { TerrainError, isAbortError, isTerrainError, type ErrorCode } from './errors.ts';

const CODE_TO_STATUS: Record<ErrorCode, status> = {
  not_found: status.NOT_FOUND,
  already_exists: status.ALREADY_EXISTS,
  invalid_argument: status.INVALID_ARGUMENT,
  failed_precondition: status.FAILED_PRECONDITION,
  aborted: status.ABORTED,
  unavailable: status.UNAVAILABLE,
  data_loss: status.DATA_LOSS,
  resource_exhausted: status.RESOURCE_EXHAUSTED,
  deadline_exceeded: status.DEADLINE_EXCEEDED,
  cancelled: status.CANCELLED,
  unimplemented: status.UNIMPLEMENTED,
  internal: status.INTERNAL,
};

const STATUS_TO_CODE = new Map<status, ErrorCode>(
  Object.entries(CODE_TO_STATUS).map(([code, st]) => [st, code as ErrorCode]),
);
STATUS_TO_CODE.set(status.UNKNOWN, 'internal');
STATUS_TO_CODE.set(status.PERMISSION_DENIED, 'failed_precondition');
STATUS_TO_CODE.set(status.UNAUTHENTICATED, 'failed_precondition');
STATUS_TO_CODE.set(status.OUT_OF_RANGE, 'invalid_argument');

/** Metadata keys that carry the error's service and details across the wire. */
const SERVICE_KEY = 'terrain-error-service';
const DETAIL_PREFIX = 'terrain-error-detail-';

export function statusForCode(code: ErrorCode): status {
  return CODE_TO_STATUS[code];
}

export function codeForStatus(st: status): ErrorCode {
  return STATUS_TO_CODE.get(st) ?? 'internal';
}

/** Converts a thrown value into a gRPC ServiceError for the wire. */
export function toServiceError(err: unknown, logger?: Logger): Partial<ServiceError> {
  const metadata = new Metadata();
  if (isTerrainError(err)) {
    metadata.set(SERVICE_KEY, err.service);
    for (const [key, value] of Object.entries(err.details)) {
      metadata.set(DETAIL_PREFIX + key.toLowerCase().replace(/[^a-z0-9_.-]/g, '_'), asciiSafe(value));
    }
    if (err.code === 'internal') logger?.error({ err }, 'internal error');
    return { code: CODE_TO_STATUS[err.code], details: escapeControls(err.message), metadata };
  }
  if (isAbortError(err)) {
    return { code: status.CANCELLED, details: 'request cancelled', metadata };
  }
  logger?.error({ err }, 'unexpected error');
  return { code: status.INTERNAL, details: 'internal error (see the server log)', metadata };
}

/**
 * Control characters (a NUL in an offending path, say) cannot travel in HTTP/2 trailers: grpc-js
 * would drop the status and the client would hang. Show them escaped instead.
 */
function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Metadata values must be printable ASCII. */
function asciiSafe(text: string): string {
  return escapeControls(text).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Rebuilds a typed Terrain error from a gRPC error a client received. */
export function fromServiceError(err: unknown, fallbackService = 'client'): unknown {
  if (!isServiceError(err)) return err;
  const service = firstString(err.metadata?.get(SERVICE_KEY)) ?? fallbackService;
  const details: Record<string, string> = {};
  for (const [key, value] of Object.entries(err.metadata?.getMap() ?? {})) {
    if (key.startsWith(DETAIL_PREFIX) && typeof value === 'string')
      details[key.slice(DETAIL_PREFIX.length)] = value;
  }
  const code = codeForStatus(err.code);
  const message =
    err.details ||
    (code === 'unavailable'
      ? `${service} is unavailable: is the cluster running? (terrain status)`
      : err.message);
  return new TerrainError(service, code, message, { cause: err, details });
}

function isServiceError(err: unknown): err is ServiceError {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as ServiceError).code === 'number' &&
    'details' in err
  );
}

function firstString(values: unknown[] | undefined): string | undefined {
  const first = values?.[0];
  return typeof first === 'string' ? first : undefined;
}
