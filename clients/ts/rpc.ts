/**
 * Turns a generated grpc-js service definition into promise / async-iterable methods.
 *
 * - Unary calls return a Promise.
 * - Server streams return an async generator; the call starts on the first `next()`, flow control
 *   follows the consumer (grpc-js reads the next message only when the previous ones were taken),
 *   and leaving the loop early cancels the call.
 * - Client streams take any (async) iterable of requests and write them one by one, waiting for
 *   'drain' whenever grpc-js's buffer is full, so a producer never runs ahead of the network.
 *
 * Requests are given as deep partials and completed with the message's `fromPartial`, so callers
 * write `{ repo: { name: 'images' } }`. Every failure is rebuilt by `fromServiceError` into a
 * `TerrainError` with a `code`; transport failures (nothing listening) say which address was tried.
 * Every method takes `{ signal, timeoutMs, metadata }`: aborting the signal cancels the call and
 * rejects with code `cancelled`.
 *
 * Methods are safe to call concurrently; each call is independent.
 */
import {
  Metadata,
  type CallOptions,
  type Client,
  type ClientWritableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import type { DeepPartial } from '../../proto/gen/terrain/pfs/v1/refs.ts';
import { fromServiceError } from '../../services/platform/grpc-status.ts';
import { TerrainError, isTerrainError } from '../../services/platform/errors.ts';

export type { DeepPartial };

export interface RpcOptions {
  /** Aborting cancels the call; the promise (or stream) rejects with code `cancelled`. */
  signal?: AbortSignal | undefined;
  /** Deadline relative to the start of the call; exceeding it fails with `deadline_exceeded`. */
  timeoutMs?: number | undefined;
  /** Extra request metadata (lower-case keys). */
  metadata?: Record<string, string> | undefined;
}

/** The shape of one method in a ts-proto `outputServices=grpc-js` service definition. */
export interface MethodDefinition {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize: (value: never) => Buffer;
  responseDeserialize: (value: Buffer) => unknown;
}

export type ServiceDefinition = Record<string, MethodDefinition>;

type RequestOf<M> = M extends { requestSerialize: (value: infer Q) => Buffer } ? Q : never;
type ResponseOf<M> = M extends { responseDeserialize: (value: Buffer) => infer R } ? R : never;

export type UnaryMethod<Q, R> = (request?: DeepPartial<Q>, options?: RpcOptions) => Promise<R>;
export type ServerStreamMethod<Q, R> = (
  request?: DeepPartial<Q>,
  options?: RpcOptions,
) => AsyncGenerator<R, void, undefined>;
export type ClientStreamMethod<Q, R> = (
  requests: AsyncIterable<DeepPartial<Q>> | Iterable<DeepPartial<Q>>,
  options?: RpcOptions,
) => Promise<R>;

/** The promise-based face of a generated service definition. */
export type ServiceStub<S> = {
  readonly [K in keyof S]: S[K] extends { requestStream: true; responseStream: false }
    ? ClientStreamMethod<RequestOf<S[K]>, ResponseOf<S[K]>>
    : S[K] extends { requestStream: false; responseStream: true }
      ? ServerStreamMethod<RequestOf<S[K]>, ResponseOf<S[K]>>
      : S[K] extends { requestStream: false; responseStream: false }
        ? UnaryMethod<RequestOf<S[K]>, ResponseOf<S[K]>>
        : never;
};

/** A generated message's helpers that the stubs need. */
interface PartialMessageFns {
  fromPartial(object: unknown): unknown;
}

/** Where the stub sends calls and how errors are labelled. */
export interface StubTarget {
  channel: Client;
  /** Service label for errors without server-side details ("pfs", "pps", …). */
  service: string;
  /** The address, for "cannot reach" messages. */
  address: string;
}

/**
 * Builds the stub for `definition`. `messageModules` are the generated modules that define the
 * service's request messages; each method's request type is `<Method>Request` (checked here, once,
 * so a missing one fails at construction rather than at the first call).
 */
export function makeStub<S extends object>(
  definition: S,
  messageModules: object[],
  target: StubTarget,
): ServiceStub<S> {
  const stub: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(definition)) {
    const method = raw as MethodDefinition;
    const normalize = requestNormalizer(method.path, messageModules);
    if (method.requestStream && method.responseStream) {
      throw new Error(`${method.path}: bidirectional streams are not supported by the Terrain client`);
    } else if (method.requestStream) {
      stub[key] = (requests: AsyncIterable<unknown> | Iterable<unknown>, options?: RpcOptions) =>
        clientStreamCall(target, method, normalize, requests, options ?? {});
    } else if (method.responseStream) {
      stub[key] = (request?: unknown, options?: RpcOptions) =>
        serverStreamCall(target, method, normalize(request ?? {}), options ?? {});
    } else {
      stub[key] = (request?: unknown, options?: RpcOptions) =>
        unaryCall(target, method, normalize(request ?? {}), options ?? {});
    }
  }
  return stub as ServiceStub<S>;
}

function requestNormalizer(path: string, modules: object[]): (request: unknown) => unknown {
  const name = path.slice(path.lastIndexOf('/') + 1) + 'Request';
  for (const module of modules) {
    const candidate = (module as Record<string, unknown>)[name];
    if (
      typeof candidate === 'object' &&
      candidate !== null &&
      typeof (candidate as PartialMessageFns).fromPartial === 'function'
    ) {
      const fns = candidate as PartialMessageFns;
      return (request) => fns.fromPartial(request);
    }
  }
  throw new Error(`${path}: request message ${name} not found in the generated modules given to makeStub`);
}

function callOptions(options: RpcOptions): CallOptions {
  return options.timeoutMs !== undefined ? { deadline: new Date(Date.now() + options.timeoutMs) } : {};
}

function callMetadata(options: RpcOptions): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
  return metadata;
}

function cancelledError(target: StubTarget): TerrainError {
  return new TerrainError(target.service, 'cancelled', `${target.service}: call cancelled`);
}

/** Rebuilds a typed error; transport-level failures get a message that names the address. */
export function convertError(err: unknown, target: StubTarget): unknown {
  const converted = fromServiceError(err, target.service);
  if (!isTerrainError(converted)) return converted;
  const fromServer = (err as Partial<ServiceError>).metadata?.get('terrain-error-service').length;
  if (fromServer) return converted;
  if (converted.code === 'unavailable') {
    const details = (err as Partial<ServiceError>).details ?? '';
    const found = /((?:connect|getaddrinfo) \w+)/.exec(details)?.[1] ?? details.split('. ')[0] ?? '';
    const reason = found.replace(/\.$/, '');
    return new TerrainError(
      target.service,
      'unavailable',
      `cannot reach ${target.address}${reason ? ` (${reason})` : ''}: is the cluster running? (terrain up, terrain status)`,
      { cause: err },
    );
  }
  if (converted.code === 'cancelled')
    return new TerrainError(target.service, 'cancelled', 'call cancelled', { cause: err });
  if (converted.code === 'deadline_exceeded') {
    return new TerrainError(
      target.service,
      'deadline_exceeded',
      `no answer from ${target.address} before the deadline`,
      {
        cause: err,
      },
    );
  }
  return converted;
}

function unaryCall(
  target: StubTarget,
  method: MethodDefinition,
  request: unknown,
  options: RpcOptions,
): Promise<unknown> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(cancelledError(target));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => call.cancel();
    const call = target.channel.makeUnaryRequest(
      method.path,
      method.requestSerialize as (value: unknown) => Buffer,
      method.responseDeserialize,
      request,
      callMetadata(options),
      callOptions(options),
      (err, response) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(convertError(err, target));
        else resolve(response);
      },
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function* serverStreamCall(
  target: StubTarget,
  method: MethodDefinition,
  request: unknown,
  options: RpcOptions,
): AsyncGenerator<never, void, undefined> {
  const { signal } = options;
  if (signal?.aborted) throw cancelledError(target);
  const call = target.channel.makeServerStreamRequest(
    method.path,
    method.requestSerialize as (value: unknown) => Buffer,
    method.responseDeserialize,
    request,
    callMetadata(options),
    callOptions(options),
  );
  // The iterator below reports errors; this keeps a late CANCELLED (after an early exit) from
  // becoming an unhandled 'error' event.
  call.on('error', () => {});
  const onAbort = (): void => call.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const message of call) yield message as never;
  } catch (err) {
    throw convertError(err, target);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    call.cancel(); // no-op when the stream ended; stops the server when the consumer left early
  }
}

async function clientStreamCall(
  target: StubTarget,
  method: MethodDefinition,
  normalize: (request: unknown) => unknown,
  requests: AsyncIterable<unknown> | Iterable<unknown>,
  options: RpcOptions,
): Promise<unknown> {
  const { signal } = options;
  if (signal?.aborted) throw cancelledError(target);
  let call!: ClientWritableStream<unknown>;
  const response = new Promise<unknown>((resolve, reject) => {
    call = target.channel.makeClientStreamRequest(
      method.path,
      method.requestSerialize as (value: unknown) => Buffer,
      method.responseDeserialize,
      callMetadata(options),
      callOptions(options),
      (err, value) => (err ? reject(err) : resolve(value)),
    );
  });
  call.on('error', () => {}); // reported through the callback above
  let settled = false;
  let failure: unknown;
  const outcome = response.then(
    () => void (settled = true),
    (err: unknown) => {
      settled = true;
      failure = err;
    },
  );
  const onAbort = (): void => call.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const request of requests) {
      if (settled) break; // the server already answered (an error, typically): stop producing
      if (!call.write(normalize(request))) {
        await drained(call, outcome);
        if (settled) break; // do not pull another request only to drop it
      }
    }
    if (!settled) call.end();
  } catch (err) {
    // The request source failed (e.g. a local file became unreadable): abandon the call so the
    // server discards everything it staged, and report the source's error.
    call.cancel();
    await outcome;
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  await outcome;
  if (failure !== undefined) throw convertError(failure, target);
  return await response;
}

/** Resolves on 'drain' or when the call ends, whichever comes first, leaving no listener behind. */
function drained(call: ClientWritableStream<unknown>, outcome: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      resolve();
    };
    call.on('drain', done);
    void outcome.then(done);
  });
}
