/**
 * Object operations: GetObject, HeadObject, PutObject, CopyObject, DeleteObject, DeleteObjects.
 *
 * Every write is one pfs ModifyFile stream, so it is one commit, applied atomically: a body that
 * fails verification (signature, SHA-256, Content-MD5, checksum, length) throws from the stream
 * before it ends, and pfs applies nothing. Reads are pinned to the commit the file was found in.
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { isErrorCode } from '../platform/errors.ts';
import { explainWriteError, readTarget, writeTarget } from './bucket-access.ts';
import { keyToReadablePath, keyToWritablePath, parseBucket, type Bucket } from './buckets.ts';
import { MAX_SMALL_XML_BYTES } from './bucket-handlers.ts';
import { checkCopySourceConditions, evaluatePreconditions, httpDate, parseRange } from './conditions.ts';
import { requestHeader, sendEmpty, sendXml, type RequestContext } from './context.ts';
import { s3Error, toS3Error } from './errors.ts';
import {
  checksumOf,
  etagOf,
  lastModifiedOf,
  md5Etag,
  metadataFromHeaders,
  objectHeaders,
  userMetadata,
  withEtag,
} from './object-meta.ts';
import { readSmallBody } from './payload.ts';
import type { CommitRef, FileEntry, WriteOp } from './pfs-port.ts';
import { copyObjectResultXml, deleteResultXml, parseDeleteRequest, type DeleteOutcome } from './xml.ts';

const VERSION_ID = /^[0-9a-f]{32}$/;

/** Headers that ask for features the gateway does not have; refused rather than silently ignored. */
const UNSUPPORTED_WRITE_HEADERS = [
  'x-amz-server-side-encryption',
  'x-amz-server-side-encryption-customer-algorithm',
  'x-amz-server-side-encryption-aws-kms-key-id',
  'x-amz-tagging',
  'x-amz-object-lock-mode',
  'x-amz-object-lock-retain-until-date',
  'x-amz-object-lock-legal-hold',
  'x-amz-website-redirect-location',
];

export function refuseUnsupportedWriteHeaders(ctx: RequestContext): void {
  for (const name of UNSUPPORTED_WRITE_HEADERS) {
    if (requestHeader(ctx, name) !== undefined)
      throw s3Error('NotImplemented', `The ${name} header is not supported by the Terrain S3 gateway.`);
  }
  const acl = requestHeader(ctx, 'x-amz-acl');
  if (acl !== undefined && acl !== 'private' && acl !== 'bucket-owner-full-control') {
    throw s3Error(
      'NotImplemented',
      `Canned ACL ${JSON.stringify(acl)} is not supported: Terrain objects are private to the configured credentials.`,
    );
  }
}

function noSuchKey(key: string): Error {
  return s3Error('NoSuchKey', undefined, { Key: key });
}

export interface FoundObject {
  file: FileEntry;
  /** The commit the bytes are read from (fully resolved). */
  commit: CommitRef;
}

/**
 * Finds an object in a bucket, optionally at a version (commit).
 * @throws S3Error NoSuchBucket, NoSuchKey, NoSuchVersion, InvalidArgument (malformed version ID).
 */
export async function findObject(
  ctx: RequestContext,
  bucket: Bucket,
  key: string,
  versionId: string | undefined,
): Promise<FoundObject> {
  const { pfs } = ctx.deps;
  let commit: CommitRef | undefined;
  if (versionId !== undefined) {
    if (!VERSION_ID.test(versionId))
      throw s3Error('InvalidArgument', 'Invalid version id specified', {
        ArgumentName: 'versionId',
        ArgumentValue: versionId,
      });
    await readTarget(ctx, bucket);
    try {
      const info = await pfs.inspectCommit({ repo: bucket.repo, id: versionId }, { signal: ctx.signal });
      commit = { repo: bucket.repo, id: info.id };
    } catch (err) {
      if (isErrorCode(err, 'not_found'))
        throw s3Error('NoSuchVersion', undefined, { Key: key, VersionId: versionId });
      throw err;
    }
  } else {
    commit = (await readTarget(ctx, bucket)).commit;
  }
  const path = keyToReadablePath(key);
  if (!commit || path === undefined) throw noSuchKey(key);
  let file: FileEntry;
  try {
    file = await pfs.inspectFile({ commit }, path, { signal: ctx.signal });
  } catch (err) {
    if (isErrorCode(err, 'not_found')) throw noSuchKey(key);
    throw err;
  }
  if (file.kind !== 'file') throw noSuchKey(key);
  return { file, commit: file.commitId ? { repo: bucket.repo, id: file.commitId } : commit };
}

const RESPONSE_OVERRIDES: [string, string][] = [
  ['response-content-type', 'content-type'],
  ['response-content-language', 'content-language'],
  ['response-expires', 'expires'],
  ['response-cache-control', 'cache-control'],
  ['response-content-disposition', 'content-disposition'],
  ['response-content-encoding', 'content-encoding'],
];

export async function getObject(ctx: RequestContext): Promise<void> {
  const head = ctx.req.method === 'HEAD';
  const key = ctx.key!;
  const { file, commit } = await findObject(ctx, ctx.bucket!, key, ctx.query.get('versionId'));
  const etag = etagOf(file);
  const lastModified = lastModifiedOf(file);
  const common: Record<string, string> = {
    etag,
    'last-modified': httpDate(lastModified),
    'x-amz-version-id': commit.id ?? '',
  };
  const outcome = evaluatePreconditions(
    {
      ifMatch: requestHeader(ctx, 'if-match'),
      ifNoneMatch: requestHeader(ctx, 'if-none-match'),
      ifModifiedSince: requestHeader(ctx, 'if-modified-since'),
      ifUnmodifiedSince: requestHeader(ctx, 'if-unmodified-since'),
    },
    etag,
    lastModified,
  );
  if (outcome === 'not-modified') {
    ctx.res.writeHead(304, common);
    ctx.res.end();
    return;
  }
  if (outcome === 'failed')
    throw s3Error('PreconditionFailed', undefined, {
      Condition: requestHeader(ctx, 'if-match') !== undefined ? 'If-Match' : 'If-Unmodified-Since',
    });

  const partNumber = ctx.query.get('partNumber');
  if (partNumber !== undefined && partNumber !== '1') {
    throw s3Error(
      'InvalidArgument',
      'Terrain objects are read whole: only partNumber=1 (the whole object) is supported.',
      { ArgumentName: 'partNumber', ArgumentValue: partNumber },
    );
  }
  const range = partNumber === undefined ? parseRange(requestHeader(ctx, 'range'), file.size) : undefined;
  const headers: Record<string, string> = { ...objectHeaders(file), ...common, 'accept-ranges': 'bytes' };
  for (const [param, name] of RESPONSE_OVERRIDES) {
    const value = ctx.query.get(param);
    if (value !== undefined) headers[name] = value;
  }
  if (requestHeader(ctx, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED' && !range) {
    const checksum = checksumOf(file);
    if (checksum) headers[`x-amz-checksum-${checksum.algorithm}`] = checksum.value;
  }
  const offset = range?.start ?? 0;
  const length = range ? range.end - range.start + 1 : file.size;
  headers['content-length'] = String(length);
  if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${file.size}`;
  const status = range ? 206 : 200;
  if (head || length === 0) {
    ctx.res.writeHead(status, headers);
    ctx.res.end();
    return;
  }
  const stream = ctx.deps.pfs.readFile({ commit }, file.path, { offset, length }, { signal: ctx.signal });
  try {
    // Pull the first piece before the status line goes out, so an immediate failure is still a
    // proper S3 error.
    const first = await stream.next();
    ctx.res.writeHead(status, headers);
    let sent = 0;
    if (!first.done) {
      sent += first.value.byteLength;
      await writeChunk(ctx.res, first.value, ctx.signal);
      for await (const piece of stream) {
        sent += piece.byteLength;
        await writeChunk(ctx.res, piece, ctx.signal);
      }
    }
    if (sent !== length)
      throw new Error(`s3gateway: pfs returned ${sent} bytes of ${ctx.key} where ${length} were expected`);
    ctx.res.end();
  } catch (err) {
    if (!ctx.res.headersSent) throw err;
    // Mid-stream: the status is gone; cut the connection so the client sees a short body.
    ctx.logger.warn({ err }, 'GetObject failed while streaming');
    ctx.res.destroy();
  } finally {
    await stream.return(undefined);
  }
}

/** Writes with backpressure; gives up when the client goes away. */
async function writeChunk(res: ServerResponse, chunk: Uint8Array, signal: AbortSignal): Promise<void> {
  if (res.write(chunk)) return;
  signal.throwIfAborted();
  await once(res, 'drain', { signal });
}

function createOnlyFlag(ctx: RequestContext): boolean {
  const ifNoneMatch = requestHeader(ctx, 'if-none-match');
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch.trim() !== '*')
    throw s3Error('NotImplemented', 'If-None-Match on a write supports only "*" (create if absent).');
  return true;
}

/** If-Match on a write (S3's conditional overwrite): compared with the object before writing. */
async function checkIfMatchForWrite(ctx: RequestContext, bucket: Bucket, key: string): Promise<void> {
  const ifMatch = requestHeader(ctx, 'if-match');
  if (ifMatch === undefined) return;
  const { file } = await findObject(ctx, bucket, key, undefined);
  if (evaluatePreconditions({ ifMatch }, etagOf(file), lastModifiedOf(file)) !== 'ok')
    throw s3Error('PreconditionFailed', undefined, { Condition: 'If-Match' });
}

export async function putObject(ctx: RequestContext): Promise<void> {
  const bucket = ctx.bucket!;
  const key = ctx.key!;
  refuseUnsupportedWriteHeaders(ctx);
  const path = keyToWritablePath(key);
  const createOnly = createOnlyFlag(ctx);
  const metadata = metadataFromHeaders(ctx.req.headers);
  const target = await writeTarget(ctx, bucket);
  await checkIfMatchForWrite(ctx, bucket, key);
  const body = ctx.body(ctx.deps.config.maxObjectBytes);
  // The ETag is known only once the body has streamed: a zero-byte append at the end of the same
  // (atomic) stream sets the final metadata.
  const ops = (async function* (): AsyncGenerator<WriteOp> {
    yield { op: 'put', path, data: body.stream, metadata, ifNotExists: createOnly };
    const summary = body.summary;
    yield {
      op: 'put',
      path,
      data: [],
      append: true,
      metadata: withEtag(metadata, md5Etag(summary.md5), summary.size, summary.checksum),
    };
  })();
  let commitId: string;
  try {
    ({ commitId } = await ctx.deps.pfs.modify(target, ops, { signal: ctx.signal }));
  } catch (err) {
    throw await explainWriteError(ctx, bucket, err, createOnly);
  }
  const headers: Record<string, string> = { etag: md5Etag(body.summary.md5), 'x-amz-version-id': commitId };
  if (body.summary.checksum)
    headers[`x-amz-checksum-${body.summary.checksum.algorithm}`] = body.summary.checksum.value;
  sendEmpty(ctx, 200, headers);
}

export interface CopySource {
  bucket: Bucket;
  key: string;
  versionId: string | undefined;
}

/** Parses `x-amz-copy-source` (`[/]bucket/key[?versionId=…]`, URL-encoded). @throws InvalidArgument, InvalidBucketName. */
export function parseCopySource(value: string): CopySource {
  const q = value.indexOf('?');
  const rawPath = q < 0 ? value : value.slice(0, q);
  let versionId: string | undefined;
  if (q >= 0) {
    const params = new URLSearchParams(value.slice(q + 1));
    versionId = params.get('versionId') ?? undefined;
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    throw s3Error('InvalidArgument', 'Invalid copy source encoding.', {
      ArgumentName: 'x-amz-copy-source',
      ArgumentValue: value,
    });
  }
  const trimmed = decoded.startsWith('/') ? decoded.slice(1) : decoded;
  const slash = trimmed.indexOf('/');
  if (slash <= 0 || slash === trimmed.length - 1) {
    throw s3Error(
      'InvalidArgument',
      'Copy Source must mention the source bucket and key: sourcebucket/sourcekey.',
      { ArgumentName: 'x-amz-copy-source', ArgumentValue: value },
    );
  }
  return {
    bucket: parseBucket(trimmed.slice(0, slash)),
    key: trimmed.slice(slash + 1),
    versionId: versionId === 'null' ? undefined : versionId,
  };
}

/** Finds a copy source and checks the x-amz-copy-source-if-* conditions. */
export async function findCopySource(ctx: RequestContext): Promise<CopySource & FoundObject> {
  const source = parseCopySource(requestHeader(ctx, 'x-amz-copy-source')!);
  const found = await findObject(ctx, source.bucket, source.key, source.versionId);
  checkCopySourceConditions(
    {
      ifMatch: requestHeader(ctx, 'x-amz-copy-source-if-match'),
      ifNoneMatch: requestHeader(ctx, 'x-amz-copy-source-if-none-match'),
      ifModifiedSince: requestHeader(ctx, 'x-amz-copy-source-if-modified-since'),
      ifUnmodifiedSince: requestHeader(ctx, 'x-amz-copy-source-if-unmodified-since'),
    },
    etagOf(found.file),
    lastModifiedOf(found.file),
  );
  return { ...source, ...found };
}

export async function copyObject(ctx: RequestContext): Promise<void> {
  const bucket = ctx.bucket!;
  const key = ctx.key!;
  refuseUnsupportedWriteHeaders(ctx);
  const path = keyToWritablePath(key);
  const createOnly = createOnlyFlag(ctx);
  const directive = (requestHeader(ctx, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE')
    throw s3Error('InvalidArgument', `Unknown metadata directive ${JSON.stringify(directive)}.`, {
      ArgumentName: 'x-amz-metadata-directive',
    });
  const target = await writeTarget(ctx, bucket);
  const source = await findCopySource(ctx);
  await checkIfMatchForWrite(ctx, bucket, key);
  const sameObject =
    source.bucket.repo === bucket.repo &&
    source.bucket.branch === bucket.branch &&
    source.key === key &&
    source.bucket.commit === undefined &&
    source.versionId === undefined;
  if (sameObject && directive === 'COPY') {
    throw s3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const etag = etagOf(source.file);
  const ops: WriteOp[] = [];
  if (createOnly) ops.push({ op: 'put', path, data: [], metadata: {}, ifNotExists: true });
  // By reference: pfs copies chunk references, not bytes (and the source's metadata with them).
  ops.push({ op: 'copy', src: { commit: source.commit, path: source.file.path }, dst: path });
  const replaced =
    directive === 'REPLACE' ? metadataFromHeaders(ctx.req.headers) : userMetadata(source.file.metadata);
  const checksum = directive === 'REPLACE' ? undefined : checksumOf(source.file);
  const written = new Date();
  ops.push({
    op: 'put',
    path,
    data: [],
    append: true,
    metadata: withEtag(replaced, etag, source.file.size, checksum, written),
  });
  let commitId: string;
  try {
    ({ commitId } = await ctx.deps.pfs.modify(target, ops, { signal: ctx.signal }));
  } catch (err) {
    throw await explainWriteError(ctx, bucket, err, createOnly);
  }
  const headers: Record<string, string> = { 'x-amz-version-id': commitId };
  if (source.versionId) headers['x-amz-copy-source-version-id'] = source.versionId;
  sendXml(ctx, 200, copyObjectResultXml(etag, written), headers);
}

export async function deleteObject(ctx: RequestContext): Promise<void> {
  const bucket = ctx.bucket!;
  const key = ctx.key!;
  if (ctx.query.get('versionId') !== undefined) {
    throw s3Error(
      'NotImplemented',
      'Versions are commits and cannot be deleted one by one; delete the key (a new commit) instead.',
    );
  }
  const target = await writeTarget(ctx, bucket);
  const path = keyToReadablePath(key);
  const read = await readTarget(ctx, bucket);
  // Only an existing *file* is deleted: pfs would delete a whole directory for a path like "a"
  // when "a/b" exists, and S3 deleting "a" must not touch "a/b".
  const exists = path !== undefined && read.commit !== undefined && (await isFile(ctx, read.commit, path));
  if (!exists) {
    sendEmpty(ctx, 204);
    return;
  }
  let commitId: string;
  try {
    ({ commitId } = await ctx.deps.pfs.modify(target, [{ op: 'delete', path: path! }], {
      signal: ctx.signal,
    }));
  } catch (err) {
    throw await explainWriteError(ctx, bucket, err, false);
  }
  sendEmpty(ctx, 204, { 'x-amz-version-id': commitId, 'x-amz-delete-marker': 'true' });
}

async function isFile(ctx: RequestContext, commit: CommitRef, path: string): Promise<boolean> {
  try {
    return (await ctx.deps.pfs.inspectFile({ commit }, path, { signal: ctx.signal })).kind === 'file';
  } catch (err) {
    if (isErrorCode(err, 'not_found')) return false;
    throw err;
  }
}

/** Existence checks of a batch run this many at a time. */
const DELETE_CHECK_CONCURRENCY = 8;

export async function deleteObjects(ctx: RequestContext): Promise<void> {
  const bucket = ctx.bucket!;
  const request = parseDeleteRequest(
    (await readSmallBody(ctx.body(2 * 1024 * 1024 + MAX_SMALL_XML_BYTES))).toString('utf8'),
  );
  const target = await writeTarget(ctx, bucket);
  const read = await readTarget(ctx, bucket);
  const outcomes: DeleteOutcome[] = request.objects.map((o) => ({ key: o.key, versionId: o.versionId }));
  const toDelete: { index: number; path: string }[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < request.objects.length) {
      const index = next++;
      const object = request.objects[index]!;
      if (object.versionId !== undefined && object.versionId !== '') {
        outcomes[index]!.error = {
          code: 'NotImplemented',
          message: 'Versions are commits and cannot be deleted one by one.',
        };
        continue;
      }
      const path = keyToReadablePath(object.key);
      if (path !== undefined && read.commit && (await isFile(ctx, read.commit, path)))
        toDelete.push({ index, path });
    }
  };
  await Promise.all(Array.from({ length: DELETE_CHECK_CONCURRENCY }, worker));
  if (toDelete.length > 0) {
    try {
      // One commit for the whole batch.
      const { commitId } = await ctx.deps.pfs.modify(
        target,
        toDelete.map((d): WriteOp => ({ op: 'delete', path: d.path })),
        { signal: ctx.signal },
      );
      ctx.logger.debug({ commitId, deleted: toDelete.length }, 'DeleteObjects committed');
    } catch (err) {
      const s3err = toS3Error(await explainWriteError(ctx, bucket, err, false));
      for (const d of toDelete) outcomes[d.index]!.error = { code: s3err.code, message: s3err.message };
    }
  }
  sendXml(ctx, 200, deleteResultXml(outcomes, request.quiet));
}
