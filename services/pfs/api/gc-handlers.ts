/**
 * gRPC handler of RunGC over the `GarbageCollector`: a second call while a collection runs waits
 * for it and reports its result (see gc.ts).
 *
 *   const server = { ...gcHandlers({ gc, logger }), … } satisfies PfsServer;
 */
import type { Logger } from 'pino';
import type { PfsServer } from '../../../proto/gen/terrain/pfs/v1/pfs.ts';
import { unary } from '../../platform/grpc-handlers.ts';
import type { GarbageCollector } from '../gc.ts';
import { durationToMs, gcReportToProto } from './convert-files.ts';

export interface GcHandlerDeps {
  gc: GarbageCollector;
  logger: Logger;
}

export type GcHandlers = Pick<PfsServer, 'runGc'>;

export function gcHandlers(deps: GcHandlerDeps): GcHandlers {
  const { gc, logger } = deps;
  return {
    runGc: unary(logger, 'RunGC', async (req, ctx) => {
      const graceMs = durationToMs(req.grace, 'grace');
      return gcReportToProto(
        await gc.run({
          ...(graceMs !== undefined ? { graceMs } : {}),
          dryRun: req.dryRun,
          signal: ctx.signal,
        }),
      );
    }),
  };
}
