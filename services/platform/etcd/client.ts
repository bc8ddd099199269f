/**
 * The etcd connection: one `etcd3` client configured for Terrain, and the one place where etcd and
 * gRPC errors become Terrain errors.
 *
 * Fault handling is ours, not the library's. etcd3's defaults retry every "recoverable" failure three
 * times and open a 5-second circuit breaker after three consecutive ones: a retried transaction whose
 * first attempt did commit would be applied twice, and one oversized request (or a restarting etcd)
 * would fail every call of the process for 5 s. So both policies are no-ops: each call is sent once,
 * failures surface at once as UNAVAILABLE, and the callers that can retry safely (casUpdate, the
 * watch, the lease keep-alive) do so themselves.
 */
import { noop } from 'cockatiel';
import {
  Etcd3,
  EtcdLeaseInvalidError,
  GRPCDeadlineExceededError,
  GRPCInvalidArgumentError,
  GRPCOutOfRangeError,
  GRPCResourceExhastedError,
  GRPCUnavailableError,
  ClientClosedError,
  isRecoverableError,
} from 'etcd3';
import { platformErrors, type TerrainError, isTerrainError } from '../errors.ts';

export interface EtcdConnectOptions {
  /** `http://127.0.0.1:2379` or several; the `http://` prefix is optional. */
  endpoints: string | readonly string[];
  /** Deadline of every unary call (default 10 s); streams have none. */
  callTimeoutMs?: number;
}

/** Creates an etcd3 client with Terrain's fault handling. Close it with `client.close()`. */
export function connectEtcd(options: EtcdConnectOptions): Etcd3 {
  const hosts = (typeof options.endpoints === 'string' ? [options.endpoints] : [...options.endpoints]).map(
    (e) => (/^https?:\/\//.test(e) ? e : `http://${e}`),
  );
  const callTimeoutMs = options.callTimeoutMs ?? 10_000;
  return new Etcd3({
    hosts,
    faultHandling: { host: () => noop, global: noop },
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    grpcOptions: {
      // Reconnect quickly after an etcd restart instead of grpc-js's default backoff (up to 120 s).
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
      // Notice a silently dead peer; etcd accepts pings no more often than every 5 s.
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 1,
      // Let etcd itself refuse big requests with its own clear error; we check sizes before sending anyway.
      'grpc.max_send_message_length': 8 * 1024 * 1024,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    },
  });
}

/** The message etcd sends when a read or watch asks for a revision older than the last compaction. */
export function isCompactedError(err: unknown): boolean {
  return err instanceof Error && err.message.includes('required revision has been compacted');
}

/**
 * Maps an error from etcd3/gRPC to a Terrain error. `what` says what was being done
 * (`put "/terrain/repos/a"`). Terrain errors pass through unchanged.
 */
export function toTerrainError(err: unknown, what: string): TerrainError {
  if (isTerrainError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  const options = { cause: err };
  if (err instanceof EtcdLeaseInvalidError || message.includes('requested lease not found')) {
    return platformErrors.failedPrecondition(`etcd: ${what}: the lease has expired or was revoked`, options);
  }
  if (err instanceof GRPCOutOfRangeError && isCompactedError(err)) {
    return platformErrors.failedPrecondition(`etcd: ${what}: the requested revision has been compacted`, {
      ...options,
      details: { reason: 'compacted' },
    });
  }
  if (message.includes('request is too large') || err instanceof GRPCResourceExhastedError) {
    return platformErrors.resourceExhausted(
      `etcd: ${what}: etcd refused the request as too large (${message})`,
      options,
    );
  }
  if (message.includes('too many operations in txn request')) {
    return platformErrors.invalidArgument(`etcd: ${what}: too many operations in one transaction`, options);
  }
  if (message.includes('required revision is a future revision')) {
    return platformErrors.invalidArgument(`etcd: ${what}: the requested revision is in the future`, options);
  }
  if (err instanceof GRPCInvalidArgumentError) {
    return platformErrors.invalidArgument(`etcd: ${what}: ${message}`, options);
  }
  if (err instanceof GRPCDeadlineExceededError) {
    return platformErrors.unavailable(
      `etcd: ${what}: no answer before the deadline; check that etcd is running`,
      options,
    );
  }
  if (
    err instanceof GRPCUnavailableError ||
    err instanceof ClientClosedError ||
    (err instanceof Error && isRecoverableError(err))
  ) {
    return platformErrors.unavailable(
      `etcd: ${what}: etcd is unreachable (${message}); check that etcd is running`,
      options,
    );
  }
  return platformErrors.internal(`etcd: ${what}: ${message}`, options);
}

/** The error thrown when an operation's AbortSignal fires. */
export function cancelledError(what: string, signal?: AbortSignal): TerrainError {
  return platformErrors.cancelled(`etcd: ${what}: cancelled`, { cause: signal?.reason });
}

/**
 * Runs one etcd call: fails fast when `signal` is already aborted, rejects with CANCELLED as soon as
 * it aborts (the request may still reach etcd — a write's outcome is then unknown), and maps every
 * other failure through `toTerrainError`.
 */
export async function etcdCall<T>(
  what: string,
  signal: AbortSignal | undefined,
  call: () => Promise<T>,
): Promise<T> {
  if (signal?.aborted) throw cancelledError(what, signal);
  const promise = call();
  if (!signal) {
    try {
      return await promise;
    } catch (err) {
      throw toTerrainError(err, what);
    }
  }
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(cancelledError(what, signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } catch (err) {
    // The losing call must not become an unhandled rejection.
    promise.catch(() => undefined);
    throw toTerrainError(err, what);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** Parses an etcd revision (a decimal string) into a number; revisions stay far below 2^53 in practice. */
export function parseRevision(value: string | number | undefined): number {
  const n = Number(value ?? 0);
  if (!Number.isSafeInteger(n) || n < 0)
    throw platformErrors.internal(`etcd: unexpected revision "${String(value)}"`);
  return n;
}

/** Sleeps `ms`, rejecting with CANCELLED when `signal` aborts first. */
export async function sleep(ms: number, signal?: AbortSignal, what = 'sleep'): Promise<void> {
  if (signal?.aborted) throw cancelledError(what, signal);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort(): void {
      clearTimeout(timer);
      reject(cancelledError(what, signal));
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
