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
  const onCancel = (): void => controller.abort(new DOMException(`${method} cancelled by the client`, 'AbortError'));
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

export function unary<Req, Res>(
  logger: Logger,
  method: string,
  fn: (request: Req, ctx: CallContext) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback) => {
    const { ctx, done } = contextFor(call, logger, method);
    fn(call.request, ctx).then(
      (res) => {
        done();
        callback(null, res);
      },
      (err: unknown) => {
        done();
        callback(toServiceError(err, ctx.logger) as ServiceError);
      },
    );
  };
}

export function serverStream<Req, Res>(
  logger: Logger,
  method: string,
  fn: (request: Req, ctx: CallContext) => AsyncIterable<Res>,
): handleServerStreamingCall<Req, Res> {
  return (call: ServerWritableStream<Req, Res>) => {
    const { ctx, done } = contextFor(call, logger, method);
    const run = async (): Promise<void> => {
      for await (const item of fn(call.request, ctx)) {
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
  };
}

export function clientStream<Req, Res>(
  logger: Logger,
  method: string,
  fn: (requests: AsyncIterable<Req>, ctx: CallContext) => Promise<Res>,
): handleClientStreamingCall<Req, Res> {
  return (call: ServerReadableStream<Req, Res>, callback) => {
    const { ctx, done } = contextFor(call, logger, method);
    fn(call as AsyncIterable<Req>, ctx).then(
      (res) => {
        done();
        callback(null, res);
      },
      (err: unknown) => {
        done();
        callback(toServiceError(err, ctx.logger) as ServiceError);
      },
    );
  };
}

export function bidiStream<Req, Res>(
  logger: Logger,
  method: string,
  fn: (requests: AsyncIterable<Req>, ctx: CallContext) => AsyncIterable<Res>,
): handleBidiStreamingCall<Req, Res> {
  return (call: ServerDuplexStream<Req, Res>) => {
    const { ctx, done } = contextFor(call, logger, method);
    const run = async (): Promise<void> => {
      for await (const item of fn(call as AsyncIterable<Req>, ctx)) {
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
  };
}

async function waitForDrain(stream: NodeJS.EventEmitter, signal: AbortSignal): Promise<void> {
  await once(stream, 'drain', { signal });
}
