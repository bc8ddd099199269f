/**
 * The body of a PUT, made safe to commit: decoded (aws-chunked), bounded, and verified against
 * everything the client promised about it — the signed SHA-256 (`x-amz-content-sha256`), chunk
 * signatures, `Content-MD5`, `x-amz-checksum-*` headers or trailers, and the declared lengths.
 *
 * The returned generator yields bytes as they arrive and throws an S3Error instead of returning
 * when any check fails, so a consumer that commits only when the generator is exhausted (a
 * ModifyFile stream, which pfs applies atomically at its end) never commits a bad body. Memory is
 * bounded by the largest piece the socket hands over.
 */
import { createHash } from 'node:crypto';
import { decodeAwsChunked, type AwsChunkedResult } from './aws-chunked.ts';
import {
  CHECKSUM_ALGORITHMS,
  createChecksum,
  isChecksumAlgorithm,
  type Checksum,
  type ChecksumAlgorithm,
} from './checksums.ts';
import { s3Error } from './errors.ts';
import type { PayloadMode } from './sigv4.ts';

export interface BodySummary {
  size: number;
  /** MD5 of the decoded bytes (S3's ETag of a single-part object). */
  md5: Buffer;
  /** The additional checksum the client sent, verified. */
  checksum?: { algorithm: ChecksumAlgorithm; value: string } | undefined;
}

export interface VerifiedBody {
  stream: AsyncGenerator<Buffer, void, undefined>;
  /** Filled in when `stream` has completed successfully. */
  summary: BodySummary;
}

/** Request headers, lower-case names (Node's `IncomingMessage.headers`). */
export type HeaderBag = Record<string, string | string[] | undefined>;

export function header(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Where a body's checksum is expected: a header value now, or a trailer at the end. */
interface ExpectedChecksum {
  algorithm: ChecksumAlgorithm;
  value?: string | undefined;
  inTrailer: boolean;
}

function expectedChecksum(headers: HeaderBag): ExpectedChecksum | undefined {
  const trailer = header(headers, 'x-amz-trailer')?.trim().toLowerCase();
  if (trailer) {
    const m = /^x-amz-checksum-([a-z0-9]+)$/.exec(trailer);
    if (!m || !isChecksumAlgorithm(m[1]!)) {
      throw s3Error(
        'InvalidRequest',
        `x-amz-trailer ${JSON.stringify(trailer)} is not supported; use one of ${CHECKSUM_ALGORITHMS.map((a) => `x-amz-checksum-${a}`).join(', ')}.`,
      );
    }
    return { algorithm: m[1]!, inTrailer: true };
  }
  const found: ExpectedChecksum[] = [];
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const value = header(headers, `x-amz-checksum-${algorithm}`);
    if (value !== undefined) found.push({ algorithm, value: value.trim(), inTrailer: false });
  }
  if (found.length > 1)
    throw s3Error(
      'InvalidRequest',
      'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
    );
  return found[0];
}

function contentMd5(headers: HeaderBag): Buffer | undefined {
  const value = header(headers, 'content-md5');
  if (value === undefined) return undefined;
  const digest = Buffer.from(value.trim(), 'base64');
  if (digest.length !== 16 || digest.toString('base64') !== value.trim())
    throw s3Error('InvalidDigest', undefined, { 'Content-MD5': value });
  return digest;
}

function declaredLength(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,16}$/.test(value.trim()))
    throw s3Error(
      'InvalidArgument',
      `${name} must be a non-negative integer (got ${JSON.stringify(value)}).`,
    );
  return Number(value.trim());
}

/** Does this request carry an aws-chunked body? */
export function isAwsChunked(headers: HeaderBag, payload: PayloadMode): boolean {
  if (payload.kind === 'chunked-signed' || payload.kind === 'chunked-unsigned-trailer') return true;
  const encoding = header(headers, 'content-encoding') ?? '';
  return encoding.split(',').some((e) => e.trim().toLowerCase() === 'aws-chunked');
}

/**
 * Wraps a request body. Header-level problems (a malformed Content-MD5, a length over `maxBytes`)
 * are thrown at once; body-level ones by the stream.
 * @throws S3Error InvalidDigest, EntityTooLarge, InvalidRequest, InvalidArgument.
 */
export function verifiedBody(
  source: AsyncIterable<Uint8Array>,
  headers: HeaderBag,
  payload: PayloadMode,
  maxBytes: number,
): VerifiedBody {
  const md5Expected = contentMd5(headers);
  const checksumExpected = expectedChecksum(headers);
  const chunked = isAwsChunked(headers, payload);
  const contentLength = declaredLength(header(headers, 'content-length'), 'Content-Length');
  const decodedLength = declaredLength(
    header(headers, 'x-amz-decoded-content-length'),
    'x-amz-decoded-content-length',
  );
  const expectedLength = chunked ? decodedLength : contentLength;
  if (expectedLength !== undefined && expectedLength > maxBytes) {
    throw s3Error('EntityTooLarge', undefined, {
      ProposedSize: String(expectedLength),
      MaxSizeAllowed: String(maxBytes),
    });
  }
  if (checksumExpected?.inTrailer && !chunked)
    throw s3Error('InvalidRequest', 'x-amz-trailer requires an aws-chunked body.');
  const summary: BodySummary = { size: 0, md5: Buffer.alloc(0) };
  const stream = (async function* (): AsyncGenerator<Buffer, void, undefined> {
    const md5 = createHash('md5');
    const sha256 = payload.kind === 'sha256' ? createHash('sha256') : undefined;
    const checksum: Checksum | undefined = checksumExpected
      ? createChecksum(checksumExpected.algorithm)
      : undefined;
    const chunkResult: AwsChunkedResult = { trailers: new Map(), decodedLength: 0 };
    const raw = chunked
      ? decodeAwsChunked(
          source,
          {
            signing: payload.kind === 'chunked-signed' ? payload.signing : undefined,
            trailer:
              payload.kind === 'chunked-unsigned-trailer' ||
              (payload.kind === 'chunked-signed' && payload.trailer) ||
              checksumExpected?.inTrailer === true,
          },
          chunkResult,
        )
      : source;
    let size = 0;
    for await (const piece of raw) {
      const buf = Buffer.isBuffer(piece)
        ? piece
        : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
      size += buf.length;
      if (size > maxBytes) throw s3Error('EntityTooLarge', undefined, { MaxSizeAllowed: String(maxBytes) });
      if (expectedLength !== undefined && size > expectedLength) {
        throw s3Error('InvalidRequest', `The body is longer than the declared length ${expectedLength}.`);
      }
      md5.update(buf);
      sha256?.update(buf);
      checksum?.update(buf);
      yield buf;
    }
    if (expectedLength !== undefined && size !== expectedLength) {
      throw s3Error('IncompleteBody', `The body has ${size} bytes; the request declared ${expectedLength}.`);
    }
    if (sha256 && payload.kind === 'sha256') {
      const actual = sha256.digest('hex');
      if (actual !== payload.hash) {
        throw s3Error('XAmzContentSHA256Mismatch', undefined, {
          ClientComputedContentSHA256: payload.hash,
          S3ComputedContentSHA256: actual,
        });
      }
    }
    const digest = md5.digest();
    if (md5Expected && !md5Expected.equals(digest)) {
      throw s3Error('BadDigest', undefined, {
        ExpectedDigest: md5Expected.toString('hex'),
        CalculatedDigest: digest.toString('hex'),
      });
    }
    let verifiedChecksum: BodySummary['checksum'];
    if (checksumExpected && checksum) {
      const given = checksumExpected.inTrailer
        ? chunkResult.trailers.get(`x-amz-checksum-${checksumExpected.algorithm}`)
        : checksumExpected.value;
      if (given === undefined)
        throw s3Error(
          'InvalidRequest',
          `The announced trailer x-amz-checksum-${checksumExpected.algorithm} was not sent.`,
        );
      const actual = checksum.digestBase64();
      if (given !== actual) {
        throw s3Error(
          'BadDigest',
          `The ${checksumExpected.algorithm.toUpperCase()} you specified did not match the calculated checksum.`,
        );
      }
      verifiedChecksum = { algorithm: checksumExpected.algorithm, value: actual };
    }
    summary.size = size;
    summary.md5 = digest;
    summary.checksum = verifiedChecksum;
  })();
  return { stream, summary };
}

/** Reads a small body completely (XML requests), verified like any other, refusing more than `maxBytes`. */
export async function readSmallBody(body: VerifiedBody): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of body.stream) pieces.push(piece);
  return Buffer.concat(pieces);
}
