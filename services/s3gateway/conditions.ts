/**
 * HTTP semantics of reads: byte ranges (RFC 9110 §14, as S3 applies them) and conditional
 * requests (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, and the
 * x-amz-copy-source-if-* variants of copies). Pure functions.
 */
import { s3Error } from './errors.ts';
import { normalizeEtag } from './object-meta.ts';

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/**
 * Resolves a Range header against an object size.
 * Returns undefined when the header is absent, malformed, or names several ranges (S3 then sends
 * the whole object).
 * @throws S3Error InvalidRange (416) when the range cannot be satisfied.
 */
export function parseRange(value: string | undefined, size: number): ByteRange | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(value);
  if (!m) return undefined;
  const [, first, last] = m as unknown as [string, string, string];
  if (first === '' && last === '') return undefined;
  const unsatisfiable = (): never => {
    const err = s3Error('InvalidRange', undefined, { RangeRequested: value, ActualObjectSize: String(size) });
    err.headers['content-range'] = `bytes */${size}`;
    throw err;
  };
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) unsatisfiable();
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined; // syntactically invalid: ignored
  if (start >= size) unsatisfiable();
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  return { start, end };
}

function etagListMatches(list: string, etag: string): boolean {
  return list.split(',').some((candidate) => {
    const c = candidate.trim();
    return c === '*' || normalizeEtag(c) === etag;
  });
}

function parseHttpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

/** HTTP dates have second precision: compare on whole seconds. */
function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

export interface Preconditions {
  ifMatch?: string | undefined;
  ifNoneMatch?: string | undefined;
  ifModifiedSince?: string | undefined;
  ifUnmodifiedSince?: string | undefined;
}

/**
 * Evaluates conditional headers against an object, in S3's (RFC 9110's) order.
 * Returns 'ok', 'not-modified' (304 for GET/HEAD) or 'failed' (412).
 */
export function evaluatePreconditions(
  cond: Preconditions,
  etag: string,
  lastModified: Date,
): 'ok' | 'not-modified' | 'failed' {
  const modified = seconds(lastModified.getTime());
  if (cond.ifMatch !== undefined) {
    if (!etagListMatches(cond.ifMatch, etag)) return 'failed';
  } else {
    const since = parseHttpDate(cond.ifUnmodifiedSince);
    if (since !== undefined && modified > seconds(since)) return 'failed';
  }
  if (cond.ifNoneMatch !== undefined) {
    if (etagListMatches(cond.ifNoneMatch, etag)) return 'not-modified';
  } else {
    const since = parseHttpDate(cond.ifModifiedSince);
    if (since !== undefined && modified <= seconds(since)) return 'not-modified';
  }
  return 'ok';
}

/** Copy-source conditions: any failure is 412 (S3 has no 304 for copies). */
export function checkCopySourceConditions(cond: Preconditions, etag: string, lastModified: Date): void {
  const outcome = evaluatePreconditions(cond, etag, lastModified);
  if (outcome !== 'ok')
    throw s3Error(
      'PreconditionFailed',
      'At least one of the pre-conditions you specified did not hold (x-amz-copy-source-if-*).',
      { Condition: 'x-amz-copy-source-If' },
    );
}

/** Formats a Date as an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`). */
export function httpDate(date: Date): string {
  return date.toUTCString();
}
