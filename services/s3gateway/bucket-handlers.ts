/**
 * Bucket operations: ListBuckets, HeadBucket, CreateBucket, DeleteBucket, GetBucketLocation,
 * Get/PutBucketVersioning. A bucket is a pfs branch (see buckets.ts).
 */
import { isErrorCode } from '../platform/errors.ts';
import { readTarget } from './bucket-access.ts';
import { bucketName } from './buckets.ts';
import { sendEmpty, sendXml, type RequestContext } from './context.ts';
import { s3Error } from './errors.ts';
import { readSmallBody } from './payload.ts';
import {
  listAllMyBucketsXml,
  locationConstraintXml,
  parseCreateBucketConfiguration,
  parseVersioningConfiguration,
  versioningConfigurationXml,
} from './xml.ts';

/** Bodies of bucket-level XML requests are small; S3 refuses large ones too. */
export const MAX_SMALL_XML_BYTES = 64 * 1024;

export async function listBuckets(ctx: RequestContext): Promise<void> {
  const { pfs, owner } = ctx.deps;
  // Repos are few (each is a dataset); their creation time is each bucket's CreationDate.
  const created = new Map<string, Date>();
  for await (const repo of pfs.listRepos({ signal: ctx.signal })) created.set(repo.name, repo.created);
  const buckets: { name: string; created: Date }[] = [];
  for await (const branch of pfs.listBranches({ signal: ctx.signal })) {
    buckets.push({
      name: bucketName(branch.repo, branch.name),
      created: created.get(branch.repo) ?? new Date(0),
    });
  }
  buckets.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  sendXml(ctx, 200, listAllMyBucketsXml(owner, buckets));
}

export async function headBucket(ctx: RequestContext): Promise<void> {
  await readTarget(ctx, ctx.bucket!);
  sendEmpty(ctx, 200, { 'x-amz-bucket-region': ctx.deps.config.region });
}

export async function getBucketLocation(ctx: RequestContext): Promise<void> {
  await readTarget(ctx, ctx.bucket!);
  sendXml(ctx, 200, locationConstraintXml(ctx.deps.config.region));
}

export async function getBucketVersioning(ctx: RequestContext): Promise<void> {
  await readTarget(ctx, ctx.bucket!);
  sendXml(ctx, 200, versioningConfigurationXml('Enabled'));
}

export async function putBucketVersioning(ctx: RequestContext): Promise<void> {
  const status = parseVersioningConfiguration(
    (await readSmallBody(ctx.body(MAX_SMALL_XML_BYTES))).toString('utf8'),
  );
  await readTarget(ctx, ctx.bucket!);
  if (status !== 'Enabled') {
    throw s3Error(
      'NotImplemented',
      `Versioning is always enabled on Terrain buckets (every write is a commit); it cannot be set to ${JSON.stringify(status ?? '')}.`,
    );
  }
  sendEmpty(ctx, 200);
}

export async function createBucket(ctx: RequestContext): Promise<void> {
  const bucket = ctx.bucket!;
  // The body is optional (a LocationConstraint); read it so a malformed one is refused.
  parseCreateBucketConfiguration((await readSmallBody(ctx.body(MAX_SMALL_XML_BYTES))).toString('utf8'));
  if (bucket.commit !== undefined) {
    throw s3Error(
      'InvalidBucketName',
      `Bucket ${bucket.name} names a commit; only branch buckets (branch.repo) can be created.`,
      { BucketName: bucket.name },
    );
  }
  const { pfs } = ctx.deps;
  try {
    await pfs.createRepo(bucket.repo, { signal: ctx.signal });
  } catch (err) {
    if (!isErrorCode(err, 'already_exists')) throw err;
  }
  const exists = await pfs.inspectBranch(bucket.repo, bucket.branch, { signal: ctx.signal }).then(
    () => true,
    (err: unknown) => {
      if (isErrorCode(err, 'not_found')) return false;
      throw err;
    },
  );
  if (exists) throw s3Error('BucketAlreadyOwnedByYou', undefined, { BucketName: bucket.name });
  await pfs.createBranch(bucket.repo, bucket.branch, { signal: ctx.signal });
  sendEmpty(ctx, 200, { location: `/${bucket.name}` });
}

export async function deleteBucket(ctx: RequestContext): Promise<void> {
  const bucket = ctx.bucket!;
  const target = await readTarget(ctx, bucket);
  if (bucket.commit !== undefined) {
    throw s3Error(
      'AccessDenied',
      `Bucket ${bucket.name} is pinned to a commit and cannot be deleted; delete ${bucket.branch}.${bucket.repo}.`,
    );
  }
  const { pfs, uploads } = ctx.deps;
  if (target.commit) {
    const files = pfs.walkFiles(target.commit, '/', { signal: ctx.signal });
    try {
      const first = await files.next();
      if (!first.done) throw s3Error('BucketNotEmpty', undefined, { BucketName: bucket.name });
    } finally {
      await files.return(undefined);
    }
  }
  for (const upload of uploads.list(bucket)) await uploads.remove(upload);
  await pfs.deleteBranch(bucket.repo, bucket.branch, { signal: ctx.signal });
  // The repo goes with its last branch (its commits stay reachable by ID until then).
  const repo = await pfs.inspectRepo(bucket.repo, { signal: ctx.signal });
  if (repo.branches.length === 0 && repo.type === 'user') {
    try {
      await pfs.deleteRepo(bucket.repo, { signal: ctx.signal });
    } catch (err) {
      // Others depend on the repo: keep it, the bucket is gone all the same.
      if (!isErrorCode(err, 'failed_precondition')) throw err;
    }
  }
  sendEmpty(ctx, 204);
}
