/**
 * Stops a service process cleanly on SIGINT or SIGTERM: `stop` runs once (a second signal while it
 * runs is ignored), then the process exits 0 — or 1 when stopping failed.
 */
import type { Logger } from 'pino';

export function stopOnSignals(logger: Logger, service: string, stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, `${service} stopping`);
      stop().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, `${service} did not stop cleanly`);
          process.exit(1);
        },
      );
    });
  }
}
