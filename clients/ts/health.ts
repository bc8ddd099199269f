/**
 * grpc.health.v1 checks, as `terrain status` and `terrain up --detach` use them.
 *
 * `checkHealth` never throws for the answers a health check can give: a service the process does
 * not serve is `NOT_SERVED` (the server says NOT_FOUND), a process that cannot be reached is
 * `UNREACHABLE`. Other failures (a bad address) throw.
 */
import type { Client } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { isErrorCode } from '../../services/platform/errors.ts';
import { convertError, type MethodDefinition, type RpcOptions } from './rpc.ts';

export type HealthStatus = 'SERVING' | 'NOT_SERVING' | 'UNKNOWN' | 'NOT_SERVED' | 'UNREACHABLE';

const check = healthService['Check'] as unknown as MethodDefinition;

/** Asks `channel` for the health of `service` ("" = the whole process). */
export function checkHealth(
  channel: Client,
  address: string,
  service: string,
  options: RpcOptions = {},
): Promise<HealthStatus> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => call.cancel();
    const call = channel.makeUnaryRequest(
      check.path,
      check.requestSerialize as (value: unknown) => Buffer,
      check.responseDeserialize as (value: Buffer) => { status?: string },
      { service },
      { deadline: new Date(Date.now() + (options.timeoutMs ?? 5000)) },
      (err, response) => {
        options.signal?.removeEventListener('abort', onAbort);
        if (!err) {
          const status = response?.status;
          resolve(status === 'SERVING' || status === 'NOT_SERVING' ? status : 'UNKNOWN');
          return;
        }
        const converted = convertError(err, { channel, service: 'health', address });
        if (isErrorCode(converted, 'not_found')) resolve('NOT_SERVED');
        else if (isErrorCode(converted, 'unavailable') || isErrorCode(converted, 'deadline_exceeded'))
          resolve('UNREACHABLE');
        else reject(converted);
      },
    );
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
