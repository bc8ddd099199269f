/**
 * `terrain mount DIR`, `terrain unmount DIR`, `terrain commit-mount DIR`: repos as a filesystem
 * through FUSE (clients/mount, docs/design/mount.md).
 */
import { resolve } from 'node:path';
import { connect } from '../ts/index.ts';
import { forceUnmount, isMounted, runMountSession, sendControl } from '../mount/session.ts';
import { parseRepoSpec, type RepoSpec } from '../mount/mount-spec.ts';
import { cliErrors, type Cli } from './cli.ts';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerMountCommands(cli: Cli): void {
  cli.program
    .command('mount')
    .description('mount repos as directories under DIR (every repo at master, read-only, unless -r is given)')
    .argument('<dir>', 'the mount point (created when missing)')
    .option(
      '-r, --repos <spec>',
      'REPO, REPO@BRANCH, REPO@COMMIT or REPO@BRANCH+w (writable); repeatable',
      collect,
      [],
    )
    .option('--commit-on-close', "commit a repo's staged writes whenever a file written through it is closed")
    .option('--timeout <ms>', 'deadline of each pfs call; past it the file operation fails with EIO', '10000')
    .option('--cache-mib <n>', 'size of the local block cache', '64')
    .action(
      async (
        dir: string,
        opts: { repos: string[]; commitOnClose?: boolean; timeout: string; cacheMib: string },
      ) => {
        const specs: RepoSpec[] = opts.repos.map(parseRepoSpec);
        const timeoutMs = Number(opts.timeout);
        const cacheMib = Number(opts.cacheMib);
        if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
          throw cliErrors.invalidArgument(`--timeout ${opts.timeout}: give milliseconds > 0`);
        if (!Number.isFinite(cacheMib) || cacheMib < 1)
          throw cliErrors.invalidArgument(`--cache-mib ${opts.cacheMib}: give at least 1`);
        // Short reconnect backoff: a mount should serve again within seconds of the cluster's return.
        const client = connect(undefined, {
          env: cli.io.env,
          channelOptions: { 'grpc.initial_reconnect_backoff_ms': 500, 'grpc.max_reconnect_backoff_ms': 2000 },
        });
        let lines: string[];
        try {
          lines = await runMountSession(client, dir, {
            specs,
            contextFile: cli.contextFile,
            commitOnClose: opts.commitOnClose ?? false,
            timeoutMs,
            cacheBytes: cacheMib * 1024 * 1024,
            signal: cli.signal,
            log: (line) => cli.note(line),
          });
        } finally {
          client.close();
        }
        for (const line of lines) cli.note(line);
      },
    );

  cli.program
    .command('unmount')
    .description('commit staged writes and unmount DIR (also clears a mount left stale by a crash)')
    .argument('<dir>', 'the mount point')
    .action(async (dir: string) => {
      const reply = await sendControl(cli.contextFile, dir, 'unmount', 15 * 60_000);
      if (!reply) {
        if (!isMounted(dir)) throw cliErrors.notFound(`nothing is mounted at ${resolve(dir)}`);
        forceUnmount(dir);
        if (isMounted(dir))
          throw cliErrors.failedPrecondition(
            `could not unmount the stale mount at ${resolve(dir)}: try \`umount -l ${dir}\``,
          );
        cli.note(`cleaned up a stale mount at ${resolve(dir)}`);
        return;
      }
      for (const line of reply.lines) cli.note(line);
      if (!reply.ok)
        throw cliErrors.failedPrecondition(reply.error ?? 'staged changes could not be committed');
    });

  cli.program
    .command('commit-mount')
    .description('commit the staged writes of every writable repo mounted at DIR (one commit per repo)')
    .argument('<dir>', 'the mount point')
    .action(async (dir: string) => {
      const reply = await sendControl(cli.contextFile, dir, 'commit', 15 * 60_000);
      if (!reply) throw cliErrors.notFound(`no running \`terrain mount\` serves ${resolve(dir)}`);
      for (const line of reply.lines) cli.note(line);
      if (!reply.ok) throw cliErrors.failedPrecondition(reply.error ?? 'the commit failed');
    });
}
