/**
 * Multipart uploads: Create, UploadPart, UploadPartCopy, Complete, Abort, ListParts,
 * ListMultipartUploads. Parts are staged as pfs file sets (see uploads.ts); Complete copies them by
 * reference, in order, into one commit, with S3's ETag `"<md5 of the parts' md5s>-N"`.
 */
import { createHash } from 'node:crypto';
import { readTarget, writeTarget, explainWriteError } from './bucket-access.ts';
import { keyToWritablePath } from './buckets.ts';
import { requestHeader, sendEmpty, sendXml, type RequestContext } from './context.ts';
import { s3Error } from './errors.ts';
import { compareKeys } from './listing.ts';
import { findCopySource, refuseUnsupportedWriteHeaders } from './object-handlers.ts';
import {
  etagOf,
  md5Etag,
  metadataFromHeaders,
  multipartEtag,
  normalizeEtag,
  withEtag,
} from './object-meta.ts';
import { readSmallBody } from './payload.ts';
import type { WriteOp } from './pfs-port.ts';
import type { Upload } from './uploads.ts';
import {
  completeMultipartUploadXml,
  copyPartResultXml,
  initiateMultipartUploadXml,
  listMultipartUploadsXml,
  listPartsXml,
  parseCompleteMultipartUpload,
} from './xml.ts';

const MAX_PARTS = 10_000;
/** A CompleteMultipartUpload body names at most 10,000 parts of ~100 bytes each. */
const MAX_COMPLETE_BODY_BYTES = 4 * 1024 * 1024;
const PART_PATH = '/part';

function uploadOf(ctx: RequestContext): Upload {
  const id = ctx.query.get('uploadId') ?? '';
  const upload = ctx.deps.uploads.get(ctx.bucket!, ctx.key!, id);
  if (!upload) throw s3Error('NoSuchUpload', undefined, { UploadId: id });
  return upload;
}

function partNumberOf(ctx: RequestContext): number {
  const text = ctx.query.get('partNumber') ?? '';
  const n = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_PARTS)) {
    throw s3Error(
      'InvalidArgument',
      `Part number must be an integer between 1 and ${MAX_PARTS}, inclusive (got ${JSON.stringify(text)}).`,
      { ArgumentName: 'partNumber', ArgumentValue: text },
    );
  }
  return n;
}

function intParam(ctx: RequestContext, name: string, fallback: number, max: number): number {
  const text = ctx.query.get(name);
  if (text === undefined || text === '') return fallback;
  if (!/^\d{1,10}$/.test(text))
    throw s3Error(
      'InvalidArgument',
      `${name} must be a non-negative integer (got ${JSON.stringify(text)}).`,
      { ArgumentName: name, ArgumentValue: text },
    );
  return Math.min(max, Number(text));
}

export async function createMultipartUpload(ctx: RequestContext): Promise<void> {
  const bucket = ctx.bucket!;
  const key = ctx.key!;
  refuseUnsupportedWriteHeaders(ctx);
  keyToWritablePath(key);
  const metadata = metadataFromHeaders(ctx.req.headers);
  await writeTarget(ctx, bucket);
  const upload = ctx.deps.uploads.create(bucket, key, metadata);
  sendXml(ctx, 200, initiateMultipartUploadXml(bucket.name, key, upload.id));
}

export async function uploadPart(ctx: RequestContext): Promise<void> {
  const number = partNumberOf(ctx);
  const upload = uploadOf(ctx);
  const { pfs, uploads, config } = ctx.deps;
  const body = ctx.body(config.maxPartBytes);
  const handle = await pfs.createFileSet(
    [{ op: 'put', path: PART_PATH, data: body.stream, metadata: {} }],
    uploads.partTtlMs,
    { signal: ctx.signal },
  );
  const etag = md5Etag(body.summary.md5);
  const added = await uploads.addPart(upload, {
    number,
    etag,
    size: body.summary.size,
    fileSetId: handle.id,
    lastModified: new Date(),
  });
  if (!added) throw s3Error('NoSuchUpload', undefined, { UploadId: upload.id });
  const headers: Record<string, string> = { etag };
  if (body.summary.checksum)
    headers[`x-amz-checksum-${body.summary.checksum.algorithm}`] = body.summary.checksum.value;
  sendEmpty(ctx, 200, headers);
}

function parseCopyRange(value: string | undefined, size: number): { start: number; end: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^bytes=(\d+)-(\d+)$/.exec(value.trim());
  if (!m) {
    throw s3Error(
      'InvalidArgument',
      'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy.',
      {
        ArgumentName: 'x-amz-copy-source-range',
        ArgumentValue: value,
      },
    );
  }
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (start > end || end >= size) {
    throw s3Error('InvalidArgument', `Range specified is not valid for source object of size: ${size}`, {
      ArgumentName: 'x-amz-copy-source-range',
      ArgumentValue: value,
    });
  }
  return { start, end };
}

export async function uploadPartCopy(ctx: RequestContext): Promise<void> {
  const number = partNumberOf(ctx);
  const upload = uploadOf(ctx);
  const { pfs, uploads } = ctx.deps;
  const source = await findCopySource(ctx);
  const range = parseCopyRange(requestHeader(ctx, 'x-amz-copy-source-range'), source.file.size);
  let etag: string;
  let size: number;
  let fileSetId: string;
  if (!range) {
    // The whole object: by reference, and the part's ETag is the source's.
    const handle = await pfs.createFileSet(
      [{ op: 'copy', src: { commit: source.commit, path: source.file.path }, dst: PART_PATH }],
      uploads.partTtlMs,
      { signal: ctx.signal },
    );
    ({ id: fileSetId } = handle);
    etag = etagOf(source.file);
    size = source.file.size;
  } else {
    // A byte range: the bytes stream through the gateway (pfs copies whole files only).
    const md5 = createHash('md5');
    size = range.end - range.start + 1;
    const bytes = (async function* () {
      for await (const piece of pfs.readFile(
        { commit: source.commit },
        source.file.path,
        { offset: range.start, length: size },
        { signal: ctx.signal },
      )) {
        md5.update(piece);
        yield piece;
      }
    })();
    const handle = await pfs.createFileSet(
      [{ op: 'put', path: PART_PATH, data: bytes, metadata: {} }],
      uploads.partTtlMs,
      { signal: ctx.signal },
    );
    fileSetId = handle.id;
    etag = md5Etag(md5.digest());
  }
  const lastModified = new Date();
  if (!(await uploads.addPart(upload, { number, etag, size, fileSetId, lastModified })))
    throw s3Error('NoSuchUpload', undefined, { UploadId: upload.id });
  const headers: Record<string, string> = {};
  if (source.versionId) headers['x-amz-copy-source-version-id'] = source.versionId;
  sendXml(ctx, 200, copyPartResultXml(etag, lastModified), headers);
}

export async function completeMultipartUpload(ctx: RequestContext): Promise<void> {
  const bucket = ctx.bucket!;
  const key = ctx.key!;
  const upload = uploadOf(ctx);
  const requested = parseCompleteMultipartUpload(
    (await readSmallBody(ctx.body(MAX_COMPLETE_BODY_BYTES))).toString('utf8'),
  );
  const { pfs, uploads, config } = ctx.deps;
  const path = keyToWritablePath(key);
  const ifNoneMatch = requestHeader(ctx, 'if-none-match');
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*')
    throw s3Error('NotImplemented', 'If-None-Match on a write supports only "*" (create if absent).');
  const createOnly = ifNoneMatch !== undefined;
  const parts = requested.map((p, i) => {
    if (i > 0 && p.partNumber <= requested[i - 1]!.partNumber)
      throw s3Error('InvalidPartOrder', undefined, { UploadId: upload.id });
    const part = upload.parts.get(p.partNumber);
    if (!part || normalizeEtag(p.etag) !== part.etag) {
      throw s3Error(
        'InvalidPart',
        `Part ${p.partNumber} was not uploaded or its ETag ${p.etag} does not match.`,
        { UploadId: upload.id, PartNumber: String(p.partNumber) },
      );
    }
    return part;
  });
  parts.forEach((part, i) => {
    if (i < parts.length - 1 && part.size < config.minPartBytes) {
      throw s3Error(
        'EntityTooSmall',
        `Part ${part.number} has ${part.size} bytes; every part but the last needs at least ${config.minPartBytes}.`,
        {
          ProposedSize: String(part.size),
          MinSizeAllowed: String(config.minPartBytes),
          PartNumber: String(part.number),
        },
      );
    }
  });
  const target = await writeTarget(ctx, bucket);
  const etag = multipartEtag(parts.map((p) => p.etag));
  const total = parts.reduce((sum, p) => sum + p.size, 0);
  const ops: WriteOp[] = [];
  if (createOnly) ops.push({ op: 'put', path, data: [], metadata: {}, ifNotExists: true });
  parts.forEach((part, i) =>
    ops.push({ op: 'copy', src: { fileSetId: part.fileSetId, path: PART_PATH }, dst: path, append: i > 0 }),
  );
  ops.push({ op: 'put', path, data: [], append: true, metadata: withEtag(upload.metadata, etag, total) });
  let commitId: string;
  try {
    ({ commitId } = await pfs.modify(target, ops, { signal: ctx.signal }));
  } catch (err) {
    throw await explainWriteError(ctx, bucket, err, createOnly);
  }
  await uploads.remove(upload);
  const host = requestHeader(ctx, 'host') ?? 'localhost';
  const location = `http://${host}/${bucket.name}/${key.split('/').map(encodeURIComponent).join('/')}`;
  sendXml(ctx, 200, completeMultipartUploadXml(location, bucket.name, key, etag), {
    'x-amz-version-id': commitId,
  });
}

export async function abortMultipartUpload(ctx: RequestContext): Promise<void> {
  const upload = uploadOf(ctx);
  if (ctx.bucket!.commit !== undefined)
    throw s3Error('AccessDenied', `Bucket ${ctx.bucket!.name} is read-only.`);
  if (!(await ctx.deps.uploads.remove(upload)))
    throw s3Error('NoSuchUpload', undefined, { UploadId: upload.id });
  sendEmpty(ctx, 204);
}

export async function listParts(ctx: RequestContext): Promise<void> {
  const upload = uploadOf(ctx);
  const maxParts = intParam(ctx, 'max-parts', 1000, 1000);
  const marker = intParam(ctx, 'part-number-marker', 0, MAX_PARTS);
  const all = [...upload.parts.values()].filter((p) => p.number > marker).sort((a, b) => a.number - b.number);
  const page = all.slice(0, maxParts);
  const truncated = all.length > page.length;
  sendXml(
    ctx,
    200,
    listPartsXml({
      bucket: ctx.bucket!.name,
      key: upload.key,
      uploadId: upload.id,
      partNumberMarker: marker,
      nextPartNumberMarker: page.length > 0 ? page[page.length - 1]!.number : undefined,
      maxParts,
      isTruncated: truncated,
      parts: page.map((p) => ({
        partNumber: p.number,
        lastModified: p.lastModified,
        etag: p.etag,
        size: p.size,
      })),
      initiator: ctx.deps.owner,
    }),
  );
}

export async function listMultipartUploads(ctx: RequestContext): Promise<void> {
  const bucket = ctx.bucket!;
  await readTarget(ctx, bucket);
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = ctx.query.get('delimiter') || undefined;
  const keyMarker = ctx.query.get('key-marker') ?? '';
  const uploadIdMarker = ctx.query.get('upload-id-marker') ?? '';
  const maxUploads = intParam(ctx, 'max-uploads', 1000, 1000);
  const encodingType = ctx.query.get('encoding-type') === 'url' ? 'url' : undefined;
  const uploads = ctx.deps.uploads.list(bucket).filter((u) => u.key.startsWith(prefix));
  // Past the markers: later keys, or the marker's key after the marker's upload.
  let start = 0;
  if (keyMarker !== '') {
    start = uploads.findIndex((u) => {
      const c = compareKeys(u.key, keyMarker);
      return c > 0 || (c === 0 && uploadIdMarker !== '' && u.id === uploadIdMarker);
    });
    if (start < 0) start = uploads.length;
    else if (uploads[start]!.key === keyMarker) start++;
  }
  const items: ({ kind: 'upload'; upload: Upload } | { kind: 'prefix'; prefix: string })[] = [];
  let truncated = false;
  for (const upload of uploads.slice(start)) {
    const at = delimiter ? upload.key.indexOf(delimiter, prefix.length) : -1;
    const item =
      at >= 0
        ? { kind: 'prefix' as const, prefix: upload.key.slice(0, at + delimiter!.length) }
        : { kind: 'upload' as const, upload };
    const lastItem = items[items.length - 1];
    if (item.kind === 'prefix' && lastItem?.kind === 'prefix' && lastItem.prefix === item.prefix) continue;
    if (items.length === maxUploads) {
      truncated = true;
      break;
    }
    items.push(item);
  }
  const lastUpload = [...items].reverse().find((i) => i.kind === 'upload');
  sendXml(
    ctx,
    200,
    listMultipartUploadsXml({
      bucket: bucket.name,
      prefix,
      delimiter,
      keyMarker,
      uploadIdMarker,
      nextKeyMarker: truncated && lastUpload?.kind === 'upload' ? lastUpload.upload.key : undefined,
      nextUploadIdMarker: truncated && lastUpload?.kind === 'upload' ? lastUpload.upload.id : undefined,
      maxUploads,
      isTruncated: truncated,
      encodingType,
      uploads: items.flatMap((i) =>
        i.kind === 'upload'
          ? [{ key: i.upload.key, uploadId: i.upload.id, initiated: i.upload.initiated }]
          : [],
      ),
      commonPrefixes: items.flatMap((i) => (i.kind === 'prefix' ? [i.prefix] : [])),
      owner: ctx.deps.owner,
    }),
  );
}
