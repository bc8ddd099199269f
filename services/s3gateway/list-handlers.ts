/**
 * Listing operations: ListObjects (V1), ListObjectsV2 and ListObjectVersions.
 *
 * V2 continuation tokens are opaque to clients: base64url of the last key or CommonPrefix of the
 * page, with one letter saying which (a CommonPrefix resumes after everything beneath it).
 *
 * ListObjectVersions: versions are commits. A key's versions are the commits of the bucket's branch
 * history that changed it (found by diffing each commit with its parent); a commit that deleted
 * it is a DeleteMarker. The version ID is the commit ID, and GetObject?versionId= reads that
 * commit. Each page walks the history from the head (one DiffFile per commit) and keeps only the
 * `max-keys` smallest (key, newest-first) entries past the markers, so memory stays bounded by the
 * page size; time grows with the length of the history.
 */
import { readTarget } from './bucket-access.ts';
import { pathToKey } from './buckets.ts';
import { sendXml, type RequestContext } from './context.ts';
import { s3Error } from './errors.ts';
import { compareKeys, listPage } from './listing.ts';
import { etagOf, lastModifiedOf } from './object-meta.ts';
import type { CommitRef } from './pfs-port.ts';
import {
  listBucketV1Xml,
  listBucketV2Xml,
  listVersionsXml,
  type ListObjectsPage,
  type VersionEntry,
} from './xml.ts';

const MAX_KEYS = 1000;

function maxKeys(ctx: RequestContext, name = 'max-keys'): number {
  const text = ctx.query.get(name);
  if (text === undefined) return MAX_KEYS;
  if (!/^\d{1,10}$/.test(text))
    throw s3Error(
      'InvalidArgument',
      `${name} must be a non-negative integer (got ${JSON.stringify(text)}).`,
      { ArgumentName: name, ArgumentValue: text },
    );
  return Math.min(MAX_KEYS, Number(text));
}

function encodingType(ctx: RequestContext): 'url' | undefined {
  const value = ctx.query.get('encoding-type');
  if (value === undefined) return undefined;
  if (value !== 'url')
    throw s3Error(
      'InvalidArgument',
      `Invalid Encoding Method specified in Request: ${JSON.stringify(value)} (only "url" is supported).`,
      { ArgumentName: 'encoding-type', ArgumentValue: value },
    );
  return 'url';
}

function delimiterOf(ctx: RequestContext): string | undefined {
  const d = ctx.query.get('delimiter');
  return d === '' ? undefined : d;
}

export function encodeContinuationToken(value: string, isPrefix: boolean): string {
  return Buffer.from(`${isPrefix ? 'p' : 'k'}${value}`, 'utf8').toString('base64url');
}

export function decodeContinuationToken(token: string): { value: string; isPrefix: boolean } {
  const text = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
  if (text.length < 2 || (text[0] !== 'p' && text[0] !== 'k')) {
    throw s3Error('InvalidArgument', 'The continuation token provided is incorrect.', {
      ArgumentName: 'continuation-token',
      ArgumentValue: token,
    });
  }
  return { value: text.slice(1), isPrefix: text[0] === 'p' };
}

export async function listObjectsV1(ctx: RequestContext): Promise<void> {
  const bucket = ctx.bucket!;
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = delimiterOf(ctx);
  const marker = ctx.query.get('marker') ?? '';
  const limit = maxKeys(ctx);
  const enc = encodingType(ctx);
  const target = await readTarget(ctx, bucket);
  const page = await listPage(
    ctx.deps.pfs,
    target.commit,
    { prefix, delimiter, after: marker || undefined, maxKeys: limit },
    ctx.signal,
  );
  const body: ListObjectsPage = {
    bucket: bucket.name,
    prefix,
    delimiter,
    maxKeys: limit,
    encodingType: enc,
    contents: page.contents.map((o) => ({
      key: o.key,
      lastModified: lastModifiedOf(o.file),
      etag: etagOf(o.file),
      size: o.file.size,
    })),
    commonPrefixes: page.commonPrefixes,
    isTruncated: page.isTruncated,
  };
  // S3 sends NextMarker only with a delimiter; without one clients resume from the last key.
  const nextMarker = page.isTruncated && delimiter !== undefined ? page.last?.value : undefined;
  sendXml(ctx, 200, listBucketV1Xml(body, { marker, nextMarker }, ctx.deps.owner));
}

export async function listObjectsV2(ctx: RequestContext): Promise<void> {
  const bucket = ctx.bucket!;
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = delimiterOf(ctx);
  const limit = maxKeys(ctx);
  const enc = encodingType(ctx);
  const startAfter = ctx.query.get('start-after');
  const continuationToken = ctx.query.get('continuation-token');
  const resume = continuationToken !== undefined ? decodeContinuationToken(continuationToken) : undefined;
  // A continuation token wins over start-after (S3's rule).
  const after = resume ? resume.value : startAfter || undefined;
  const target = await readTarget(ctx, bucket);
  const page = await listPage(
    ctx.deps.pfs,
    target.commit,
    { prefix, delimiter, after, afterIsPrefix: resume?.isPrefix, maxKeys: limit },
    ctx.signal,
  );
  const body: ListObjectsPage = {
    bucket: bucket.name,
    prefix,
    delimiter,
    maxKeys: limit,
    encodingType: enc,
    contents: page.contents.map((o) => ({
      key: o.key,
      lastModified: lastModifiedOf(o.file),
      etag: etagOf(o.file),
      size: o.file.size,
    })),
    commonPrefixes: page.commonPrefixes,
    isTruncated: page.isTruncated,
  };
  const next =
    page.isTruncated && page.last ? encodeContinuationToken(page.last.value, page.last.isPrefix) : undefined;
  const xml = listBucketV2Xml(
    body,
    {
      continuationToken,
      nextContinuationToken: next,
      startAfter,
      keyCount: page.contents.length + page.commonPrefixes.length,
      fetchOwner: ctx.query.get('fetch-owner') === 'true',
    },
    ctx.deps.owner,
  );
  sendXml(ctx, 200, xml);
}

interface Candidate {
  key: string;
  /** Position of the commit in the history, newest = 0. */
  ord: number;
  entry: VersionEntry;
}

function before(a: Candidate, b: Candidate): number {
  return compareKeys(a.key, b.key) || a.ord - b.ord;
}

export async function listObjectVersions(ctx: RequestContext): Promise<void> {
  const bucket = ctx.bucket!;
  const prefix = ctx.query.get('prefix') ?? '';
  if (delimiterOf(ctx) !== undefined)
    throw s3Error(
      'NotImplemented',
      'ListObjectVersions with a delimiter is not supported by the Terrain S3 gateway; list with a prefix instead.',
    );
  const keyMarker = ctx.query.get('key-marker') ?? '';
  const versionIdMarker = ctx.query.get('version-id-marker') ?? '';
  if (versionIdMarker !== '' && keyMarker === '')
    throw s3Error('InvalidArgument', 'A version-id marker cannot be specified without a key marker.', {
      ArgumentName: 'version-id-marker',
    });
  const limit = maxKeys(ctx);
  const enc = encodingType(ctx);
  const target = await readTarget(ctx, bucket);
  const dirKey = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  const selected: Candidate[] = [];
  let truncated = false;
  if (target.commit && limit > 0) {
    truncated = await selectVersions(
      ctx,
      target.commit,
      `/${dirKey}`,
      { prefix, keyMarker, versionIdMarker, limit },
      selected,
    );
  }
  // The newest retained version of a key is its latest, unless the page continues a key whose
  // newer versions were on earlier pages.
  const seen = new Set<string>();
  const entries = selected.map((c) => {
    const first = !seen.has(c.key);
    seen.add(c.key);
    return { ...c.entry, isLatest: first && !(c.key === keyMarker && versionIdMarker !== '') };
  });
  const last = selected[selected.length - 1];
  sendXml(
    ctx,
    200,
    listVersionsXml(
      {
        bucket: bucket.name,
        prefix,
        keyMarker,
        versionIdMarker,
        maxKeys: limit,
        encodingType: enc,
        entries,
        commonPrefixes: [],
        isTruncated: truncated,
        nextKeyMarker: truncated ? last?.key : undefined,
        nextVersionIdMarker: truncated ? last?.entry.versionId : undefined,
      },
      ctx.deps.owner,
    ),
  );
}

/** Fills `selected` with the first `limit` versions past the markers; returns whether more exist. */
async function selectVersions(
  ctx: RequestContext,
  head: CommitRef,
  dir: string,
  opts: { prefix: string; keyMarker: string; versionIdMarker: string; limit: number },
  selected: Candidate[],
): Promise<boolean> {
  const { pfs } = ctx.deps;
  let ord = 0;
  let markerOrd: number | undefined;
  let more = false;
  for await (const commit of pfs.listCommits(head, { signal: ctx.signal })) {
    const current = ord++;
    if (commit.state !== 'finished') continue;
    if (commit.id === opts.versionIdMarker) markerOrd = current;
    for await (const diff of pfs.diffWithParent({ repo: commit.repo, id: commit.id }, dir, {
      signal: ctx.signal,
    })) {
      const key = pathToKey(diff.path);
      if (!key.startsWith(opts.prefix)) continue;
      const cmp = compareKeys(key, opts.keyMarker);
      if (opts.keyMarker !== '' && cmp < 0) continue;
      if (
        opts.keyMarker !== '' &&
        cmp === 0 &&
        (opts.versionIdMarker === '' || markerOrd === undefined || current <= markerOrd)
      )
        continue;
      const candidate: Candidate = {
        key,
        ord: current,
        entry: {
          key,
          versionId: commit.id,
          isLatest: false,
          lastModified: diff.newFile ? lastModifiedOf(diff.newFile) : (commit.finished ?? commit.started),
          object:
            diff.change === 'deleted' || !diff.newFile
              ? undefined
              : { etag: etagOf(diff.newFile), size: diff.newFile.size },
        },
      };
      // Keep the `limit + 1` smallest (sorted insert; the page is at most 1001 entries).
      if (selected.length > opts.limit && before(candidate, selected[selected.length - 1]!) > 0) {
        more = true;
        continue;
      }
      let lo = 0;
      let hi = selected.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (before(selected[mid]!, candidate) < 0) lo = mid + 1;
        else hi = mid;
      }
      selected.splice(lo, 0, candidate);
      if (selected.length > opts.limit + 1) selected.pop();
    }
  }
  if (selected.length > opts.limit) {
    selected.length = opts.limit;
    more = true;
  }
  return more;
}
