/**
 * Parsing of pachctl-style references into structured refs, and their conversion to the proto
 * messages the Pfs service takes.
 *
 *   repo                  a repo (or, where a commit is expected, its default branch's head)
 *   repo@branch           the head of a branch
 *   repo@0123…cdef        a commit by its global ID (32 hex characters)
 *   repo@branch=0123…cdef a commit by ID, disambiguated by branch
 *   repo@branch^2         two parents back; `^`, `^^`, `~`, `~3` and combinations add up
 *   repo@ref:/path        a file or directory in that commit (the leading "/" is optional)
 *
 * Everything here is pure and synchronous. Malformed input throws a `TerrainError` with code
 * `invalid_argument` whose message quotes the whole ref and says what form was expected; the
 * server validates again, so this is about clear messages, not about trust.
 */
import type { Branch, Commit, File, Repo } from '../../proto/gen/terrain/pfs/v1/refs.ts';
import { clientErrors } from './errors.ts';

/** The branch pachctl (and Terrain) use when a ref names no branch. */
export const DEFAULT_BRANCH = 'master';

/** Repo and branch names: 1..63 of [a-zA-Z0-9_-], not starting with "-" (as the server checks). */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$/;
const COMMIT_ID = /^[0-9a-fA-F]{32}$/;
const MAX_PATH_BYTES = 4096;
const MAX_ANCESTORS = 0xffff_ffff; // uint32 on the wire

export interface BranchRef {
  repo: string;
  branch: string;
}

/**
 * A commit: by `id`, by `branch` head, or both (the branch disambiguates the ID); then `ancestors`
 * parents back. At least one of `id` and `branch` is set.
 */
export interface CommitRef {
  repo: string;
  branch?: string;
  id?: string;
  ancestors: number;
}

/** A path in a commit. `path` is absolute and normalized; a trailing "/" (a directory) is kept. */
export interface FileRef {
  commit: CommitRef;
  path: string;
}

/** What a ref string contains before the caller decides what it must be. */
export interface ParsedRef {
  repo: string;
  branch?: string;
  id?: string;
  ancestors: number;
  /** Set when the ref had a `:path` part. */
  path?: string;
}

export interface RefDefaults {
  /** Branch to use when the ref names neither a branch nor an ID; without it such refs are refused. */
  defaultBranch?: string;
}

const FORMS = 'REPO, REPO@BRANCH, REPO@COMMIT_ID or REPO@BRANCH^N, optionally followed by :/PATH';

function invalid(ref: string, why: string, expected = FORMS): never {
  throw clientErrors.invalidArgument(`invalid ref ${JSON.stringify(ref)}: ${why}; expected ${expected}`, {
    details: { ref },
  });
}

export function isCommitId(value: string): boolean {
  return COMMIT_ID.test(value);
}

export function isValidName(value: string): boolean {
  return NAME.test(value);
}

/** Validates a repo name on its own (`terrain create repo NAME`). */
export function parseRepoName(value: string): string {
  if (!NAME.test(value)) {
    throw clientErrors.invalidArgument(
      `invalid repo name ${JSON.stringify(value)}: use 1-63 letters, digits, "_" or "-", not starting with "-"`,
      { details: { repo: value } },
    );
  }
  return value;
}

/** Parses any ref form; the typed parsers below narrow it. */
export function parseRef(ref: string): ParsedRef {
  if (ref === '') invalid(ref, 'it is empty');
  const colon = ref.indexOf(':');
  const head = colon === -1 ? ref : ref.slice(0, colon);
  const path = colon === -1 ? undefined : normalizePath(ref.slice(colon + 1), ref);
  const at = head.indexOf('@');
  const repo = at === -1 ? head : head.slice(0, at);
  if (repo === '') invalid(ref, 'the repo name is missing');
  if (!NAME.test(repo)) {
    invalid(
      ref,
      `repo name ${JSON.stringify(repo)} must be 1-63 letters, digits, "_" or "-", not starting with "-"`,
    );
  }
  const parsed: ParsedRef = { repo, ancestors: 0 };
  if (path !== undefined) parsed.path = path;
  if (at === -1) return parsed;

  const commitish = head.slice(at + 1);
  if (commitish === '') invalid(ref, 'nothing follows "@"');
  const match = /^([^\^~=]+)(?:=([^\^~]+))?((?:[\^~]\d*)*)$/.exec(commitish);
  if (!match) invalid(ref, `cannot read ${JSON.stringify(commitish)} as a branch or commit`);
  const [, base = '', explicitId, ancestry = ''] = match;
  if (explicitId !== undefined) {
    if (!NAME.test(base)) invalid(ref, `branch name ${JSON.stringify(base)} is invalid`);
    if (!COMMIT_ID.test(explicitId))
      invalid(ref, `${JSON.stringify(explicitId)} is not a 32-character hex commit ID`);
    parsed.branch = base;
    parsed.id = explicitId.toLowerCase();
  } else if (COMMIT_ID.test(base)) {
    parsed.id = base.toLowerCase();
  } else if (NAME.test(base)) {
    parsed.branch = base;
  } else {
    invalid(
      ref,
      `${JSON.stringify(base)} is neither a branch name (1-63 letters, digits, "_", "-") nor a 32-character hex commit ID`,
    );
  }
  parsed.ancestors = countAncestors(ancestry, ref);
  return parsed;
}

function countAncestors(ancestry: string, ref: string): number {
  let total = 0;
  for (const step of ancestry.match(/[\^~]\d*/g) ?? []) {
    const digits = step.slice(1);
    total += digits === '' ? 1 : Number(digits);
    if (!Number.isSafeInteger(total) || total > MAX_ANCESTORS)
      invalid(ref, `too many ancestors (${ancestry})`);
  }
  return total;
}

/**
 * Makes a path absolute and normalized: a leading "/" is added, runs of "/" collapse, a trailing
 * "/" is kept (it marks a directory). "." and ".." segments, NUL bytes and paths over 4096 bytes
 * are refused rather than resolved, because the server refuses them too.
 */
export function normalizePath(raw: string, ref = raw): string {
  if (raw.includes('\0')) invalid(ref, 'the path contains a NUL byte', 'an absolute path like /dir/file');
  let path = ('/' + raw).replace(/\/{2,}/g, '/');
  const segments = path.split('/').slice(1, path.endsWith('/') ? -1 : undefined);
  for (const segment of segments) {
    if (segment === '.' || segment === '..') {
      invalid(
        ref,
        `the path has a ${JSON.stringify(segment)} segment`,
        'an absolute path without "." or ".." segments',
      );
    }
  }
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES)
    invalid(ref, `the path is longer than ${MAX_PATH_BYTES} bytes`, 'a shorter path');
  if (path === '') path = '/';
  return path;
}

/** `repo` (no "@", no ":"). */
export function parseRepoRef(ref: string): string {
  const parsed = parseRef(ref);
  if (parsed.branch !== undefined || parsed.id !== undefined || parsed.path !== undefined) {
    invalid(ref, 'a repo name was expected', 'REPO');
  }
  return parsed.repo;
}

/** `repo@branch` (no ID, no ancestry, no path); `repo` alone only with a default branch. */
export function parseBranchRef(ref: string, defaults: RefDefaults = {}): BranchRef {
  const parsed = parseRef(ref);
  const expected = 'REPO@BRANCH';
  if (parsed.path !== undefined) invalid(ref, 'a branch cannot have a path', expected);
  if (parsed.id !== undefined || parsed.ancestors !== 0)
    invalid(ref, 'a branch name was expected, not a commit', expected);
  const branch = parsed.branch ?? defaults.defaultBranch;
  if (branch === undefined) invalid(ref, 'the branch is missing', expected);
  return { repo: parsed.repo, branch };
}

/** A commit ref without a path; `repo` alone means the default branch's head when one is given. */
export function parseCommitRef(ref: string, defaults: RefDefaults = {}): CommitRef {
  const parsed = parseRef(ref);
  if (parsed.path !== undefined)
    invalid(ref, 'a commit was expected, without a path', 'REPO@BRANCH or REPO@COMMIT_ID');
  return toCommitRef(parsed, ref, defaults);
}

/** A file ref; a missing path means "/" and a missing branch means the default branch, when given. */
export function parseFileRef(ref: string, defaults: RefDefaults & { defaultPath?: string } = {}): FileRef {
  const parsed = parseRef(ref);
  const path =
    parsed.path ?? (defaults.defaultPath !== undefined ? normalizePath(defaults.defaultPath) : undefined);
  if (path === undefined) invalid(ref, 'the path is missing', 'REPO@BRANCH:/PATH');
  return { commit: toCommitRef(parsed, ref, defaults), path };
}

function toCommitRef(parsed: ParsedRef, ref: string, defaults: RefDefaults): CommitRef {
  const commit: CommitRef = { repo: parsed.repo, ancestors: parsed.ancestors };
  if (parsed.id !== undefined) commit.id = parsed.id;
  const branch = parsed.branch ?? (parsed.id === undefined ? defaults.defaultBranch : undefined);
  if (branch !== undefined) commit.branch = branch;
  if (commit.id === undefined && commit.branch === undefined) {
    invalid(ref, 'the branch or commit is missing', 'REPO@BRANCH or REPO@COMMIT_ID');
  }
  return commit;
}

/** Formats a commit ref back into the syntax `parseCommitRef` reads. */
export function formatCommitRef(ref: CommitRef): string {
  const base =
    ref.id !== undefined && ref.branch !== undefined
      ? `${ref.branch}=${ref.id}`
      : (ref.id ?? ref.branch ?? '');
  return `${ref.repo}@${base}${ref.ancestors > 0 ? `^${ref.ancestors}` : ''}`;
}

export function formatFileRef(ref: FileRef): string {
  return `${formatCommitRef(ref.commit)}:${ref.path}`;
}

/**
 * Formats a commit the server returned (fully resolved): `repo@id`, or `repo@branch` when it has
 * no ID (requests echoed back unresolved).
 */
export function formatCommit(commit: Commit | undefined): string {
  if (!commit) return '';
  const repo = commit.repo?.name ?? '';
  const base = commit.id || commit.branch;
  return `${repo}@${base}${commit.ancestors > 0 ? `^${commit.ancestors}` : ''}`;
}

export function formatBranch(branch: Branch | undefined): string {
  return branch ? `${branch.repo?.name ?? ''}@${branch.name}` : '';
}

export function toRepo(name: string): Repo {
  return { name };
}

export function toBranch(ref: BranchRef): Branch {
  return { repo: { name: ref.repo }, name: ref.branch };
}

export function toCommit(ref: CommitRef): Commit {
  return { repo: { name: ref.repo }, id: ref.id ?? '', branch: ref.branch ?? '', ancestors: ref.ancestors };
}

export function toFile(ref: FileRef): File {
  return { commit: toCommit(ref.commit), path: ref.path, fileSetId: '' };
}
