/**
 * Validated names and IDs. A value of a branded type was made by a validating constructor, so code
 * receiving one may assume it is well-formed (graveler's named ID types).
 */
import { randomBytes } from 'node:crypto';
import { pfsErrors } from './errors.ts';

export type RepoName = string & { readonly __brand: 'RepoName' };
export type BranchName = string & { readonly __brand: 'BranchName' };
export type CommitId = string & { readonly __brand: 'CommitId' };

/** Pachyderm's rule: letters, digits, `_` and `-`; we also bound the length. */
const NAME = /^[a-zA-Z0-9_-]{1,63}$/;
/** Branch names additionally allow `.` (but not `..`, and not a 32-hex string, which reads as an ID). */
const BRANCH = /^[a-zA-Z0-9_.-]{1,63}$/;
const COMMIT_ID = /^[0-9a-f]{32}$/;

export function repoName(value: string): RepoName {
  if (!NAME.test(value)) {
    throw pfsErrors.invalidArgument(
      `invalid repo name ${JSON.stringify(value)}: use 1-63 letters, digits, "_" or "-"`,
      { details: { repo: value } },
    );
  }
  return value as RepoName;
}

export function branchName(value: string): BranchName {
  if (!BRANCH.test(value) || value.includes('..') || COMMIT_ID.test(value)) {
    throw pfsErrors.invalidArgument(
      `invalid branch name ${JSON.stringify(value)}: use 1-63 letters, digits, ".", "_" or "-" (not a 32-hex ID)`,
      { details: { branch: value } },
    );
  }
  return value as BranchName;
}

export function commitId(value: string): CommitId {
  if (!COMMIT_ID.test(value)) {
    throw pfsErrors.invalidArgument(
      `invalid commit ID ${JSON.stringify(value)}: expected 32 lowercase hex characters`,
      {
        details: { commit: value },
      },
    );
  }
  return value as CommitId;
}

export function isCommitId(value: string): boolean {
  return COMMIT_ID.test(value);
}

/** A fresh global ID (commit-set ID). */
export function newCommitId(): CommitId {
  return randomBytes(16).toString('hex') as CommitId;
}

export const DEFAULT_BRANCH = 'master' as BranchName;
