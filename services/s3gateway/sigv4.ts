/**
 * AWS Signature Version 4 verification for S3 requests: the `Authorization` header form,
 * presigned URLs (`X-Amz-*` query parameters, expiry enforced) and the signing material that
 * streaming `aws-chunked` payloads need to check each chunk (see aws-chunked.ts).
 *
 * The body is not read here. `verifyRequest` checks the signature over the request line and headers
 * and returns how the body must be verified (`PayloadMode`): a literal SHA-256 is compared when
 * the body has been streamed (payload.ts), chunk signatures chunk by chunk. Either way a mismatch
 * is detected before the stream ends, so nothing is committed.
 *
 * Legacy Signature Version 2 (header and presigned) is delegated to sigv2.ts.
 *
 * Rules that follow S3: a clock skew over 15 minutes is RequestTimeTooSkewed; an unknown access key
 * is InvalidAccessKeyId; a wrong signature is SignatureDoesNotMatch; a presigned URL past
 * `X-Amz-Date + X-Amz-Expires` (at most 7 days) is AccessDenied. Signatures are compared in
 * constant time. The region in the credential scope is not checked against a configured one (the
 * signature covers it, and clients configured for any region work), the service must be `s3`.
 *
 * Stateless apart from a small cache of derived signing keys; safe to call concurrently.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { s3Error, type S3Error } from './errors.ts';
import { verifyV2Header, verifyV2Presigned } from './sigv2.ts';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Largest difference between the request's time and ours (S3's limit). */
export const MAX_SKEW_MS = 15 * 60 * 1000;
/** Longest validity of a presigned URL (S3's limit: 7 days). */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** The parts of an HTTP request that the signature covers. */
export interface SignedRequest {
  method: string;
  /** The request target exactly as received: path plus optional `?query`, still percent-encoded. */
  url: string;
  /** `IncomingMessage.rawHeaders`: names and values alternating, as received. */
  rawHeaders: string[];
  /** The bucket, when it was named by the Host header (virtual-host style; SigV2 signs it). */
  hostBucket?: string | undefined;
}

/** Everything needed to sign a chunk of a streaming payload with the request's key and scope. */
export interface ChunkSigningContext {
  signingKey: Buffer;
  amzDate: string;
  scope: string;
  /** The request's own signature, which seeds the chain of chunk signatures. */
  seedSignature: string;
}

/** How the body must be verified. */
export type PayloadMode =
  | { kind: 'unsigned' }
  | { kind: 'sha256'; hash: string }
  | { kind: 'chunked-signed'; trailer: boolean; signing: ChunkSigningContext }
  | { kind: 'chunked-unsigned-trailer' };

export interface AuthResult {
  /** Undefined for an anonymous request. */
  accessKeyId: string | undefined;
  payload: PayloadMode;
  /** How the request was authenticated. */
  via: 'header' | 'presigned' | 'anonymous';
}

export interface VerifyOptions {
  /** The secret of an access key, or undefined when the key is unknown. */
  secretFor(accessKeyId: string): string | undefined;
  /** Accept requests that carry no authentication at all. */
  allowAnonymous: boolean;
  /** Current time (tests pin it). */
  now?: Date;
}

/**
 * Verifies a request's SigV4 authentication.
 * @throws S3Error AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch, RequestTimeTooSkewed,
 *   AuthorizationHeaderMalformed, AuthorizationQueryParametersError, InvalidRequest, InvalidArgument
 *   or NotImplemented (SigV4a).
 */
export function verifyRequest(req: SignedRequest, options: VerifyOptions): AuthResult {
  const headers = headerMap(req.rawHeaders);
  const { path, query } = splitUrl(req.url);
  const params = parseQuery(query);
  const now = options.now ?? new Date();
  const authorization = headers.get('authorization');
  const presigned = params.some(
    ([k]) => k === 'X-Amz-Algorithm' || k === 'X-Amz-Signature' || k === 'X-Amz-Credential',
  );
  if (authorization !== undefined && presigned) {
    throw s3Error(
      'InvalidArgument',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.',
    );
  }
  const v2 = { method: req.method, rawPath: path, params, headers, hostBucket: req.hostBucket };
  if (authorization !== undefined && authorization.startsWith('AWS '))
    return verifyV2Header(v2, authorization, { ...options, now });
  if (authorization !== undefined)
    return verifyHeaderAuth(req, headers, path, params, authorization, options, now);
  if (presigned) return verifyPresigned(req, headers, path, params, options, now);
  if (params.some(([k]) => k === 'AWSAccessKeyId' || k === 'Signature'))
    return verifyV2Presigned(v2, { ...options, now });
  if (!options.allowAnonymous)
    throw s3Error(
      'AccessDenied',
      'Access Denied: the request is not signed and anonymous access is disabled.',
    );
  return { accessKeyId: undefined, payload: { kind: 'unsigned' }, via: 'anonymous' };
}

interface Credential {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  scope: string;
}

function parseCredential(value: string, malformed: (why: string) => never): Credential {
  const parts = value.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || !/^\d{8}$/.test(parts[1]!)) {
    malformed(`the Credential ${JSON.stringify(value)} is not ACCESS_KEY/YYYYMMDD/REGION/s3/aws4_request`);
  }
  const [accessKeyId, date, region, service] = parts as [string, string, string, string];
  if (service !== 's3') malformed(`the Credential names service ${JSON.stringify(service)}; expected "s3"`);
  return { accessKeyId, date, region, service, scope: `${date}/${region}/${service}/aws4_request` };
}

function verifyHeaderAuth(
  req: SignedRequest,
  headers: Map<string, string>,
  path: string,
  params: [string, string][],
  authorization: string,
  options: VerifyOptions,
  now: Date,
): AuthResult {
  const malformed = (why: string): never => {
    throw s3Error('AuthorizationHeaderMalformed', `The authorization header is malformed: ${why}.`);
  };
  if (authorization.startsWith('AWS4-ECDSA-P256-SHA256'))
    throw s3Error(
      'NotImplemented',
      'SigV4a (AWS4-ECDSA-P256-SHA256) is not supported; use AWS4-HMAC-SHA256.',
    );
  if (!authorization.startsWith(`${ALGORITHM} `))
    malformed(`unsupported algorithm in ${JSON.stringify(authorization.split(' ')[0])}`);
  const fields = new Map<string, string>();
  for (const piece of authorization.slice(ALGORITHM.length + 1).split(',')) {
    const trimmed = piece.trim();
    const eq = trimmed.indexOf('=');
    if (eq <= 0) malformed(`cannot parse ${JSON.stringify(trimmed)}`);
    fields.set(trimmed.slice(0, eq), trimmed.slice(eq + 1));
  }
  const credentialText = fields.get('Credential');
  const signedHeadersText = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credentialText || !signedHeadersText || !signature)
    malformed('Credential, SignedHeaders and Signature are required');
  const credential = parseCredential(credentialText!, malformed);
  const secret = options.secretFor(credential.accessKeyId);
  if (secret === undefined)
    throw s3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: credential.accessKeyId });

  const amzDate = requestDate(headers);
  if (amzDate === undefined)
    throw s3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header.');
  const time = parseAmzDate(amzDate);
  if (time === undefined)
    throw s3Error(
      'AccessDenied',
      `AWS authentication requires a valid Date or x-amz-date header (got ${JSON.stringify(amzDate)}).`,
    );
  if (Math.abs(time.getTime() - now.getTime()) > MAX_SKEW_MS) {
    throw s3Error('RequestTimeTooSkewed', undefined, {
      RequestTime: amzDate,
      ServerTime: now.toISOString(),
      MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
    });
  }
  if (amzDate.slice(0, 8) !== credential.date)
    malformed(
      `the credential date ${credential.date} does not match the request date ${amzDate.slice(0, 8)}`,
    );

  const signedHeaders = signedHeaderList(signedHeadersText!, malformed);
  const payloadHash = headers.get('x-amz-content-sha256');
  if (payloadHash === undefined)
    throw s3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256.');
  const payload = payloadMode(payloadHash);

  const signingKey = deriveSigningKey(secret, credential.date, credential.region, credential.service);
  const matched = checkSignature(
    req.method,
    path,
    params,
    headers,
    signedHeaders,
    payloadHash,
    amzDate,
    credential.scope,
    signingKey,
    signature!,
    undefined,
  );
  if (!matched) throw signatureMismatch(credential.accessKeyId);
  return {
    accessKeyId: credential.accessKeyId,
    payload: withSigning(payload, {
      signingKey,
      amzDate,
      scope: credential.scope,
      seedSignature: signature!.toLowerCase(),
    }),
    via: 'header',
  };
}

function verifyPresigned(
  req: SignedRequest,
  headers: Map<string, string>,
  path: string,
  params: [string, string][],
  options: VerifyOptions,
  now: Date,
): AuthResult {
  const bad = (why: string): never => {
    throw s3Error('AuthorizationQueryParametersError', `Query-string authentication is malformed: ${why}.`);
  };
  const get = (name: string): string | undefined => params.find(([k]) => k === name)?.[1];
  const algorithm = get('X-Amz-Algorithm');
  if (algorithm === 'AWS4-ECDSA-P256-SHA256')
    throw s3Error('NotImplemented', 'SigV4a presigned URLs are not supported; use AWS4-HMAC-SHA256.');
  if (algorithm !== ALGORITHM) bad(`X-Amz-Algorithm must be ${ALGORITHM}`);
  const credentialText = get('X-Amz-Credential');
  const amzDate = get('X-Amz-Date');
  const expiresText = get('X-Amz-Expires');
  const signedHeadersText = get('X-Amz-SignedHeaders');
  const signature = get('X-Amz-Signature');
  if (!credentialText || !amzDate || !expiresText || !signedHeadersText || !signature) {
    bad('X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and X-Amz-Signature are required');
  }
  const credential = parseCredential(credentialText!, bad);
  const time = parseAmzDate(amzDate!);
  if (time === undefined || amzDate!.length !== 16)
    bad(`X-Amz-Date ${JSON.stringify(amzDate)} is not YYYYMMDDTHHMMSSZ`);
  if (
    !/^\d{1,7}$/.test(expiresText!) ||
    Number(expiresText) < 1 ||
    Number(expiresText) > MAX_PRESIGN_SECONDS
  ) {
    bad(`X-Amz-Expires must be a number of seconds between 1 and ${MAX_PRESIGN_SECONDS}`);
  }
  if (amzDate!.slice(0, 8) !== credential.date)
    bad(`the credential date ${credential.date} does not match X-Amz-Date`);
  const secret = options.secretFor(credential.accessKeyId);
  if (secret === undefined)
    throw s3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: credential.accessKeyId });
  const start = time!.getTime();
  if (start - now.getTime() > MAX_SKEW_MS)
    throw s3Error('AccessDenied', 'Request is not valid yet: X-Amz-Date is in the future.');
  const expires = start + Number(expiresText) * 1000;
  if (now.getTime() > expires) {
    throw s3Error('AccessDenied', 'Request has expired', {
      X_Amz_Expires: expiresText!,
      Expires: new Date(expires).toISOString(),
      ServerTime: now.toISOString(),
    });
  }
  const signedHeaders = signedHeaderList(signedHeadersText!, bad);
  // The SDK's presigner hoists x-amz-content-sha256 into the query.
  const payloadHash = get('X-Amz-Content-Sha256') ?? headers.get('x-amz-content-sha256') ?? UNSIGNED_PAYLOAD;
  const payload = payloadMode(payloadHash);
  const signingKey = deriveSigningKey(secret, credential.date, credential.region, credential.service);
  const matched = checkSignature(
    req.method,
    path,
    params,
    headers,
    signedHeaders,
    payloadHash,
    amzDate!,
    credential.scope,
    signingKey,
    signature!,
    'X-Amz-Signature',
  );
  if (!matched) throw signatureMismatch(credential.accessKeyId);
  return {
    accessKeyId: credential.accessKeyId,
    payload: withSigning(payload, {
      signingKey,
      amzDate: amzDate!,
      scope: credential.scope,
      seedSignature: signature!.toLowerCase(),
    }),
    via: 'presigned',
  };
}

function signatureMismatch(accessKeyId: string): S3Error {
  return s3Error('SignatureDoesNotMatch', undefined, { AWSAccessKeyId: accessKeyId });
}

type PartialPayload =
  | { kind: 'unsigned' }
  | { kind: 'sha256'; hash: string }
  | { kind: 'chunked-signed'; trailer: boolean }
  | { kind: 'chunked-unsigned-trailer' };

function payloadMode(value: string): PartialPayload {
  if (value === UNSIGNED_PAYLOAD) return { kind: 'unsigned' };
  if (value === STREAMING_SIGNED) return { kind: 'chunked-signed', trailer: false };
  if (value === STREAMING_SIGNED_TRAILER) return { kind: 'chunked-signed', trailer: true };
  if (value === STREAMING_UNSIGNED_TRAILER) return { kind: 'chunked-unsigned-trailer' };
  if (value.startsWith('STREAMING-AWS4-ECDSA'))
    throw s3Error('NotImplemented', `x-amz-content-sha256 ${value} (SigV4a) is not supported.`);
  if (/^[0-9a-f]{64}$/i.test(value)) return { kind: 'sha256', hash: value.toLowerCase() };
  throw s3Error(
    'InvalidArgument',
    `x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER) or a SHA-256 hex digest (got ${JSON.stringify(value)}).`,
    {
      ArgumentName: 'x-amz-content-sha256',
      ArgumentValue: value,
    },
  );
}

function withSigning(payload: PartialPayload, signing: ChunkSigningContext): PayloadMode {
  return payload.kind === 'chunked-signed' ? { ...payload, signing } : payload;
}

function signedHeaderList(text: string, malformed: (why: string) => never): string[] {
  const list = text.split(';');
  if (list.some((h) => h === '' || h !== h.toLowerCase()))
    malformed(`SignedHeaders ${JSON.stringify(text)} must be lower-case names separated by ";"`);
  if (!list.includes('host')) malformed('SignedHeaders must include host');
  return list;
}

/** Computes the expected signature for every plausible canonical form of the path and compares. */
function checkSignature(
  method: string,
  rawPath: string,
  params: [string, string][],
  headers: Map<string, string>,
  signedHeaders: string[],
  payloadHash: string,
  amzDate: string,
  scope: string,
  signingKey: Buffer,
  signature: string,
  omitParam: string | undefined,
): boolean {
  const query = canonicalQuery(params, omitParam);
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${headers.get(h) ?? ''}\n`).join('');
  for (const path of canonicalPathCandidates(rawPath)) {
    const request = [method, path, query, canonicalHeaders, signedHeaders.join(';'), payloadHash].join('\n');
    const expected = signString(signingKey, stringToSign(amzDate, scope, request));
    if (constantTimeEqualHex(expected, signature)) return true;
  }
  return false;
}

export function stringToSign(amzDate: string, scope: string, canonicalRequest: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
}

export function signString(signingKey: Buffer, text: string): string {
  return createHmac('sha256', signingKey).update(text, 'utf8').digest('hex');
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Compares two hex signatures without leaking where they differ. */
export function constantTimeEqualHex(expected: string, given: string): boolean {
  if (!/^[0-9a-fA-F]*$/.test(given)) return false;
  const a = Buffer.from(expected, 'hex');
  const b = Buffer.from(given.toLowerCase(), 'hex');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

const keyCache = new Map<string, Buffer>();
const KEY_CACHE_MAX = 256;

/** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"). */
export function deriveSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  const cacheKey = createHash('sha256').update(`${secret}\0${date}\0${region}\0${service}`).digest('base64');
  const cached = keyCache.get(cacheKey);
  if (cached) return cached;
  const hmac = (key: Buffer | string, data: string): Buffer =>
    createHmac('sha256', key).update(data, 'utf8').digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
  keyCache.set(cacheKey, key);
  return key;
}

// ---- canonicalization ---------------------------------------------------------------------------

/** AWS's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ is %XX (upper-case hex). */
export function awsUriEncode(value: string, keepSlash: boolean): string {
  const encoded = encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return keepSlash ? encoded.replace(/%2F/g, '/') : encoded;
}

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/**
 * S3 signs the path as the client encoded the key (without normalization). Clients agree on AWS's
 * encoding, but some send a character unencoded that they encoded when signing (or the reverse),
 * so the re-encoded form is tried first and the path exactly as received second.
 */
function canonicalPathCandidates(rawPath: string): string[] {
  const decoded = safeDecode(rawPath);
  const reencoded = decoded === undefined ? undefined : awsUriEncode(decoded, true);
  const out = reencoded !== undefined ? [reencoded] : [];
  if (rawPath !== reencoded) out.push(rawPath === '' ? '/' : rawPath);
  return out;
}

/** Splits a request target into its raw path and raw query (both still encoded). */
export function splitUrl(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
}

/** Decodes `a=1&b&c=x%20y` into pairs, in order. `+` stays `+` (S3 clients encode spaces as %20). */
export function parseQuery(query: string): [string, string][] {
  if (query === '') return [];
  const out: [string, string][] = [];
  for (const piece of query.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const rawKey = eq < 0 ? piece : piece.slice(0, eq);
    const rawValue = eq < 0 ? '' : piece.slice(eq + 1);
    out.push([safeDecode(rawKey) ?? rawKey, safeDecode(rawValue) ?? rawValue]);
  }
  return out;
}

function canonicalQuery(params: [string, string][], omit: string | undefined): string {
  return params
    .filter(([k]) => k !== omit)
    .map(([k, v]) => [awsUriEncode(k, false), awsUriEncode(v, false)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** Lower-cased header names to canonical values: trimmed, inner runs of spaces collapsed, repeats joined by ",". */
export function headerMap(rawHeaders: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!.trim().replace(/ +/g, ' ');
    const prev = out.get(name);
    out.set(name, prev === undefined ? value : `${prev},${value}`);
  }
  return out;
}

function requestDate(headers: Map<string, string>): string | undefined {
  const amz = headers.get('x-amz-date');
  if (amz !== undefined) return amz;
  const date = headers.get('date');
  if (date === undefined) return undefined;
  const parsed = new Date(date);
  return Number.isNaN(parsed.getTime()) ? undefined : formatAmzDate(parsed);
}

/** `20130524T000000Z` → Date, or undefined when malformed. */
export function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const date = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function formatAmzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

// ---- streaming chunk signatures -----------------------------------------------------------------

/** Signature of one `aws-chunked` chunk, chained from the previous signature. */
export function chunkSignature(ctx: ChunkSigningContext, previous: string, chunkSha256Hex: string): string {
  const text = [
    'AWS4-HMAC-SHA256-PAYLOAD',
    ctx.amzDate,
    ctx.scope,
    previous,
    EMPTY_SHA256,
    chunkSha256Hex,
  ].join('\n');
  return signString(ctx.signingKey, text);
}

/** Signature of the trailing headers of a signed streaming payload (`x-amz-trailer-signature`). */
export function trailerSignature(
  ctx: ChunkSigningContext,
  previous: string,
  canonicalTrailers: string,
): string {
  const text = [
    'AWS4-HMAC-SHA256-TRAILER',
    ctx.amzDate,
    ctx.scope,
    previous,
    sha256Hex(canonicalTrailers),
  ].join('\n');
  return signString(ctx.signingKey, text);
}
