/**
 * AWS Signature Version 2 verification (legacy, HMAC-SHA1), for the clients that still use it by
 * default against a custom endpoint — boto3/botocore's `generate_presigned_url` does — and for
 * `Authorization: AWS key:signature` headers of old tools.
 *
 *   StringToSign = Method \n Content-MD5 \n Content-Type \n (Date | Expires) \n
 *                  CanonicalizedAmzHeaders CanonicalizedResource
 *
 * A V2 signature covers neither the body nor (for presigned URLs) most headers, so V2 requests are
 * checked like V4 UNSIGNED-PAYLOAD requests: Content-MD5, when sent, still protects the body.
 * Header auth: the request time (x-amz-date or Date) must be within 15 minutes. Presigned URLs:
 * `Expires` (seconds since the epoch) must not have passed. Comparisons are constant-time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { s3Error } from './errors.ts';
import { MAX_SKEW_MS, type AuthResult, type VerifyOptions } from './sigv4.ts';

/** Query parameters that are part of the V2 canonical resource (S3's list). */
const SUBRESOURCES = new Set([
  'acl',
  'cors',
  'delete',
  'lifecycle',
  'location',
  'logging',
  'notification',
  'partNumber',
  'policy',
  'requestPayment',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'response-content-language',
  'response-content-type',
  'response-expires',
  'restore',
  'tagging',
  'torrent',
  'uploadId',
  'uploads',
  'versionId',
  'versioning',
  'versions',
  'website',
]);

function equalBase64(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'base64');
  const b = Buffer.from(given, 'base64');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

export interface V2Request {
  method: string;
  /** Raw path as received (percent-encoded), without the query. */
  rawPath: string;
  /** Decoded query pairs. */
  params: [string, string][];
  /** Lower-case header names → canonical values. */
  headers: Map<string, string>;
  /** Virtual-host bucket, when the bucket came from the Host header. */
  hostBucket?: string | undefined;
}

function stringToSign(req: V2Request, dateOrExpires: string): string {
  const amz = [...req.headers.entries()]
    .filter(([k]) => k.startsWith('x-amz-'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}:${v}\n`)
    .join('');
  const sub = req.params
    .filter(([k]) => SUBRESOURCES.has(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => (v === '' ? k : `${k}=${v}`))
    .join('&');
  const resource =
    (req.hostBucket !== undefined ? `/${req.hostBucket}` : '') + req.rawPath + (sub ? `?${sub}` : '');
  return [
    req.method,
    req.headers.get('content-md5') ?? '',
    req.headers.get('content-type') ?? '',
    dateOrExpires,
    amz + resource,
  ].join('\n');
}

function sign(secret: string, text: string): string {
  return createHmac('sha1', secret).update(text, 'utf8').digest('base64');
}

/** `Authorization: AWS AccessKeyId:Signature`. @throws S3Error InvalidAccessKeyId, SignatureDoesNotMatch, RequestTimeTooSkewed, AccessDenied. */
export function verifyV2Header(req: V2Request, authorization: string, options: VerifyOptions): AuthResult {
  const m = /^AWS ([^:\s]+):(\S+)$/.exec(authorization.trim());
  if (!m)
    throw s3Error(
      'InvalidArgument',
      'Authorization header is invalid -- one and only one " " (space) required.',
    );
  const [, accessKeyId, signature] = m as unknown as [string, string, string];
  const secret = options.secretFor(accessKeyId);
  if (secret === undefined) throw s3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: accessKeyId });
  const amzDate = req.headers.get('x-amz-date');
  const date = amzDate ?? req.headers.get('date');
  const time = date === undefined ? NaN : Date.parse(date);
  if (Number.isNaN(time))
    throw s3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header.');
  const now = (options.now ?? new Date()).getTime();
  if (Math.abs(time - now) > MAX_SKEW_MS)
    throw s3Error('RequestTimeTooSkewed', undefined, {
      RequestTime: date!,
      ServerTime: new Date(now).toISOString(),
    });
  // With x-amz-date, the Date line is empty (x-amz-date is signed among the x-amz-* headers).
  const expected = sign(secret, stringToSign(req, amzDate !== undefined ? '' : date!));
  if (!equalBase64(expected, signature))
    throw s3Error('SignatureDoesNotMatch', undefined, { AWSAccessKeyId: accessKeyId });
  return { accessKeyId, payload: { kind: 'unsigned' }, via: 'header' };
}

/** `?AWSAccessKeyId=…&Expires=…&Signature=…`. @throws S3Error AccessDenied (expired), InvalidAccessKeyId, SignatureDoesNotMatch. */
export function verifyV2Presigned(req: V2Request, options: VerifyOptions): AuthResult {
  const get = (name: string): string | undefined => req.params.find(([k]) => k === name)?.[1];
  const accessKeyId = get('AWSAccessKeyId');
  const expires = get('Expires');
  const signature = get('Signature');
  if (!accessKeyId || !expires || !signature || !/^\d{1,12}$/.test(expires)) {
    throw s3Error(
      'AccessDenied',
      'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters.',
    );
  }
  const secret = options.secretFor(accessKeyId);
  if (secret === undefined) throw s3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: accessKeyId });
  const now = (options.now ?? new Date()).getTime();
  if (Number(expires) * 1000 < now)
    throw s3Error('AccessDenied', 'Request has expired', {
      Expires: new Date(Number(expires) * 1000).toISOString(),
      ServerTime: new Date(now).toISOString(),
    });
  const expected = sign(secret, stringToSign(req, expires));
  if (!equalBase64(expected, signature))
    throw s3Error('SignatureDoesNotMatch', undefined, { AWSAccessKeyId: accessKeyId });
  return { accessKeyId, payload: { kind: 'unsigned' }, via: 'presigned' };
}
