/**
 * Proto ↔ domain conversion for repos, branches, commits and commit sets. Proto types stop here:
 * the domain (repos.ts, branches.ts, commits.ts) never sees them.
 */
import type { BranchInfo } from '../../../proto/gen/terrain/pfs/v1/branch.ts';
import type { CommitInfo } from '../../../proto/gen/terrain/pfs/v1/commit.ts';
import type { Branch, Commit } from '../../../proto/gen/terrain/pfs/v1/refs.ts';
import type { RepoInfo } from '../../../proto/gen/terrain/pfs/v1/repo.ts';
import type { BranchInfo as DomainBranchInfo } from '../branches.ts';
import { pfsErrors } from '../errors.ts';
import type { BranchRecord, CommitRecord, RepoRecord } from '../records.ts';

export function msToDate(ms: bigint): Date | undefined {
  return ms > 0n ? new Date(Number(ms)) : undefined;
}

export function repoNameFrom(repo: { name: string } | undefined): string {
  if (!repo?.name) throw pfsErrors.invalidArgument('repo name is missing');
  return repo.name;
}

export function branchFrom(branch: Branch | undefined): { repo: string; name: string } {
  const repo = branch?.repo?.name;
  if (!repo || !branch.name) throw pfsErrors.invalidArgument('branch needs a repo and a name');
  return { repo, name: branch.name };
}

export function toCommit(repo: string, id: string, branch = ''): Commit {
  return { repo: { name: repo }, id, branch, ancestors: 0 };
}

export function toCommitInfo(c: CommitRecord): CommitInfo {
  return {
    commit: toCommit(c.repo, c.id, c.branch),
    origin: c.origin,
    state: c.state,
    description: c.description,
    parentCommit: c.parent ? toCommit(c.repo, c.parent) : undefined,
    childCommits: [],
    directProvenance: c.directProvenance.map((p) => toCommit(p.repo, p.id)),
    started: msToDate(c.startedMs),
    finishing: msToDate(c.finishingMs),
    finished: msToDate(c.finishedMs),
    error: c.error,
    sizeBytes: c.sizeBytes,
    fileCount: c.fileCount,
  };
}

export function toRepoInfo(r: RepoRecord, branches: BranchRecord[] = [], sizeBytes = 0n): RepoInfo {
  return {
    repo: { name: r.name },
    type: r.type,
    description: r.description,
    created: msToDate(r.createdMs),
    branches: branches.map((b) => ({ repo: { name: b.repo }, name: b.name })),
    sizeBytes,
    pipeline: r.pipeline,
  };
}

const toBranch = (b: { repo: string; name: string }): Branch => ({ repo: { name: b.repo }, name: b.name });

export function toBranchInfo(b: BranchRecord | DomainBranchInfo): BranchInfo {
  const info = 'record' in b ? b : { record: b, provenance: [], subvenance: [] };
  return {
    branch: toBranch(info.record),
    head: info.record.head ? toCommit(info.record.repo, info.record.head, info.record.name) : undefined,
    directProvenance: info.record.directProvenance.map(toBranch),
    provenance: info.provenance.map(toBranch),
    subvenance: info.subvenance.map(toBranch),
  };
}
