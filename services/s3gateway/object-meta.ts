/**
 * What the gateway stores with a file (pfs PutFile.metadata) and how it becomes S3 headers:
 * Content-Type and the other standard content headers, user metadata (`x-amz-meta-*`), and the
 * object's ETag.
 *
 * ETags. S3 clients compare a single-part object's ETag with the MD5 of its bytes (s3cmd retries
 * an upload when they differ; rclone checks it), and a multipart object's ETag is
 * `"<md5 of the parts' md5s>-N"`. The gateway computes these as the body streams and stores them
 * under `s3-etag`, together with the size they describe (`s3-etag-size`). pfs keeps metadata on
 * an append, so an ETag whose size no longer matches the file is stale and ignored; a file written
 * without the gateway (or made stale) gets `"<pfs content hash>"` instead — 64 hex characters, which
 * no client mistakes for an MD5. Either way the ETag is stable: the same bytes give the same ETag
 * on every read. The write time (`s3-mtime`) is kept the same way and is the object's
 * Last-Modified.
 */
import { createHash } from 'node:crypto';
import { s3Error } from './errors.ts';
import { header, type HeaderBag } from './payload.ts';
import type { FileEntry } from './pfs-port.ts';

export const ETAG_KEY = 's3-etag';
export const ETAG_SIZE_KEY = 's3-etag-size';
/** When the gateway wrote the object (ISO 8601), under the same staleness rule as the ETag. */
export const MTIME_KEY = 's3-mtime';
const CHECKSUM_PREFIX = 'x-amz-checksum-';

/** Standard headers stored with an object and returned on GET/HEAD. */
export const CONTENT_HEADERS = [
  'content-type',
  'content-encoding',
  'content-disposition',
  'content-language',
  'cache-control',
  'expires',
] as const;

/** S3's limit on user metadata (names + values of x-amz-meta-*). */
export const MAX_USER_METADATA_BYTES = 2048;

export const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';

/**
 * The metadata to store for a PUT / CreateMultipartUpload / CopyObject(REPLACE) request.
 * @throws S3Error MetadataTooLarge.
 */
export function metadataFromHeaders(headers: HeaderBag): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of CONTENT_HEADERS) {
    let value = header(headers, name);
    if (name === 'content-encoding' && value !== undefined) {
      // aws-chunked is the transfer framing of this request, not the object's encoding.
      value = value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '' && v.toLowerCase() !== 'aws-chunked')
        .join(',');
      if (value === '') value = undefined;
    }
    if (value !== undefined) out[name] = value;
  }
  let userBytes = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('x-amz-meta-') || value === undefined) continue;
    const text = Array.isArray(value) ? value.join(',') : value;
    out[name] = text;
    userBytes += Buffer.byteLength(name.slice('x-amz-meta-'.length)) + Buffer.byteLength(text);
  }
  if (userBytes > MAX_USER_METADATA_BYTES) {
    throw s3Error('MetadataTooLarge', undefined, {
      Size: String(userBytes),
      MaxSizeAllowed: String(MAX_USER_METADATA_BYTES),
    });
  }
  return out;
}

/** Adds the ETag (and optional checksum) that describe `size` bytes. */
export function withEtag(
  metadata: Record<string, string>,
  etag: string,
  size: number,
  checksum?: { algorithm: string; value: string },
  written: Date = new Date(),
): Record<string, string> {
  const out: Record<string, string> = {
    ...metadata,
    [ETAG_KEY]: etag,
    [ETAG_SIZE_KEY]: String(size),
    [MTIME_KEY]: written.toISOString(),
  };
  for (const key of Object.keys(out)) if (key.startsWith(CHECKSUM_PREFIX)) delete out[key];
  if (checksum) out[`${CHECKSUM_PREFIX}${checksum.algorithm}`] = checksum.value;
  return out;
}

/** The user-visible part of stored metadata (no ETag bookkeeping). */
export function userMetadata(metadata: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata))
    if (k !== ETAG_KEY && k !== ETAG_SIZE_KEY && k !== MTIME_KEY && !k.startsWith(CHECKSUM_PREFIX))
      out[k] = v;
  return out;
}

/** `"<md5 hex>"` of a single-part body. */
export function md5Etag(md5: Buffer): string {
  return `"${md5.toString('hex')}"`;
}

/** The quoted ETag of a file. */
export function etagOf(file: FileEntry): string {
  const stored = file.metadata[ETAG_KEY];
  if (stored && file.metadata[ETAG_SIZE_KEY] === String(file.size)) return stored;
  return `"${file.hash}"`;
}

/**
 * Last-Modified of a file: when the gateway wrote it, while that record still describes the file;
 * else pfs's `committed` (which pfs currently reports as the time of the commit *read*, not of the
 * commit that last wrote the file — so it moves whenever any file of the branch changes).
 */
export function lastModifiedOf(file: FileEntry): Date {
  const stored = file.metadata[MTIME_KEY];
  if (stored && file.metadata[ETAG_SIZE_KEY] === String(file.size)) {
    const t = Date.parse(stored);
    if (!Number.isNaN(t)) return new Date(t);
  }
  return file.committed;
}

/** The checksum stored with a file, when it still describes its bytes. */
export function checksumOf(file: FileEntry): { algorithm: string; value: string } | undefined {
  if (file.metadata[ETAG_SIZE_KEY] !== String(file.size)) return undefined;
  for (const [k, v] of Object.entries(file.metadata))
    if (k.startsWith(CHECKSUM_PREFIX)) return { algorithm: k.slice(CHECKSUM_PREFIX.length), value: v };
  return undefined;
}

/** The bytes an ETag stands for, as used in a multipart ETag: the digest for hex ETags, else an MD5 of the text. */
export function etagDigest(etag: string): Buffer {
  const bare = etag.replace(/^"|"$/g, '');
  return /^([0-9a-f]{2})+$/.test(bare) ? Buffer.from(bare, 'hex') : createHash('md5').update(bare).digest();
}

/** `"<md5 of the parts' digests>-N"`. */
export function multipartEtag(partEtags: string[]): string {
  const md5 = createHash('md5');
  for (const etag of partEtags) md5.update(etagDigest(etag));
  return `"${md5.digest('hex')}-${partEtags.length}"`;
}

/** Normalizes an ETag given by a client (quotes optional). */
export function normalizeEtag(etag: string): string {
  const bare = etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  return `"${bare}"`;
}

/** Response headers for an object (content headers and user metadata). */
export function objectHeaders(file: FileEntry): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(userMetadata(file.metadata))) out[k] = v;
  out['content-type'] ??= DEFAULT_CONTENT_TYPE;
  return out;
}
