/** `create|list|inspect|delete branch`; create and delete join the active transaction. */
import { BranchInfo, type CreateBranchRequest } from '../../proto/gen/terrain/pfs/v1/branch.ts';
import type { Commit } from '../../proto/gen/terrain/pfs/v1/refs.ts';
import type { DeepPartial } from '../ts/rpc.ts';
import {
  formatBranch,
  formatCommit,
  parseBranchRef,
  parseCommitRef,
  parseRepoRef,
  toBranch,
  toCommit,
} from '../ts/refs.ts';
import { withJson, type Cli } from './cli.ts';
import { appendToTransaction } from './transaction.ts';

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--head` may name a commit in the branch's repo without repeating the repo: `--head master^1`. */
export function headCommit(repo: string, head: string): DeepPartial<Commit> {
  const ref = head.includes('@') ? head : `${repo}@${head}`;
  return toCommit(parseCommitRef(ref));
}

export function registerBranchCommands(cli: Cli): void {
  cli
    .verb('create')
    .command('branch')
    .description('create a branch, or move its head / change its provenance')
    .argument('<branch>', 'REPO@BRANCH')
    .option('--head <commit>', 'the commit the branch points at: REPO@REF or just a REF in the same repo')
    .option(
      '-p, --provenance <branch>',
      'a REPO@BRANCH this branch is computed from (repeatable)',
      collect,
      [],
    )
    .action(async (ref: string, opts: { head?: string; provenance: string[] }) => {
      const branch = parseBranchRef(ref);
      const request: DeepPartial<CreateBranchRequest> = {
        branch: toBranch(branch),
        provenance: opts.provenance.map((p) => toBranch(parseBranchRef(p))),
      };
      if (opts.head !== undefined) request.head = headCommit(branch.repo, opts.head);
      if (await appendToTransaction(cli, { op: { $case: 'createBranch', value: request } })) return;
      await cli.client().pfs.createBranch(request, { signal: cli.signal });
    });

  withJson(
    cli
      .verb('list')
      .command('branch')
      .description('list the branches of a repo (or of every repo)')
      .argument('[repo]', 'repo name'),
  ).action(async (repo: string | undefined, opts: { json?: boolean }) => {
    const request = repo === undefined ? {} : { repo: { name: parseRepoRef(repo) } };
    await cli.printList(
      opts.json,
      cli.client().pfs.listBranch(request, { signal: cli.signal }),
      (info) => BranchInfo.toJSON(info),
      ['BRANCH', 'HEAD', 'PROVENANCE'],
      (info) => [
        formatBranch(info.branch),
        info.head?.id || '-',
        info.directProvenance.map((b) => formatBranch(b)).join(', ') || '-',
      ],
    );
  });

  withJson(
    cli
      .verb('inspect')
      .command('branch')
      .description('describe a branch')
      .argument('<branch>', 'REPO@BRANCH'),
    'one JSON object',
  ).action(async (ref: string, opts: { json?: boolean }) => {
    const info = await cli
      .client()
      .pfs.inspectBranch({ branch: toBranch(parseBranchRef(ref)) }, { signal: cli.signal });
    const list = (branches: typeof info.provenance): string =>
      branches.map((b) => formatBranch(b)).join(', ') || '-';
    await cli.printOne(
      opts.json,
      info,
      (i) => BranchInfo.toJSON(i),
      (i) => [
        ['Branch', formatBranch(i.branch)],
        ['Head', i.head ? formatCommit(i.head) : '-'],
        ['Direct provenance', list(i.directProvenance)],
        ['Provenance', list(i.provenance)],
        ['Subvenance', list(i.subvenance)],
      ],
    );
  });

  cli
    .verb('delete')
    .command('branch')
    .description('delete a branch (its commits stay reachable by ID)')
    .argument('<branch>', 'REPO@BRANCH')
    .option('-f, --force', 'delete even when other branches have provenance on it')
    .action(async (ref: string, opts: { force?: boolean }) => {
      const request = { branch: toBranch(parseBranchRef(ref)), force: opts.force ?? false };
      if (await appendToTransaction(cli, { op: { $case: 'deleteBranch', value: request } })) return;
      await cli.client().pfs.deleteBranch(request, { signal: cli.signal });
    });
}
