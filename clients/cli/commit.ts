/**
 * `start|finish|list|inspect|wait|squash|delete|subscribe commit`. Start and finish join the active
 * transaction (see transaction.ts).
 */
import {
  CommitInfo,
  CommitOrigin,
  CommitState,
  commitOriginToJSON,
  commitStateToJSON,
  type FinishCommitRequest,
  type ListCommitRequest,
  type StartCommitRequest,
} from '../../proto/gen/terrain/pfs/v1/commit.ts';
import type { DeepPartial } from '../ts/rpc.ts';
import { formatCommit, parseBranchRef, parseRef, toBranch, toCommit, parseCommitRef } from '../ts/refs.ts';
import { headCommit } from './branch.ts';
import { cliErrors, withJson, type Cli } from './cli.ts';
import { humanDuration, humanSize, parseDuration, relativeTime, truncate } from './format.ts';
import { appendToTransaction } from './transaction.ts';
import type { Command } from 'commander';

export function commitStateLabel(info: CommitInfo): string {
  if (info.error) return 'failed';
  return commitStateToJSON(info.state)
    .replace(/^COMMIT_STATE_/, '')
    .toLowerCase();
}

export function commitOriginLabel(origin: CommitOrigin): string {
  return commitOriginToJSON(origin)
    .replace(/^COMMIT_ORIGIN_/, '')
    .toLowerCase();
}

function parseOrigin(cli: Cli, command: Command, value: string | undefined): CommitOrigin {
  switch (value) {
    case undefined:
      return CommitOrigin.UNSPECIFIED;
    case 'user':
      return CommitOrigin.USER;
    case 'auto':
      return CommitOrigin.AUTO;
    case 'alias':
      return CommitOrigin.ALIAS;
    default:
      return cli.usageError(command, `--origin must be user, auto or alias, not ${JSON.stringify(value)}`);
  }
}

/** Field rows shared by inspect and wait. */
export function commitFields(info: CommitInfo): [string, string][] {
  const rows: [string, string][] = [
    ['Commit', formatCommit(info.commit)],
    ['Branch', info.commit?.branch || '-'],
    ['Origin', commitOriginLabel(info.origin)],
    ['State', commitStateLabel(info)],
    ['Parent', info.parentCommit ? formatCommit(info.parentCommit) : '-'],
    ['Children', info.childCommits.map((c) => formatCommit(c)).join(', ') || '-'],
    ['Provenance', info.directProvenance.map((c) => formatCommit(c)).join(', ') || '-'],
    ['Started', info.started ? `${relativeTime(info.started)} (${info.started.toISOString()})` : '-'],
    ['Finished', info.finished ? `${relativeTime(info.finished)} (${info.finished.toISOString()})` : '-'],
  ];
  if (info.started && info.finished)
    rows.push(['Duration', humanDuration(info.finished.getTime() - info.started.getTime())]);
  rows.push(
    ['Size', humanSize(info.sizeBytes)],
    ['Files', info.fileCount.toString()],
    ['Description', info.description || '-'],
  );
  if (info.error) rows.push(['Error', info.error]);
  return rows;
}

export const COMMIT_HEADERS = [
  'REPO',
  'BRANCH',
  'COMMIT',
  'STATE',
  'STARTED',
  'SIZE',
  'ORIGIN',
  'DESCRIPTION',
];

export function commitRow(info: CommitInfo, now = new Date()): string[] {
  return [
    info.commit?.repo?.name ?? '',
    info.commit?.branch || '-',
    info.commit?.id ?? '',
    commitStateLabel(info),
    relativeTime(info.started, now),
    humanSize(info.sizeBytes),
    commitOriginLabel(info.origin),
    truncate(info.description, 40),
  ];
}

export function registerCommitCommands(cli: Cli): void {
  cli
    .verb('start')
    .command('commit')
    .description('open a commit on a branch; put file writes go into it until it is finished')
    .argument('<branch>', 'REPO@BRANCH (created when missing)')
    .option(
      '-p, --parent <commit>',
      'parent commit (default: the branch head): REPO@REF or a REF in the same repo',
    )
    .option('-m, --message <text>', 'description of the commit')
    .action(async (ref: string, opts: { parent?: string; message?: string }) => {
      const branch = parseBranchRef(ref);
      const request: DeepPartial<StartCommitRequest> = {
        branch: toBranch(branch),
        description: opts.message ?? '',
      };
      if (opts.parent !== undefined) request.parent = headCommit(branch.repo, opts.parent);
      const inTransaction = await appendToTransaction(cli, { op: { $case: 'startCommit', value: request } });
      if (inTransaction) {
        const commit =
          inTransaction.result?.$case === 'startCommit' ? inTransaction.result.value.commit : undefined;
        await cli.out.line(commit?.id ?? '');
        return;
      }
      const response = await cli.client().pfs.startCommit(request, { signal: cli.signal });
      await cli.out.line(response.commit?.id ?? '');
    });

  cli
    .verb('finish')
    .command('commit')
    .description('close a commit; it becomes an immutable snapshot once its writes are merged')
    .argument('<commit>', 'REPO@BRANCH or REPO@COMMIT_ID')
    .option('-m, --message <text>', 'replace the description')
    .option('--error <text>', 'finish the commit as failed, with this error')
    .option('-f, --force', 'finish even though some of its inputs are unfinished')
    .action(async (ref: string, opts: { message?: string; error?: string; force?: boolean }) => {
      const request: DeepPartial<FinishCommitRequest> = {
        commit: toCommit(parseCommitRef(ref)),
        description: opts.message ?? '',
        error: opts.error ?? '',
        force: opts.force ?? false,
      };
      if (await appendToTransaction(cli, { op: { $case: 'finishCommit', value: request } })) return;
      await cli.client().pfs.finishCommit(request, { signal: cli.signal });
    });

  withJson(
    cli
      .verb('list')
      .command('commit')
      .description("list a repo's commits (or a branch's history), newest first")
      .argument('<ref>', 'REPO, or REPO@BRANCH / REPO@COMMIT for the history that ends there')
      .option('-n, --number <n>', 'at most this many commits', (v) => Number(v))
      .option('--from <commit>', 'stop before this ancestor (REPO@REF or a REF in the same repo)')
      .option('--all', 'include alias commits')
      .option('--origin <origin>', 'only user, auto or alias commits')
      .option('--reverse', 'oldest first'),
  ).action(
    async (
      ref: string,
      opts: {
        number?: number;
        from?: string;
        all?: boolean;
        origin?: string;
        reverse?: boolean;
        json?: boolean;
      },
      command: Command,
    ) => {
      const parsed = parseRef(ref);
      if (parsed.path !== undefined)
        throw cliErrors.invalidArgument(`list commit takes a repo or commit, not a file: ${ref}`);
      if (opts.number !== undefined && (!Number.isInteger(opts.number) || opts.number < 0)) {
        cli.usageError(command, '--number must be a whole number');
      }
      const request: DeepPartial<ListCommitRequest> = {
        repo: { name: parsed.repo },
        number: opts.number ?? 0,
        all: opts.all ?? false,
        reverse: opts.reverse ?? false,
        origin: parseOrigin(cli, command, opts.origin),
      };
      if (parsed.branch !== undefined || parsed.id !== undefined) request.to = toCommit(parseCommitRef(ref));
      if (opts.from !== undefined) request.from = headCommit(parsed.repo, opts.from);
      const now = new Date();
      await cli.printList(
        opts.json,
        cli.client().pfs.listCommit(request, { signal: cli.signal }),
        (info) => CommitInfo.toJSON(info),
        COMMIT_HEADERS,
        (info) => commitRow(info, now),
      );
    },
  );

  withJson(
    cli
      .verb('inspect')
      .command('commit')
      .description('describe a commit')
      .argument('<commit>', 'REPO@BRANCH, REPO@COMMIT_ID, REPO@BRANCH^N'),
    'one JSON object',
  ).action(async (ref: string, opts: { json?: boolean }) => {
    const info = await cli
      .client()
      .pfs.inspectCommit({ commit: toCommit(parseCommitRef(ref)) }, { signal: cli.signal });
    await cli.printOne(opts.json, info, (i) => CommitInfo.toJSON(i), commitFields);
  });

  withJson(
    cli
      .verb('wait')
      .command('commit')
      .description(
        'wait until a commit is finished, then describe it (exit 1 when it finished with an error)',
      )
      .argument('<commit>', 'REPO@BRANCH or REPO@COMMIT_ID')
      .option('--timeout <duration>', 'give up after this long (e.g. 30s, 5m)'),
    'one JSON object',
  ).action(async (ref: string, opts: { json?: boolean; timeout?: string }, command: Command) => {
    const timeoutMs = opts.timeout === undefined ? undefined : parseDuration(opts.timeout);
    if (opts.timeout !== undefined && timeoutMs === undefined)
      cli.usageError(command, `--timeout must be a duration like 30s, not ${opts.timeout}`);
    const info = await cli
      .client()
      .pfs.inspectCommit(
        { commit: toCommit(parseCommitRef(ref)), wait: CommitState.FINISHED },
        { signal: cli.signal, timeoutMs },
      );
    await cli.printOne(opts.json, info, (i) => CommitInfo.toJSON(i), commitFields);
    if (info.error)
      throw cliErrors.failedPrecondition(
        `commit ${formatCommit(info.commit)} finished with an error: ${info.error}`,
      );
  });

  cli
    .verb('squash')
    .command('commit')
    .description('remove a commit from history, folding its changes into its children')
    .argument('<commit>', 'REPO@COMMIT_ID or REPO@BRANCH^N')
    .option('-r, --recursive', 'also squash the commits with the same ID downstream')
    .action(async (ref: string, opts: { recursive?: boolean }) => {
      const response = await cli
        .client()
        .pfs.squashCommit(
          { commit: toCommit(parseCommitRef(ref)), recursive: opts.recursive ?? false },
          { signal: cli.signal },
        );
      for (const commit of response.squashed) await cli.out.line(`squashed ${formatCommit(commit)}`);
    });

  cli
    .verb('delete')
    .command('commit')
    .description('delete a commit that has no children, with its data (the branch moves back to its parent)')
    .argument('<commit>', 'REPO@COMMIT_ID or REPO@BRANCH')
    .option('-r, --recursive', 'also delete the commits with the same ID downstream')
    .action(async (ref: string, opts: { recursive?: boolean }) => {
      const response = await cli
        .client()
        .pfs.dropCommit(
          { commit: toCommit(parseCommitRef(ref)), recursive: opts.recursive ?? false },
          { signal: cli.signal },
        );
      for (const commit of response.dropped) await cli.out.line(`deleted ${formatCommit(commit)}`);
    });

  withJson(
    cli
      .verb('subscribe', 'follow new commits as they appear')
      .command('commit')
      .description('print commits of a branch as they finish, until interrupted')
      .argument('<branch>', 'REPO@BRANCH (or REPO for every branch)')
      .option('--new', 'only commits started from now on'),
  ).action(async (ref: string, opts: { new?: boolean; json?: boolean }) => {
    const parsed = parseRef(ref);
    const client = cli.client();
    const request: Parameters<typeof client.pfs.subscribeCommit>[0] = {
      repo: { name: parsed.repo },
      branch: parsed.branch ?? '',
      state: CommitState.FINISHED,
    };
    if (opts.new && parsed.branch) {
      const head = await client.pfs.inspectBranch(
        { branch: { repo: { name: parsed.repo }, name: parsed.branch } },
        { signal: cli.signal },
      );
      if (head.head) request.from = head.head;
    }
    try {
      const now = new Date();
      for await (const info of client.pfs.subscribeCommit(request, { signal: cli.signal })) {
        if (opts.json) await cli.out.json(CommitInfo.toJSON(info));
        else await cli.out.line(commitRow(info, now).join('  '));
      }
    } catch (err) {
      if (cli.signal.aborted) return; // Ctrl-C is how a subscription ends
      throw err;
    }
  });
}
