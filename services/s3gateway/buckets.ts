/**
 * Bucket names and object keys, as Pachyderm's S3 gateway maps them onto pfs:
 *
 * - `branch.repo` is a branch (read-write);
 * - `commitID.branch.repo` is one commit of that branch (read-only);
 * - a bare `repo` means `master.repo`.
 *
 * Repo and branch names follow pfs's rule (1–63 characters of `[a-zA-Z0-9_-]`, not starting with
 * `-`) and commit IDs are 32 lower-case hex characters; anything else is InvalidBucketName.
 *
 * An object key `a/b.txt` is the pfs path `/a/b.txt`. Keys that are not valid pfs paths (empty
 * segments, `.`/`..` segments, a trailing `/`, NUL, more than 1024 bytes) cannot be stored: writes
 * are refused with InvalidArgument / KeyTooLongError, and reads answer NoSuchKey (such a key
 * cannot exist).
 */
import { s3Error } from './errors.ts';

export const DEFAULT_BRANCH = 'master';

/** A parsed bucket name. */
export interface Bucket {
  /** The name as the client wrote it (used in responses). */
  name: string;
  repo: string;
  branch: string;
  /** Set for a commit-pinned, read-only bucket. */
  commit?: string | undefined;
}

const NAME = /^[a-zA-Z0-9_][a-zA-Z0-9_-]{0,62}$/;
const COMMIT_ID = /^[0-9a-f]{32}$/;

/** @throws S3Error InvalidBucketName naming the bucket and the rule it breaks. */
export function parseBucket(name: string): Bucket {
  const parts = name.split('.');
  const invalid = (why: string): never => {
    throw s3Error('InvalidBucketName', `The specified bucket is not valid: ${JSON.stringify(name)} ${why}.`, {
      BucketName: name,
    });
  };
  if (parts.length > 3)
    invalid('has more than three dot-separated parts (use repo, branch.repo or commit.branch.repo)');
  for (const part of parts.slice(-2)) {
    if (!NAME.test(part))
      invalid(
        `has an invalid repo or branch name ${JSON.stringify(part)} (1-63 characters of a-z A-Z 0-9 _ -, not starting with -)`,
      );
  }
  if (parts.length === 1) return { name, repo: parts[0]!, branch: DEFAULT_BRANCH };
  if (parts.length === 2) return { name, branch: parts[0]!, repo: parts[1]! };
  if (!COMMIT_ID.test(parts[0]!))
    invalid(`has an invalid commit ID ${JSON.stringify(parts[0])} (32 lower-case hex characters)`);
  return { name, commit: parts[0]!, branch: parts[1]!, repo: parts[2]! };
}

/** The canonical bucket name of a branch, as ListBuckets reports it. */
export function bucketName(repo: string, branch: string): string {
  return `${branch}.${repo}`;
}

export const MAX_KEY_BYTES = 1024;

/** Why a key cannot be a pfs path, or undefined when it can. */
export function keyProblem(key: string): string | undefined {
  if (key === '') return 'the key is empty';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `the key is longer than ${MAX_KEY_BYTES} bytes`;
  if (key.includes('\0')) return 'the key contains NUL';
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(key))
    return 'the key is not valid UTF-8';
  if (key.endsWith('/'))
    return 'keys ending with "/" (directory markers) cannot be stored: pfs directories are implied by the files in them';
  for (const segment of key.split('/')) {
    if (segment === '') return 'the key has an empty segment ("//" or a leading "/")';
    if (segment === '.' || segment === '..') return `the key has a "${segment}" segment`;
    if (Buffer.byteLength(segment, 'utf8') > 255)
      return 'a "/"-separated segment of the key is longer than 255 bytes';
  }
  return undefined;
}

/** The pfs path of a key that is to be written. @throws KeyTooLongError or InvalidArgument. */
export function keyToWritablePath(key: string): string {
  const problem = keyProblem(key);
  if (problem !== undefined) {
    if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES)
      throw s3Error('KeyTooLongError', undefined, { Key: key.slice(0, 64) });
    throw s3Error('InvalidArgument', `Object key ${JSON.stringify(key)} cannot be stored: ${problem}.`, {
      ArgumentName: 'key',
      ArgumentValue: key,
    });
  }
  return `/${key}`;
}

/** The pfs path of a key that is to be read, or undefined when no such object can exist. */
export function keyToReadablePath(key: string): string | undefined {
  return keyProblem(key) === undefined ? `/${key}` : undefined;
}

/** The key of a pfs file path (`/a/b` → `a/b`). */
export function pathToKey(path: string): string {
  return path.startsWith('/') ? path.slice(1) : path;
}
