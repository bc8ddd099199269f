/**
 * Walking a spec's input tree: its leaves (pfs and cron inputs) with their JSON paths, and the input
 * branches a pipeline's output branch has provenance on. Pure functions over validated specs.
 */
import type { BranchName, RepoName } from '../../pfs/names.ts';
import {
  CRON_BRANCH,
  inputChildren,
  inputKind,
  type CronInputSpec,
  type InputSpec,
  type PfsInputSpec,
} from './types.ts';

export type InputLeaf =
  | { kind: 'pfs'; path: string; input: PfsInputSpec; repo: RepoName; branch: BranchName }
  | { kind: 'cron'; path: string; input: CronInputSpec; repo: RepoName; branch: BranchName };

/** Every pfs and cron input in tree order, with the JSON path of its node (`input.cross[1].pfs`). */
export function* inputLeaves(input: InputSpec, path = 'input'): Generator<InputLeaf> {
  if ('pfs' in input) {
    yield {
      kind: 'pfs',
      path: `${path}.pfs`,
      input: input.pfs,
      repo: input.pfs.repo,
      branch: input.pfs.branch,
    };
    return;
  }
  if ('cron' in input) {
    yield {
      kind: 'cron',
      path: `${path}.cron`,
      input: input.cron,
      repo: input.cron.repo,
      branch: CRON_BRANCH,
    };
    return;
  }
  const kind = inputKind(input);
  const children = inputChildren(input);
  for (let i = 0; i < children.length; i++) yield* inputLeaves(children[i]!, `${path}.${kind}[${i}]`);
}

/** The distinct input branches (repo, branch), sorted by repo then branch. */
export function inputBranches(input: InputSpec): { repo: RepoName; branch: BranchName }[] {
  const seen = new Map<string, { repo: RepoName; branch: BranchName }>();
  for (const leaf of inputLeaves(input))
    seen.set(`${leaf.repo}@${leaf.branch}`, { repo: leaf.repo, branch: leaf.branch });
  return [...seen.values()].sort((a, b) =>
    a.repo === b.repo ? cmp(a.branch, b.branch) : cmp(a.repo, b.repo),
  );
}

/** The distinct input repos, sorted. */
export function inputRepos(input: InputSpec): RepoName[] {
  return [...new Set(inputBranches(input).map((b) => b.repo))];
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
