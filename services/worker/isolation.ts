/**
 * How user code gets its `/pfs`.
 *
 * - `namespace`: the command runs in a private mount namespace (`unshare -m`) where the datum
 *   directory is bind-mounted at `/pfs`, so the code sees `/pfs/<input>` and `/pfs/out` at those
 *   literal paths even while other datums run on the same machine. Needs root (CAP_SYS_ADMIN) and
 *   util-linux `unshare`.
 * - `directory`: the fallback. The command sees the datum directory at its real path, announced as
 *   `PACH_PFS_DIR`; `<input name>` variables and `/pfs/...` prefixes of the command's arguments and
 *   working directory are rewritten to it. Code that builds `/pfs/...` paths itself will not find
 *   them (see docs/design/worker.md).
 */
import { mkdirSync } from 'node:fs';
import { runProcess } from './process-runner.ts';
import { PFS_ROOT } from './output-collector.ts';

export type IsolationMode = 'namespace' | 'directory';

/**
 * Picks the mode: `requested` 'namespace' or 'directory' is taken as is ('namespace' fails later,
 * per datum, where it does not work); 'auto' probes once whether `unshare -m` can bind-mount here.
 */
export async function detectIsolation(
  requested: 'auto' | IsolationMode,
  env: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
): Promise<IsolationMode> {
  if (requested !== 'auto') {
    if (requested === 'namespace') ensurePfsMountPoint();
    return requested;
  }
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'directory';
  try {
    ensurePfsMountPoint();
  } catch {
    return 'directory';
  }
  const probe = await runProcess({
    argv: [
      'unshare',
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      `mount --bind / ${PFS_ROOT} && test -d ${PFS_ROOT}/proc`,
    ],
    env,
    timeoutMs: 10_000,
  });
  return probe.exitCode === 0 ? 'namespace' : 'directory';
}

/** The host's /pfs must exist (empty) to serve as a mount point. */
function ensurePfsMountPoint(): void {
  mkdirSync(PFS_ROOT, { recursive: true });
}

/**
 * The argv that runs `cmd` in `mode` with `dir` as /pfs and `cwd` (as the user code names it) as its
 * working directory. In namespace mode the cd happens after the mount, so a working_dir under /pfs
 * works.
 */
export function isolatedArgv(
  mode: IsolationMode,
  cmd: readonly string[],
  dir: string,
  cwd: string | undefined,
): { argv: string[]; cwd: string | undefined } {
  if (mode === 'namespace') {
    const script = `mount --bind "$1" ${PFS_ROOT} || exit 127; shift; if [ -n "$1" ]; then cd "$1" || exit 127; fi; shift; exec "$@"`;
    return {
      argv: [
        'unshare',
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        script,
        'terrain-datum',
        dir,
        cwd ?? '',
        ...cmd,
      ],
      cwd: undefined,
    };
  }
  return {
    argv: cmd.map((a) => rewritePfsPath(a, dir)),
    cwd: cwd === undefined ? undefined : rewritePfsPath(cwd, dir),
  };
}

/** In directory mode: `/pfs` and `/pfs/...` (also inside an argument, e.g. `cp /pfs/in/* /pfs/out`) become the datum dir. */
export function rewritePfsPath(value: string, dir: string): string {
  return value.replace(/(^|[\s'"=:])\/pfs(?=$|[/\s'"])/g, (_m, pre: string) => `${pre}${dir}`);
}

/**
 * `setpriv --pdeathsig KILL` when util-linux setpriv is available on Linux: the user process (the
 * leader of its group) gets SIGKILL when the worker dies, even by SIGKILL. Processes it started
 * itself are not covered. Empty when unavailable.
 */
export async function processWrapper(
  env: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
): Promise<string[]> {
  if (process.platform !== 'linux') return [];
  const probe = await runProcess({
    argv: ['setpriv', '--pdeathsig', 'KILL', 'true'],
    env,
    timeoutMs: 10_000,
  });
  return probe.exitCode === 0 ? ['setpriv', '--pdeathsig', 'KILL'] : [];
}
