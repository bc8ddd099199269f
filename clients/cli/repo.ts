/** `create|list|inspect|delete repo`. */
import { RepoInfo, RepoType, repoTypeToJSON } from '../../proto/gen/terrain/pfs/v1/repo.ts';
import { formatBranch, parseRepoName, parseRepoRef } from '../ts/refs.ts';
import { withJson, type Cli } from './cli.ts';
import { humanSize, relativeTime, truncate } from './format.ts';

export function repoTypeLabel(type: RepoType): string {
  return repoTypeToJSON(type)
    .replace(/^REPO_TYPE_/, '')
    .toLowerCase();
}

export function registerRepoCommands(cli: Cli): void {
  cli
    .verb('create')
    .command('repo')
    .description('create a repo (no branch exists until the first commit or `create branch`)')
    .argument('<name>', 'repo name: 1-63 letters, digits, "_" or "-"')
    .option('-d, --description <text>', 'free text shown by list and inspect', '')
    .option('-u, --update', 'update the description when the repo exists instead of failing')
    .action(async (name: string, opts: { description: string; update?: boolean }) => {
      await cli.client().pfs.createRepo(
        {
          repo: { name: parseRepoName(name) },
          description: opts.description,
          update: opts.update ?? false,
        },
        { signal: cli.signal },
      );
    });

  withJson(
    cli
      .verb('list')
      .command('repo')
      .description('list repos, sorted by name')
      .option('--type <type>', 'only "user" or "pipeline" repos'),
  ).action(async (opts: { type?: string; json?: boolean }, command) => {
    let type: RepoType = RepoType.UNSPECIFIED;
    if (opts.type === 'user') type = RepoType.USER;
    else if (opts.type === 'pipeline') type = RepoType.PIPELINE;
    else if (opts.type !== undefined)
      cli.usageError(command, `--type must be "user" or "pipeline", not ${JSON.stringify(opts.type)}`);
    const now = new Date();
    await cli.printList(
      opts.json,
      cli.client().pfs.listRepo({ type }, { signal: cli.signal }),
      (info) => RepoInfo.toJSON(info),
      ['NAME', 'CREATED', 'SIZE (MASTER)', 'DESCRIPTION'],
      (info) => [
        info.repo?.name ?? '',
        relativeTime(info.created, now),
        humanSize(info.sizeBytes),
        truncate(info.description, 60),
      ],
    );
  });

  withJson(
    cli.verb('inspect').command('repo').description('describe a repo').argument('<repo>', 'repo name'),
    'one JSON object',
  ).action(async (repo: string, opts: { json?: boolean }) => {
    const info = await cli
      .client()
      .pfs.inspectRepo({ repo: { name: parseRepoRef(repo) } }, { signal: cli.signal });
    await cli.printOne(
      opts.json,
      info,
      (i) => RepoInfo.toJSON(i),
      (i) => [
        ['Name', i.repo?.name ?? ''],
        ['Type', repoTypeLabel(i.type)],
        ...(i.pipeline ? ([['Pipeline', i.pipeline]] as [string, string][]) : []),
        ['Description', i.description || '-'],
        ['Created', i.created ? `${relativeTime(i.created)} (${i.created.toISOString()})` : '-'],
        ['Size of master', humanSize(i.sizeBytes)],
        ['Branches', i.branches.map((b) => formatBranch(b).replace(/^[^@]*@/, '')).join(', ') || '-'],
      ],
    );
  });

  cli
    .verb('delete')
    .command('repo')
    .description('delete a repo with all its branches, commits and files')
    .argument('<repo>', 'repo name')
    .option('-f, --force', 'delete even when other repos have provenance on it')
    .action(async (repo: string, opts: { force?: boolean }) => {
      await cli
        .client()
        .pfs.deleteRepo(
          { repo: { name: parseRepoRef(repo) }, force: opts.force ?? false },
          { signal: cli.signal },
        );
    });
}
