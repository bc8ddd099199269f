/**
 * The worker sidecar: leases datum shards from pps, materializes inputs under /pfs, runs the
 * user's command, uploads /pfs/out as a file set tagged with the datum ID, and reports.
 *
 * @example
 * ```ts
 * import { connectWorkerClients, DatumRunner, detectIsolation, PfsCommitRoots, pfsRegisterFileSet, Worker } from './services/worker/index.ts';
 *
 * const clients = connectWorkerClients('127.0.0.1:1650', '127.0.0.1:1650');
 * const runner = new DatumRunner({
 *   storage,                                   // FileSetStorage over the pfs object store
 *   roots: new PfsCommitRoots(clients.pfs),
 *   registerFileSet: pfsRegisterFileSet(clients.pfs),
 *   scratchDir: '/tmp/terrain-worker',
 *   isolation: await detectIsolation('auto'),  // 'namespace' (private /pfs) or 'directory'
 *   baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
 * });
 * const worker = new Worker({ pipeline: 'edges', name: 'w0', concurrency: 2 }, { pps: clients.pps, runner, logger });
 * await worker.start();            // RUNNING
 * await worker.stop(10_000);       // DRAINING → (grace, then force) → STOPPED
 * ```
 * As a process: `node services/worker/main.ts --pipeline edges` (see worker-config.ts).
 */
export { Worker, type WorkerDeps, type WorkerOptions, type WorkerState } from './worker.ts';
export {
  DatumRunner,
  duration,
  durationMs,
  type DatumJob,
  type DatumLogSink,
  type DatumRunnerDeps,
  type RegisterFileSet,
} from './datum-runner.ts';
export {
  materializeInputs,
  filesUnder,
  inputCommit,
  matchedPath,
  type CommitRoots,
  type InputCommit,
  type MaterializeResult,
} from './input-materializer.ts';
export { collectOutputs, symlinkEscapeError, PFS_ROOT, type CollectResult } from './output-collector.ts';
export {
  detectIsolation,
  isolatedArgv,
  processWrapper,
  rewritePfsPath,
  type IsolationMode,
} from './isolation.ts';
export {
  runProcess,
  type ProcessOutcome,
  type RunProcessOptions,
  type OutputStream,
} from './process-runner.ts';
export { LogPusher, type LogLine, type LogPusherOptions } from './log-pusher.ts';
export { PfsCommitRoots, pfsRegisterFileSet, OUTPUT_HANDLE_TTL_MS } from './pfs-data-plane.ts';
export { connectWorkerClients, type PfsStub, type WorkerClients, type WorkerStub } from './rpc-clients.ts';
export { readWorkerSettings, WORKER_ENV_NAMES, type WorkerSettings } from './worker-config.ts';
export { workerErrors } from './errors.ts';
