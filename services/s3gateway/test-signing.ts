/**
 * Test helpers: a SigV4 signer built on `@smithy/signature-v4` (the AWS SDK's own signer, an
 * independent implementation of what sigv4.ts verifies), and an aws-chunked encoder following the
 * algorithm AWS documents, for unit tests that send raw HTTP requests.
 */
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { ChecksumConstructor } from '@smithy/types';

export const TEST_ACCESS_KEY = 'AKIAIOSFODNN7EXAMPLE';
export const TEST_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

/** @smithy's hash interface over node:crypto (the SDK normally brings @aws-crypto). */
export const NodeSha256 = class {
  readonly #hash;
  constructor(secret?: string | Uint8Array) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }
  update(data: Uint8Array | string): void {
    this.#hash.update(data);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#hash.digest()));
  }
  reset(): void {
    throw new Error('not supported');
  }
} as unknown as ChecksumConstructor;

export interface RawRequest {
  method: string;
  host: string;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
}

export function signer(
  secret = TEST_SECRET,
  accessKeyId = TEST_ACCESS_KEY,
  region = 'us-east-1',
): SignatureV4 {
  return new SignatureV4({
    service: 's3',
    region,
    credentials: { accessKeyId, secretAccessKey: secret },
    sha256: NodeSha256,
    uriEscapePath: false,
  });
}

/** Signs with the Authorization header; returns the headers to send. */
export async function signHeaders(
  req: RawRequest,
  options: { payloadHash: string; date?: Date; secret?: string; accessKeyId?: string },
): Promise<Record<string, string>> {
  const signed = await signer(options.secret, options.accessKeyId).sign(
    {
      method: req.method,
      protocol: 'http:',
      hostname: req.host,
      path: req.path,
      query: req.query ?? {},
      headers: { host: req.host, 'x-amz-content-sha256': options.payloadHash, ...req.headers },
    },
    { signingDate: options.date ?? new Date() },
  );
  return signed.headers as Record<string, string>;
}

/** A presigned request target (`path?query`). */
export async function presignTarget(
  req: RawRequest,
  options: { expiresIn: number; date?: Date; secret?: string; accessKeyId?: string },
): Promise<string> {
  const signed = await signer(options.secret, options.accessKeyId).presign(
    // As @aws-sdk/s3-request-presigner does: the payload is not signed.
    {
      method: req.method,
      protocol: 'http:',
      hostname: req.host,
      path: req.path,
      query: req.query ?? {},
      headers: { host: req.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...req.headers },
    },
    { expiresIn: options.expiresIn, signingDate: options.date ?? new Date() },
  );
  const query = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  return `${req.path}?${query}`;
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Encodes `data` as an aws-chunked body signed chunk by chunk (AWS's documented algorithm). */
export function encodeSignedChunks(
  data: Buffer,
  chunkSize: number,
  ctx: { signingKey: Buffer; amzDate: string; scope: string; seedSignature: string },
  trailers?: Record<string, string>,
): Buffer {
  const parts: Buffer[] = [];
  let previous = ctx.seedSignature;
  const sign = (text: string): string => createHmac('sha256', ctx.signingKey).update(text).digest('hex');
  const emptyHash = sha256Hex('');
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunkSize) chunks.push(data.subarray(i, i + chunkSize));
  chunks.push(Buffer.alloc(0));
  for (const chunk of chunks) {
    const signature = sign(
      ['AWS4-HMAC-SHA256-PAYLOAD', ctx.amzDate, ctx.scope, previous, emptyHash, sha256Hex(chunk)].join('\n'),
    );
    previous = signature;
    parts.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${signature}\r\n`), chunk);
    if (chunk.length > 0) parts.push(Buffer.from('\r\n'));
  }
  if (trailers) {
    const canonical = Object.entries(trailers)
      .map(([k, v]) => `${k}:${v}\n`)
      .join('');
    const signature = sign(
      ['AWS4-HMAC-SHA256-TRAILER', ctx.amzDate, ctx.scope, previous, sha256Hex(canonical)].join('\n'),
    );
    parts.push(
      Buffer.from(
        Object.entries(trailers)
          .map(([k, v]) => `${k}:${v}\r\n`)
          .join('') + `x-amz-trailer-signature:${signature}\r\n\r\n`,
      ),
    );
  } else {
    parts.push(Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Encodes `data` as an unsigned aws-chunked body with trailers (STREAMING-UNSIGNED-PAYLOAD-TRAILER). */
export function encodeUnsignedChunks(
  data: Buffer,
  chunkSize: number,
  trailers: Record<string, string>,
): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunkSize) {
    const chunk = data.subarray(i, i + chunkSize);
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
  }
  parts.push(
    Buffer.from(
      '0\r\n' +
        Object.entries(trailers)
          .map(([k, v]) => `${k}:${v}\r\n`)
          .join('') +
        '\r\n',
    ),
  );
  return Buffer.concat(parts);
}

/** Yields `data` in pieces of `size` bytes (to exercise parsers across piece boundaries). */
export async function* pieces(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

export async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const piece of source) out.push(Buffer.from(piece));
  return Buffer.concat(out);
}
