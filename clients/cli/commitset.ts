/** `list|inspect|wait commitset`: every commit that shares one global ID. */
import { CommitInfo } from '../../proto/gen/terrain/pfs/v1/commit.ts';
import { CommitSetInfo } from '../../proto/gen/terrain/pfs/v1/commit_set.ts';
import type { Command } from 'commander';
import { isCommitId, parseRepoRef } from '../ts/refs.ts';
import { cliErrors, withJson, type Cli } from './cli.ts';
import { COMMIT_HEADERS, commitRow } from './commit.ts';
import { humanSize, parseDuration, relativeTime } from './format.ts';

function commitSetId(id: string): string {
  if (!isCommitId(id))
    throw cliErrors.invalidArgument(
      `invalid commit set ID ${JSON.stringify(id)}: expected 32 hex characters`,
    );
  return id.toLowerCase();
}

export function registerCommitSetCommands(cli: Cli): void {
  withJson(
    cli
      .verb('list')
      .command('commitset')
      .description('list commit sets (global IDs), newest first')
      .option('--repo <repo>', 'only commit sets with a commit in this repo')
      .option('-n, --number <n>', 'at most this many', (v) => Number(v)),
  ).action(async (opts: { repo?: string; number?: number; json?: boolean }, command: Command) => {
    if (opts.number !== undefined && (!Number.isInteger(opts.number) || opts.number < 0)) {
      cli.usageError(command, '--number must be a whole number');
    }
    const request = {
      number: opts.number ?? 0,
      ...(opts.repo !== undefined ? { repo: { name: parseRepoRef(opts.repo) } } : {}),
    };
    const now = new Date();
    await cli.printList(
      opts.json,
      cli.client().pfs.listCommitSet(request, { signal: cli.signal }),
      (info) => CommitSetInfo.toJSON(info),
      ['ID', 'COMMITS', 'PROGRESS', 'CREATED', 'SIZE'],
      (info) => {
        const finished = info.commits.filter((c) => c.finished !== undefined).length;
        const size = info.commits.reduce((sum, c) => sum + c.sizeBytes, 0n);
        return [
          info.commitSet?.id ?? '',
          String(info.commits.length),
          `${finished}/${info.commits.length} finished`,
          relativeTime(info.created, now),
          humanSize(size),
        ];
      },
    );
  });

  const streamCommits = async (
    id: string,
    wait: boolean,
    json: boolean | undefined,
    timeoutMs?: number,
  ): Promise<void> => {
    const now = new Date();
    await cli.printList(
      json,
      cli
        .client()
        .pfs.inspectCommitSet(
          { commitSet: { id: commitSetId(id) }, wait },
          { signal: cli.signal, timeoutMs },
        ),
      (info) => CommitInfo.toJSON(info),
      COMMIT_HEADERS,
      (info) => commitRow(info, now),
    );
  };

  withJson(
    cli
      .verb('inspect')
      .command('commitset')
      .description('list the commits of one global ID, inputs first')
      .argument('<id>', 'commit set ID'),
    'one JSON object per commit, one per line',
  ).action(async (id: string, opts: { json?: boolean }) => streamCommits(id, false, opts.json));

  withJson(
    cli
      .verb('wait')
      .command('commitset')
      .description('wait until every commit of a global ID is finished, printing each as it finishes')
      .argument('<id>', 'commit set ID')
      .option('--timeout <duration>', 'give up after this long (e.g. 30s, 5m)'),
    'one JSON object per commit, one per line',
  ).action(async (id: string, opts: { json?: boolean; timeout?: string }, command: Command) => {
    const timeoutMs = opts.timeout === undefined ? undefined : parseDuration(opts.timeout);
    if (opts.timeout !== undefined && timeoutMs === undefined)
      cli.usageError(command, `--timeout must be a duration like 30s, not ${opts.timeout}`);
    await streamCommits(id, true, opts.json, timeoutMs);
  });
}
