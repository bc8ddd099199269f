/**
 * Adapters from plain async functions to grpc-js handlers.
 *
 * Services write handlers as `(request, ctx) => Promise<Response>` (or async generators for server
 * streams) and never see grpc-js callbacks. The adapters give every call:
 * - an AbortSignal that fires when the client cancels or the deadline passes (pass it down to etcd,
 *   S3 and child gRPC calls);
 * - a child logger named after the method;
 * - error translation through the one table in `grpc-status.ts`;
 * - backpressure on server streams (waits for 'drain' when `write` returns false).
 */
import type {
  handleBidiStreamingCall,
  handleClientStreamingCall,
  handleServerStreamingCall,
  handleUnaryCall,
  Metadata,
  ServerDuplexStream,
  ServerReadableStream,
  ServerUnaryCall,
  ServerWritableStream,
  ServiceError,
} from '@grpc/grpc-js';
import { once } from 'node:events';
import type { Logger } from 'pino';
import { toServiceError } from './grpc-status.ts';

export interface CallContext {
  /** Aborts when the client cancels, the deadline passes, or the server shuts down. */
  signal: AbortSignal;
  logger: Logger;
  metadata: Metadata;
}

type AnyCall = { on(event: 'cancelled', fn: () => void): unknown; metadata: Metadata; cancelled?: boolean };

function contextFor(call: AnyCall, logger: Logger, method: string): { ctx: CallContext; done: () => void } {
  const controller = new AbortController();
  const onCancel = (): void =>
    controller.abort(new DOMException(`${method} cancelled by the client`, 'AbortError'));
  call.on('cancelled', onCancel);
  if (call.cancelled) onCancel();
  return {
    ctx: { signal: controller.signal, logger: logger.child({ rpc: method }), metadata: call.metadata },
    done: () => {
      // A finished call must not leave listeners holding the controller alive.
      (call as unknown as NodeJS.EventEmitter).removeListener?.('cancelled', onCancel);
    },
  };
}

/** Answers a unary-response call with the result of `work`, mapping errors through the one table. */
function respond<Res>(
  work: Promise<Res>,
  ctx: CallContext,
  done: () => void,
  callback: (err: ServiceError | null, res?: Res) => void,
): void {
  work.then(
    (res) => {
      done();
      callback(null, res);
    },
    (err: unknown) => {
      done();
      callback(toServiceError(err, ctx.logger) as ServiceError);
    },
  );
}

/** Writes every item of `items` to a server stream with backpressure, then ends it (or sends the error). */
function streamOut<Res>(
  call: ServerWritableStream<unknown, Res> | ServerDuplexStream<unknown, Res>,
  items: AsyncIterable<Res>,
  ctx: CallContext,
  done: () => void,
): void {
  const run = async (): Promise<void> => {
    for await (const item of items) {
      if (ctx.signal.aborted) return;
      if (!call.write(item)) await waitForDrain(call, ctx.signal);
    }
    call.end();
  };
  run().then(done, (err: unknown) => {
    done();
    // grpc-js sends a status for an 'error' event; destroy() would end the stream with none.
    if (!ctx.signal.aborted) call.emit('error', toServiceError(err, ctx.logger));
  });
}

export function unary<Req, Res>(
  logger: Logger,
  method: string,
  fn: (request: Req, ctx: CallContext) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback) => {
    const { ctx, done } = contextFor(call, logger, method);
    respond(fn(call.request, ctx), ctx, done, callback);
  };
}

export function serverStream<Req, Res>(
  logger: Logger,
  method: string,
  fn: (request: Req, ctx: CallContext) => AsyncIterable<Res>,
): handleServerStreamingCall<Req, Res> {
  return (call: ServerWritableStream<Req, Res>) => {
    const { ctx, done } = contextFor(call, logger, method);
    streamOut(call as ServerWritableStream<unknown, Res>, fn(call.request, ctx), ctx, done);
  };
}

export function clientStream<Req, Res>(
  logger: Logger,
  method: string,
  fn: (requests: AsyncIterable<Req>, ctx: CallContext) => Promise<Res>,
): handleClientStreamingCall<Req, Res> {
  return (call: ServerReadableStream<Req, Res>, callback) => {
    const { ctx, done } = contextFor(call, logger, method);
    respond(fn(call as AsyncIterable<Req>, ctx), ctx, done, callback);
  };
}

export function bidiStream<Req, Res>(
  logger: Logger,
  method: string,
  fn: (requests: AsyncIterable<Req>, ctx: CallContext) => AsyncIterable<Res>,
): handleBidiStreamingCall<Req, Res> {
  return (call: ServerDuplexStream<Req, Res>) => {
    const { ctx, done } = contextFor(call, logger, method);
    streamOut(call as ServerDuplexStream<unknown, Res>, fn(call as AsyncIterable<Req>, ctx), ctx, done);
  };
}

async function waitForDrain(stream: NodeJS.EventEmitter, signal: AbortSignal): Promise<void> {
  await once(stream, 'drain', { signal });
}
