/**
 * The worker's own settings, read once in main.ts from `TERRAIN_WORKER_*` variables (set by the
 * launchers) or `--flag value` arguments (flags win). Platform settings (storage, log level) come
 * from platform/config.ts; pps and pfs addresses from TERRAIN_PPS_ADDRESS / TERRAIN_PFS_ADDRESS,
 * defaulting to the platform gRPC address.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workerErrors } from './errors.ts';

export interface WorkerSettings {
  pipeline: string;
  name: string;
  concurrency: number;
  scratchDir: string;
  isolation: 'auto' | 'namespace' | 'directory';
  /** Grace between SIGTERM of the worker and the forced abort of its datums. */
  graceMs: number;
  /** Exit when stdin closes: the launcher's pipe, so a worker never outlives its parent. */
  exitWithStdin: boolean;
  acquireWaitMs: number;
  maxDatums: number;
  ppsAddress: string | undefined;
  pfsAddress: string | undefined;
}

/** name → [env var, flag] */
const NAMES = {
  pipeline: ['TERRAIN_WORKER_PIPELINE', '--pipeline'],
  name: ['TERRAIN_WORKER_NAME', '--name'],
  concurrency: ['TERRAIN_WORKER_CONCURRENCY', '--concurrency'],
  scratchDir: ['TERRAIN_WORKER_SCRATCH_DIR', '--scratch-dir'],
  isolation: ['TERRAIN_WORKER_ISOLATION', '--isolation'],
  graceMs: ['TERRAIN_WORKER_GRACE_MS', '--grace-ms'],
  exitWithStdin: ['TERRAIN_WORKER_EXIT_WITH_STDIN', '--exit-with-stdin'],
  acquireWaitMs: ['TERRAIN_WORKER_ACQUIRE_WAIT_MS', '--acquire-wait-ms'],
  maxDatums: ['TERRAIN_WORKER_MAX_DATUMS', '--max-datums'],
  ppsAddress: ['TERRAIN_PPS_ADDRESS', '--pps-address'],
  pfsAddress: ['TERRAIN_PFS_ADDRESS', '--pfs-address'],
} as const satisfies Record<keyof WorkerSettings, readonly [string, string]>;

/** The TERRAIN_* names read here (pass to loadConfig's knownEnv). */
export const WORKER_ENV_NAMES: string[] = Object.values(NAMES).map(([env]) => env);

/** @throws INVALID_ARGUMENT naming the variable or flag that is missing or malformed. */
export function readWorkerSettings(env: NodeJS.ProcessEnv, argv: readonly string[]): WorkerSettings {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw workerErrors.invalidArgument(`unexpected argument ${JSON.stringify(a)}`);
    const eq = a.indexOf('=');
    if (eq > 0) flags.set(a.slice(0, eq), a.slice(eq + 1));
    else {
      const v = argv[i + 1];
      if (v === undefined) throw workerErrors.invalidArgument(`flag ${a} needs a value`);
      flags.set(a, v);
      i++;
    }
  }
  const known = new Set<string>(Object.values(NAMES).map(([, f]) => f));
  for (const f of flags.keys())
    if (!known.has(f))
      throw workerErrors.invalidArgument(`unknown flag ${f}; known: ${[...known].join(', ')}`);
  const get = (k: keyof WorkerSettings): { value: string | undefined; from: string } => {
    const [e, f] = NAMES[k];
    if (flags.has(f)) return { value: flags.get(f), from: f };
    return { value: env[e], from: e };
  };
  const int = (k: keyof WorkerSettings, dflt: number, min: number): number => {
    const { value, from } = get(k);
    if (value === undefined || value === '') return dflt;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min)
      throw workerErrors.invalidArgument(`${from}=${JSON.stringify(value)} must be an integer ≥ ${min}`);
    return n;
  };
  const pipeline = get('pipeline');
  if (!pipeline.value)
    throw workerErrors.invalidArgument('which pipeline? set TERRAIN_WORKER_PIPELINE or --pipeline');
  const iso = get('isolation');
  const isolation = iso.value || 'auto';
  if (isolation !== 'auto' && isolation !== 'namespace' && isolation !== 'directory') {
    throw workerErrors.invalidArgument(
      `${iso.from}=${JSON.stringify(isolation)} must be auto, namespace or directory`,
    );
  }
  const stdinFlag = get('exitWithStdin').value;
  return {
    pipeline: pipeline.value,
    name: get('name').value || `pid-${process.pid}`,
    concurrency: int('concurrency', 1, 1),
    scratchDir: get('scratchDir').value || join(tmpdir(), `terrain-worker-${process.pid}`),
    isolation,
    graceMs: int('graceMs', 10_000, 0),
    exitWithStdin: stdinFlag === '1' || stdinFlag === 'true',
    acquireWaitMs: int('acquireWaitMs', 10_000, 0),
    maxDatums: int('maxDatums', 0, 0),
    ppsAddress: get('ppsAddress').value || undefined,
    pfsAddress: get('pfsAddress').value || undefined,
  };
}
