/**
 * `terrain up`, `terrain down`, `terrain status`: the embedded single-machine cluster.
 *
 * `up` runs the cluster in this process (the composition root `services/cluster/start.ts`,
 * imported only here and only when `up` runs, so every other command works without it) until
 * Ctrl-C or SIGTERM, then stops it cleanly. `up --detach` starts the same command as a detached
 * child (`--detached-child`), logging to `<data-dir>/terrain.log`, waits until the cluster answers
 * health checks with SERVING, prints the endpoints and returns.
 *
 * Files in the data directory: `terrain.pid` (the running cluster's process; created exclusively so
 * two `up`s on one directory cannot both start), `terrain.json` (its endpoints, written once it
 * serves) and `terrain.log` (detached mode). The context file (see clients/ts/context.ts) points
 * later commands at the cluster.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Option, type Command } from 'commander';
import {
  CLUSTER_REQUIREMENTS,
  ensureSystemPackages,
  findBinary,
} from '../../services/platform/system-packages.ts';
import { GRPC_SERVICE_NAMES, SERVICES, type ServiceName } from '../ts/address.ts';
import { connect } from '../ts/client.ts';
import type { HealthStatus } from '../ts/health.ts';
import { cliErrors, type Cli } from './cli.ts';
import { parseDuration, relativeTime } from './format.ts';
import { terrainVersion } from './misc.ts';

/** The signature of `services/cluster/start.ts` (the lead's composition root). */
export interface ClusterOptions {
  dataDir: string;
  /** `local:DIR` or `s3://BUCKET?endpoint=URL`. */
  storage?: string;
  /** URL of an existing etcd; without it an embedded etcd runs under the data directory. */
  etcd?: string;
  /** Default 127.0.0.1:1650. */
  grpcAddress?: string;
  s3Address?: string;
  logLevel?: string;
  /** Progress lines for the user (installing etcd, …). */
  log?: (line: string) => void;
}

export interface RunningCluster {
  grpcAddress: string;
  s3Endpoint?: string;
  etcdEndpoint: string;
  storage: string;
  /** gRPC names of the services running in this process. */
  services?: string[];
  stop(): Promise<void>;
}

interface ClusterModule {
  startCluster(options: ClusterOptions): Promise<RunningCluster>;
}

/** What `terrain.json` and the context file record about a running cluster. */
export interface ClusterState {
  grpcAddress: string;
  s3Endpoint?: string;
  etcdEndpoint: string;
  storage: string;
  dataDir: string;
  pid: number;
  startedAt: string;
  version: string;
  services?: string[];
}

const MAIN_SCRIPT = fileURLToPath(new URL('./main.ts', import.meta.url));
const CLUSTER_MODULE = new URL('../../services/cluster/start.ts', import.meta.url).href;

export function defaultDataDir(env: Record<string, string | undefined>): string {
  return join(env['HOME'] || homedir(), '.terrain');
}

export function expandPath(path: string, env: Record<string, string | undefined>): string {
  const home = env['HOME'] || homedir();
  return resolve(path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path);
}

export const pidFile = (dataDir: string): string => join(dataDir, 'terrain.pid');
export const stateFile = (dataDir: string): string => join(dataDir, 'terrain.json');
export const logFile = (dataDir: string): string => join(dataDir, 'terrain.log');

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when `pid` runs the terrain CLI (so a recycled PID of an unrelated process is never
 * signalled). Where /proc is unavailable the PID is trusted.
 */
export function isTerrainProcess(pid: number): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.some((arg) => arg.endsWith('clients/cli/main.ts'));
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT' || !existsProc();
  }
}

function existsProc(): boolean {
  try {
    readFileSync('/proc/self/cmdline');
    return true;
  } catch {
    return false;
  }
}

/**
 * etcd processes whose `--data-dir` lies inside `dataDir` (the embedded etcd of a cluster that was
 * killed). Matched by exact argument, never by name alone; empty where /proc is unavailable.
 */
export function orphanedEtcds(dataDir: string): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return pids;
  }
  const inside = resolve(dataDir) + sep;
  for (const entry of entries) {
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (basename(args[0] ?? '') !== 'etcd') continue;
    const index = args.indexOf('--data-dir');
    const dir =
      index >= 0
        ? args[index + 1]
        : args.find((a) => a.startsWith('--data-dir='))?.slice('--data-dir='.length);
    if (dir !== undefined && resolve(dir).startsWith(inside)) pids.push(Number(entry));
  }
  return pids;
}

/** The PID recorded in the data directory when that process still runs terrain; else undefined. */
export function runningPid(dataDir: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(pidFile(dataDir), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return isAlive(pid) && isTerrainProcess(pid) ? pid : undefined;
}

function readState(dataDir: string): ClusterState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(dataDir), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

/** Claims the data directory for this process; throws when another cluster runs from it. */
function claimPidFile(dataDir: string): void {
  const path = pidFile(dataDir);
  try {
    writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const other = runningPid(dataDir);
  if (other !== undefined && other !== process.pid) {
    throw cliErrors.failedPrecondition(
      `a cluster is already running from ${dataDir} (pid ${other}); stop it with \`terrain down --data-dir ${dataDir}\``,
    );
  }
  writeFileSync(path, `${process.pid}\n`); // stale file from a cluster that died
}

function releaseFiles(dataDir: string): void {
  const pid = Number(readFileSafe(pidFile(dataDir)).trim());
  if (pid === process.pid) rmSync(pidFile(dataDir), { force: true });
  if (readState(dataDir)?.pid === process.pid) rmSync(stateFile(dataDir), { force: true });
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Makes sure an etcd binary exists (installing Debian's etcd-server as root), unless --etcd is given. */
function ensureEtcd(cli: Cli, etcdUrl: string | undefined): void {
  if (etcdUrl !== undefined) return;
  const configured = cli.io.env['TERRAIN_ETCD_BIN'];
  if ((configured && findBinary(configured)) || findBinary('etcd') || findBinary('/usr/bin/etcd')) return;
  ensureSystemPackages(CLUSTER_REQUIREMENTS, { log: (line) => cli.note(`terrain: ${line}`) });
}

/**
 * The composition root; `--cluster-module` (hidden) substitutes another module with the same
 * `startCluster` export, which the e2e suite uses to test up/down/status against a stub cluster.
 */
async function loadClusterModule(override: string | undefined): Promise<ClusterModule> {
  const specifier = override !== undefined ? pathToFileURL(resolve(override)).href : CLUSTER_MODULE;
  try {
    const module = (await import(specifier)) as Partial<ClusterModule>;
    if (typeof module.startCluster !== 'function')
      throw cliErrors.invalidArgument(`${specifier} does not export startCluster()`);
    return module as ClusterModule;
  } catch (err) {
    if (
      (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' &&
      override === undefined &&
      String((err as Error).message).includes('services/cluster/start.ts')
    ) {
      throw cliErrors.unimplemented(
        'this checkout has no cluster composition root (services/cluster/start.ts) yet',
      );
    }
    throw err;
  }
}

async function printEndpoints(cli: Cli, state: ClusterState, detached: boolean): Promise<void> {
  await cli.out.line(`Terrain ${state.version} is running (pid ${state.pid}, data in ${state.dataDir})`);
  await cli.out.fields([
    ['  gRPC', state.grpcAddress],
    ['  S3', state.s3Endpoint ?? '-'],
    ['  etcd', state.etcdEndpoint],
    ['  storage', state.storage],
    ...(state.services ? ([['  services', state.services.join(', ')]] as [string, string][]) : []),
  ]);
  await cli.out.line(
    detached
      ? `Logs in ${logFile(state.dataDir)}; stop it with \`terrain down\`.`
      : `Context written to ${cli.contextFile}. Press Ctrl-C to stop.`,
  );
}

interface UpOptions {
  dataDir?: string;
  storage?: string;
  etcd?: string;
  grpcAddress?: string;
  s3Address?: string;
  logLevel?: string;
  detach?: boolean;
  timeout?: string;
  detachedChild?: boolean;
  clusterModule?: string;
}

async function upForeground(cli: Cli, dataDir: string, opts: UpOptions): Promise<void> {
  ensureEtcd(cli, opts.etcd);
  claimPidFile(dataDir);
  try {
    const { startCluster } = await loadClusterModule(opts.clusterModule);
    const options: ClusterOptions = { dataDir, log: (line) => cli.note(`terrain: ${line}`) };
    if (opts.storage !== undefined) options.storage = opts.storage;
    if (opts.etcd !== undefined) options.etcd = opts.etcd;
    if (opts.grpcAddress !== undefined) options.grpcAddress = opts.grpcAddress;
    if (opts.s3Address !== undefined) options.s3Address = opts.s3Address;
    if (opts.logLevel !== undefined) options.logLevel = opts.logLevel;
    const cluster = await startCluster(options);
    try {
      const state: ClusterState = {
        grpcAddress: cluster.grpcAddress,
        etcdEndpoint: cluster.etcdEndpoint,
        storage: cluster.storage,
        dataDir,
        pid: process.pid,
        startedAt: new Date().toISOString(),
        version: terrainVersion(),
        ...(cluster.s3Endpoint !== undefined ? { s3Endpoint: cluster.s3Endpoint } : {}),
        ...(cluster.services !== undefined ? { services: cluster.services } : {}),
      };
      cli.updateContext({
        grpcAddress: state.grpcAddress,
        addresses: undefined,
        s3Endpoint: state.s3Endpoint,
        etcdEndpoint: state.etcdEndpoint,
        storage: state.storage,
        dataDir,
        pid: state.pid,
        startedAt: state.startedAt,
      });
      writeFileSync(stateFile(dataDir), JSON.stringify(state, null, 2) + '\n');
      await printEndpoints(cli, state, opts.detachedChild ?? false);
      if (!cli.signal.aborted) {
        await new Promise<void>((done) => cli.signal.addEventListener('abort', () => done(), { once: true }));
      }
      cli.note('terrain: stopping the cluster…');
    } finally {
      await cluster.stop();
    }
    cli.note('terrain: stopped');
  } finally {
    releaseFiles(dataDir);
  }
}

async function upDetached(cli: Cli, dataDir: string, opts: UpOptions, command: Command): Promise<void> {
  const timeoutMs = opts.timeout === undefined ? 120_000 : parseDuration(opts.timeout);
  if (timeoutMs === undefined)
    cli.usageError(command, `--timeout must be a duration like 2m, not ${opts.timeout}`);
  const running = runningPid(dataDir);
  if (running !== undefined) {
    throw cliErrors.failedPrecondition(
      `a cluster is already running from ${dataDir} (pid ${running}); stop it with \`terrain down --data-dir ${dataDir}\``,
    );
  }
  ensureEtcd(cli, opts.etcd); // here, so an install message or failure reaches the terminal
  const args = [MAIN_SCRIPT, 'up', '--data-dir', dataDir, '--detached-child'];
  const forward: [keyof UpOptions, string][] = [
    ['storage', '--storage'],
    ['etcd', '--etcd'],
    ['grpcAddress', '--grpc-address'],
    ['s3Address', '--s3-address'],
    ['logLevel', '--log-level'],
    ['clusterModule', '--cluster-module'],
  ];
  for (const [key, flag] of forward) {
    const value = opts[key];
    if (typeof value === 'string') args.push(flag, value);
  }
  const log = openSync(logFile(dataDir), 'a');
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  try {
    const child = spawn(process.execPath, [...process.execArgv, ...args], {
      detached: true,
      stdio: ['ignore', log, log],
      env: process.env,
    });
    child.on('exit', (code, signal) => (exited = { code, signal }));
    child.unref();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (cli.signal.aborted)
        throw cliErrors.cancelled(
          'interrupted while waiting for the cluster; it may still be starting (terrain status)',
        );
      if (exited) {
        const last = readFileSafe(logFile(dataDir)).trimEnd().split('\n').pop() ?? '';
        throw cliErrors.unavailable(
          `the cluster stopped during start-up (${exited.signal ?? `exit code ${exited.code}`})${last ? `: ${last.slice(0, 300)}` : ''}; see ${logFile(dataDir)}`,
        );
      }
      const state = readState(dataDir);
      if (state && state.pid === child.pid) {
        const client = connect(state.grpcAddress, { env: {}, context: null });
        try {
          if ((await client.health('', { timeoutMs: 2000 })) === 'SERVING') {
            await printEndpoints(cli, state, true);
            return;
          }
        } finally {
          client.close();
        }
      }
      await sleep(200);
    }
    throw cliErrors.deadlineExceeded(
      `the cluster did not become healthy within ${Math.round(timeoutMs / 1000)}s; see ${logFile(dataDir)} (it may still be starting: terrain status)`,
    );
  } finally {
    closeSync(log);
  }
}

async function down(cli: Cli, opts: { dataDir?: string; timeout?: string }, command: Command): Promise<void> {
  const timeoutMs = opts.timeout === undefined ? 30_000 : parseDuration(opts.timeout);
  if (timeoutMs === undefined)
    cli.usageError(command, `--timeout must be a duration like 30s, not ${opts.timeout}`);
  const context = cli.context();
  const dataDir = expandPath(opts.dataDir ?? context?.dataDir ?? defaultDataDir(cli.io.env), cli.io.env);
  const recorded = Number(readFileSafe(pidFile(dataDir)).trim());
  if (!Number.isInteger(recorded) || recorded <= 0) {
    cli.note(`terrain: no cluster is running from ${dataDir}`);
    return;
  }
  if (!isAlive(recorded)) {
    rmSync(pidFile(dataDir), { force: true });
    rmSync(stateFile(dataDir), { force: true });
    cli.note(`terrain: no cluster is running from ${dataDir} (removed a stale pid file)`);
    return;
  }
  if (!isTerrainProcess(recorded)) {
    throw cliErrors.failedPrecondition(
      `process ${recorded} named in ${pidFile(dataDir)} is not a Terrain cluster; delete that file if no cluster runs`,
    );
  }
  process.kill(recorded, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(recorded) && Date.now() < deadline) await sleep(100);
  if (isAlive(recorded)) {
    cli.note(`terrain: the cluster did not stop within ${Math.round(timeoutMs / 1000)}s; killing it`);
    process.kill(recorded, 'SIGKILL');
    const killDeadline = Date.now() + 5000;
    while (isAlive(recorded) && Date.now() < killDeadline) await sleep(50);
    // A killed cluster cannot stop its embedded etcd, which would keep the data directory locked.
    for (const pid of orphanedEtcds(dataDir)) {
      cli.note(`terrain: stopping the cluster's etcd (pid ${pid})`);
      process.kill(pid, 'SIGTERM');
    }
  }
  rmSync(pidFile(dataDir), { force: true });
  rmSync(stateFile(dataDir), { force: true });
  if (context?.dataDir === dataDir) cli.updateContext({ pid: undefined });
  cli.note(`terrain: stopped the cluster (pid ${recorded})`);
}

export interface StatusReport {
  grpcAddress: string;
  s3Endpoint?: string;
  etcdEndpoint?: string;
  etcd: 'healthy' | 'unhealthy' | 'unreachable' | 'unknown';
  storage?: string;
  dataDir?: string;
  pid?: number;
  running: boolean;
  startedAt?: string;
  version?: string;
  /** grpc.health.v1 of the whole process ("" service). */
  health: HealthStatus;
  services: Record<ServiceName, { name: string; address: string; status: HealthStatus }>;
}

async function etcdHealth(endpoint: string | undefined, signal: AbortSignal): Promise<StatusReport['etcd']> {
  if (!endpoint) return 'unknown';
  try {
    const url = `${endpoint.split(',')[0]?.replace(/\/+$/, '')}/health`;
    const response = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(3000)]) });
    const body = (await response.json()) as { health?: string };
    return body.health === 'true' ? 'healthy' : 'unhealthy';
  } catch {
    return 'unreachable';
  }
}

async function status(cli: Cli, opts: { json?: boolean }): Promise<void> {
  const context = cli.context();
  const client = cli.client();
  const signal = cli.signal;
  const [health, etcd, ...serviceHealth] = await Promise.all([
    client.health('', { signal, timeoutMs: 3000 }),
    etcdHealth(context?.etcdEndpoint, signal),
    ...SERVICES.map((s) => client.health(s, { signal, timeoutMs: 3000 })),
  ]);
  let version: string | undefined;
  if (health !== 'UNREACHABLE') {
    version = await client.version.getVersion({}, { signal, timeoutMs: 3000 }).then(
      (v) => v.version,
      () => undefined,
    );
  }
  const services = {} as StatusReport['services'];
  SERVICES.forEach((service, i) => {
    services[service] = {
      name: GRPC_SERVICE_NAMES[service],
      address: client.addresses[service].address,
      status: serviceHealth[i] ?? 'UNKNOWN',
    };
  });
  const report: StatusReport = {
    grpcAddress: client.addresses.main.address,
    etcd,
    running: health === 'SERVING',
    health,
    services,
    ...(context?.s3Endpoint ? { s3Endpoint: context.s3Endpoint } : {}),
    ...(context?.etcdEndpoint ? { etcdEndpoint: context.etcdEndpoint } : {}),
    ...(context?.storage ? { storage: context.storage } : {}),
    ...(context?.dataDir ? { dataDir: context.dataDir } : {}),
    ...(context?.pid ? { pid: context.pid } : {}),
    ...(context?.startedAt ? { startedAt: context.startedAt } : {}),
    ...(version ? { version } : {}),
  };
  if (opts.json) {
    await cli.out.json(report);
  } else {
    const started = report.startedAt ? ` (started ${relativeTime(new Date(report.startedAt))})` : '';
    await cli.out.fields([
      [
        'cluster',
        `${report.health.toLowerCase().replace('_', ' ')}${report.version ? `, Terrain ${report.version}` : ''}${started}`,
      ],
      ['gRPC', report.grpcAddress],
      ['S3', report.s3Endpoint ?? '-'],
      ['etcd', report.etcdEndpoint ? `${report.etcdEndpoint} (${etcd})` : '-'],
      ['storage', report.storage ?? '-'],
      ['data dir', report.dataDir ? `${report.dataDir}${report.pid ? ` (pid ${report.pid})` : ''}` : '-'],
      ...SERVICES.map((s): [string, string] => [
        s,
        `${services[s].status.toLowerCase().replace('_', ' ')} at ${services[s].address}`,
      ]),
    ]);
  }
  if (!report.running) {
    throw cliErrors.unavailable(
      `no cluster is serving at ${report.grpcAddress} (start one with \`terrain up\`)`,
    );
  }
}

export function registerClusterCommands(cli: Cli): void {
  cli.program
    .command('up')
    .description('run the whole cluster on this machine (etcd, every service, local storage) until Ctrl-C')
    .option('--data-dir <dir>', 'where etcd data, objects, logs and the pid file live (default ~/.terrain)')
    .option(
      '--storage <url>',
      'local:DIR or s3://BUCKET?endpoint=URL (default: local storage in the data dir)',
    )
    .option('--etcd <url>', 'use this existing etcd instead of starting one')
    .option('--grpc-address <host:port>', 'where the gRPC API listens (default 127.0.0.1:1650)')
    .option('--s3-address <host:port>', 'where the S3 gateway listens')
    .option('--log-level <level>', 'trace, debug, info, warn, error or silent')
    .option('-d, --detach', 'run in the background and return once the cluster is healthy')
    .option('--timeout <duration>', 'with --detach: how long to wait for health (default 2m)')
    .addOption(
      new Option('--detached-child', 'internal: the background process started by --detach').hideHelp(),
    )
    .addOption(
      new Option(
        '--cluster-module <path>',
        'internal (tests): a module to use instead of services/cluster/start.ts',
      ).hideHelp(),
    )
    .action(async (opts: UpOptions, command: Command) => {
      const dataDir = expandPath(opts.dataDir ?? defaultDataDir(cli.io.env), cli.io.env);
      mkdirSync(dataDir, { recursive: true });
      if (opts.detach && !opts.detachedChild) await upDetached(cli, dataDir, opts, command);
      else await upForeground(cli, dataDir, opts);
    });

  cli.program
    .command('down')
    .description(
      'stop the cluster started by `terrain up` (SIGTERM, then SIGKILL after --timeout); data is kept',
    )
    .option(
      '--data-dir <dir>',
      'the data directory of the cluster (default: from the context file, else ~/.terrain)',
    )
    .option('--timeout <duration>', 'how long to wait for a clean stop (default 30s)')
    .action(async (opts: { dataDir?: string; timeout?: string }, command: Command) =>
      down(cli, opts, command),
    );

  cli.program
    .command('status')
    .description(
      'show the endpoints, the health of each service, the storage and etcd (exit 1 when not serving)',
    )
    .option('--json', 'print one JSON object')
    .action(async (opts: { json?: boolean }) => status(cli, opts));
}
