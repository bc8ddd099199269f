// The worker sidecar as a process: `node services/worker/main.ts --pipeline edges` (or the
// TERRAIN_WORKER_* variables a launcher sets; see worker-config.ts). Exits 0 when drained or
// stopped (SIGTERM/SIGINT: grace, then force), 1 when it failed, and at once when stdin closes
// under TERRAIN_WORKER_EXIT_WITH_STDIN=1 (its launcher died).
import { mkdir, rm } from 'node:fs/promises';
import { expandHome, loadConfig } from '../platform/config.ts';
import { createLogger } from '../platform/logging.ts';
import { openObjectStore } from '../platform/object-store/open.ts';
import { FileSetStorage } from '../pfs/storage/index.ts';
import { DatumRunner } from './datum-runner.ts';
import { detectIsolation, processWrapper } from './isolation.ts';
import { PfsCommitRoots, pfsRegisterFileSet } from './pfs-data-plane.ts';
import { connectWorkerClients } from './rpc-clients.ts';
import { readWorkerSettings, WORKER_ENV_NAMES } from './worker-config.ts';
import { Worker } from './worker.ts';

const config = loadConfig({ knownEnv: WORKER_ENV_NAMES });
const settings = readWorkerSettings(process.env, process.argv.slice(2));
const logger = createLogger({ level: config.logLevel });
const objects = await openObjectStore(expandHome(config.storage));
const storage = new FileSetStorage(objects);
const clients = connectWorkerClients(
  settings.ppsAddress ?? config.grpcAddress,
  settings.pfsAddress ?? settings.ppsAddress ?? config.grpcAddress,
);
await mkdir(settings.scratchDir, { recursive: true });
const isolation = await detectIsolation(settings.isolation);
logger.info({ isolation, scratchDir: settings.scratchDir }, 'worker isolation');

// The user code inherits only a minimal environment, not the worker's secrets (AWS_* keys).
const baseEnv: Record<string, string> = {};
for (const k of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR']) {
  const v = process.env[k];
  if (v !== undefined) baseEnv[k] = v;
}
const runner = new DatumRunner({
  storage,
  roots: new PfsCommitRoots(clients.pfs),
  registerFileSet: pfsRegisterFileSet(clients.pfs),
  scratchDir: settings.scratchDir,
  isolation,
  baseEnv,
  maxProcesses: settings.concurrency,
  wrapper: await processWrapper(),
});
const worker = new Worker(
  {
    pipeline: settings.pipeline,
    name: settings.name,
    concurrency: settings.concurrency,
    acquireWaitMs: settings.acquireWaitMs,
    maxDatums: settings.maxDatums,
  },
  { pps: clients.pps, runner, logger },
);

let exiting: Promise<void> | undefined;
async function exit(graceMs: number): Promise<never> {
  // Every caller waits for the one shutdown (signal, stdin closing and the end of work may race).
  exiting ??= (async () => {
    await worker.stop(graceMs);
    clients.close();
    await rm(settings.scratchDir, { recursive: true, force: true }).catch(() => undefined);
  })();
  await exiting;
  process.exit(worker.state === 'FAILED' ? 1 : 0);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    logger.info({ signal }, 'worker stopping');
    void exit(settings.graceMs);
  });
}
if (settings.exitWithStdin) {
  process.stdin.on('close', () => void exit(0));
  process.stdin.on('end', () => void exit(0));
  process.stdin.resume();
}

try {
  await worker.start();
} catch (err) {
  logger.error({ err }, 'worker could not start');
  await exit(0);
}
await worker.done();
await exit(settings.graceMs);
