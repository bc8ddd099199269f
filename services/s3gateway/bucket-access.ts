/**
 * Resolving a bucket to what a request reads from or writes to, with S3's errors: NoSuchBucket
 * for a missing repo, branch or commit; AccessDenied for writes to a commit-pinned bucket or to
 * anonymous read-only callers.
 *
 * Reads are pinned to the commit that was the branch head when the request started, so one
 * request (a listing page, a ranged read) sees one snapshot even while writers move the branch.
 */
import { isErrorCode } from '../platform/errors.ts';
import type { Bucket } from './buckets.ts';
import type { RequestContext } from './context.ts';
import { s3Error } from './errors.ts';
import type { CommitRef } from './pfs-port.ts';

export interface ReadTarget {
  bucket: Bucket;
  /** The commit to read; undefined for a branch without commits (an empty bucket). */
  commit: CommitRef | undefined;
}

function noSuchBucket(bucket: Bucket): Error {
  return s3Error('NoSuchBucket', undefined, { BucketName: bucket.name });
}

/** @throws S3Error NoSuchBucket. */
export async function readTarget(ctx: RequestContext, bucket: Bucket): Promise<ReadTarget> {
  const { pfs } = ctx.deps;
  try {
    if (bucket.commit !== undefined) {
      const commit = await pfs.inspectCommit(
        { repo: bucket.repo, id: bucket.commit },
        { signal: ctx.signal },
      );
      return { bucket, commit: { repo: bucket.repo, id: commit.id } };
    }
    const branch = await pfs.inspectBranch(bucket.repo, bucket.branch, { signal: ctx.signal });
    return {
      bucket,
      commit: branch.head ? { repo: bucket.repo, id: branch.head, branch: bucket.branch } : undefined,
    };
  } catch (err) {
    if (isErrorCode(err, 'not_found')) throw noSuchBucket(bucket);
    throw err;
  }
}

/** The branch a write goes to. @throws S3Error NoSuchBucket, AccessDenied. */
export async function writeTarget(ctx: RequestContext, bucket: Bucket): Promise<CommitRef> {
  if (bucket.commit !== undefined) {
    throw s3Error(
      'AccessDenied',
      `Bucket ${bucket.name} is pinned to commit ${bucket.commit} and is read-only; write to ${bucket.branch}.${bucket.repo} instead.`,
    );
  }
  try {
    await ctx.deps.pfs.inspectBranch(bucket.repo, bucket.branch, { signal: ctx.signal });
  } catch (err) {
    if (isErrorCode(err, 'not_found')) throw noSuchBucket(bucket);
    throw err;
  }
  return { repo: bucket.repo, branch: bucket.branch };
}

/**
 * Turns a failed write into the S3 error it means: a write refused because the repo belongs to a
 * pipeline is AccessDenied; a create-only put that found the key is PreconditionFailed; a branch
 * that vanished is NoSuchBucket. Anything else is returned unchanged.
 */
export async function explainWriteError(
  ctx: RequestContext,
  bucket: Bucket,
  err: unknown,
  createOnly: boolean,
): Promise<unknown> {
  if (isErrorCode(err, 'failed_precondition')) {
    const repo = await ctx.deps.pfs.inspectRepo(bucket.repo, { signal: ctx.signal }).catch(() => undefined);
    if (repo?.type === 'pipeline') {
      return s3Error(
        'AccessDenied',
        `Repo ${bucket.repo} is the output repo of pipeline; it is written by its pipeline only.`,
      );
    }
    if (createOnly)
      return s3Error(
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold (If-None-Match: * and the key exists).',
        { Condition: 'If-None-Match' },
      );
  }
  if (isErrorCode(err, 'not_found')) {
    const exists = await ctx.deps.pfs.inspectBranch(bucket.repo, bucket.branch, { signal: ctx.signal }).then(
      () => true,
      () => false,
    );
    if (!exists) return noSuchBucket(bucket);
  }
  return err;
}
