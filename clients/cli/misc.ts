/** `gc` and `version`. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { GetVersionResponse } from '../../proto/gen/terrain/common/v1/version.ts';
import { RunGCResponse } from '../../proto/gen/terrain/pfs/v1/gc.ts';
import { withJson, type Cli } from './cli.ts';
import { humanDuration, humanSize, parseDuration } from './format.ts';

let cachedVersion: string | undefined;

/** Terrain's version, from package.json. */
export function terrainVersion(): string {
  if (cachedVersion === undefined) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    cachedVersion = pkg.version ?? 'unknown';
  }
  return cachedVersion;
}

export function registerMiscCommands(cli: Cli): void {
  withJson(
    cli.program
      .command('gc')
      .description('collect garbage now: delete stored objects no commit, open write or handle refers to')
      .option(
        '--grace <duration>',
        'never delete objects younger than this (default: the server setting, 1h)',
      )
      .option('--dry-run', 'report what would be deleted without deleting'),
    'the result as one JSON object',
  ).action(async (opts: { grace?: string; dryRun?: boolean; json?: boolean }, command: Command) => {
    let grace: { seconds: bigint; nanos: number } | undefined;
    if (opts.grace !== undefined) {
      const ms = parseDuration(opts.grace);
      if (ms === undefined)
        cli.usageError(
          command,
          `--grace must be a duration like 10m or 1h, not ${JSON.stringify(opts.grace)}`,
        );
      grace = { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
    }
    const result = await cli
      .client()
      .pfs.runGc({ dryRun: opts.dryRun ?? false, ...(grace ? { grace } : {}) }, { signal: cli.signal });
    const ms = result.duration ? Number(result.duration.seconds) * 1000 + result.duration.nanos / 1e6 : NaN;
    await cli.printOne(
      opts.json,
      result,
      (r) => RunGCResponse.toJSON(r),
      (r) => [
        ['Objects scanned', r.objectsScanned.toString()],
        ['Objects reachable', r.objectsReachable.toString()],
        [opts.dryRun ? 'Objects to delete' : 'Objects deleted', r.objectsDeleted.toString()],
        [opts.dryRun ? 'Bytes to free' : 'Bytes freed', humanSize(r.bytesFreed)],
        ['Duration', humanDuration(ms)],
      ],
    );
  });

  withJson(
    cli.program
      .command('version')
      .description("print the CLI's version and the cluster's")
      .option('--client-only', 'do not contact the cluster'),
    'one JSON object',
  ).action(async (opts: { clientOnly?: boolean; json?: boolean }) => {
    const client = { version: terrainVersion(), nodeVersion: process.version };
    if (opts.clientOnly) {
      if (opts.json) await cli.out.json({ client });
      else await cli.out.fields([['client', client.version]]);
      return;
    }
    let server: GetVersionResponse;
    try {
      server = await cli.client().version.getVersion({}, { signal: cli.signal, timeoutMs: 10_000 });
    } catch (err) {
      // Still say what the CLI is, then fail on the unreachable server.
      if (opts.json) await cli.out.json({ client });
      else await cli.out.fields([['client', client.version]]);
      throw err;
    }
    if (opts.json) {
      await cli.out.json({
        client,
        server: GetVersionResponse.toJSON(server),
        address: cli.client().addresses.main.address,
      });
      return;
    }
    await cli.out.fields([
      ['client', client.version],
      [
        'cluster',
        `${server.version}${server.gitCommit ? ` (${server.gitCommit.slice(0, 12)})` : ''} on Node ${server.nodeVersion}`,
      ],
      ['address', cli.client().addresses.main.address],
      ['services', server.services.join(', ') || '-'],
    ]);
  });
}
