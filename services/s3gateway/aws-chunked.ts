/**
 * Streaming decoder of `Content-Encoding: aws-chunked` bodies:
 *
 *   STREAMING-AWS4-HMAC-SHA256-PAYLOAD          <hex>;chunk-signature=<sig>\r\n<data>\r\n … 0;chunk-signature=<sig>\r\n\r\n
 *   STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER  … 0;chunk-signature=<sig>\r\n<name>:<value>\r\n x-amz-trailer-signature:<sig>\r\n\r\n
 *   STREAMING-UNSIGNED-PAYLOAD-TRAILER          <hex>\r\n<data>\r\n … 0\r\n<name>:<value>\r\n\r\n
 *
 * Bytes are yielded as they arrive (nothing is buffered beyond one chunk-header line), and each
 * chunk's signature, chained from the request's signature, is checked when the chunk ends, so a
 * forged or reordered chunk fails the stream before it completes. The generator only returns
 * after the final chunk and the trailers were read and verified; consumers commit nothing before
 * that. Trailing headers are reported in `result.trailers`.
 */
import { createHash, type Hash } from 'node:crypto';
import { s3Error } from './errors.ts';
import {
  chunkSignature,
  constantTimeEqualHex,
  EMPTY_SHA256,
  trailerSignature,
  type ChunkSigningContext,
} from './sigv4.ts';

export interface AwsChunkedOptions {
  /** Verify chunk signatures with this context (signed payloads); unset for unsigned payloads. */
  signing?: ChunkSigningContext | undefined;
  /** Trailing headers follow the final chunk. */
  trailer: boolean;
}

export interface AwsChunkedResult {
  /** Trailing headers (lower-case names), set once the stream is complete. */
  trailers: Map<string, string>;
  /** Decoded bytes so far. */
  decodedLength: number;
}

type State = 'header' | 'data' | 'data-end' | 'trailer' | 'done';

const MAX_LINE = 4096;
const MAX_TRAILER_LINES = 16;
const CRLF = Buffer.from('\r\n');

function malformed(why: string): never {
  throw s3Error('InvalidRequest', `Malformed aws-chunked body: ${why}.`);
}

/**
 * Decodes `source`, yielding payload bytes.
 * @throws S3Error SignatureDoesNotMatch for a bad chunk or trailer signature, InvalidRequest for a
 *   malformed encoding, IncompleteBody when the stream ends early.
 */
export async function* decodeAwsChunked(
  source: AsyncIterable<Uint8Array>,
  options: AwsChunkedOptions,
  result: AwsChunkedResult,
): AsyncGenerator<Buffer, void, undefined> {
  const { signing } = options;
  let previousSignature = signing?.seedSignature ?? '';
  let pending: Buffer = Buffer.alloc(0); // unread bytes of the current line(s)
  // An object, not a `let`: the parsing closures change it and TypeScript must not narrow it.
  const at: { state: State } = { state: 'header' };
  // Read through this after calls that may change it (TypeScript keeps narrowing across them).
  const current = (): State => at.state;
  let remaining = 0;
  let expectedSignature = '';
  let chunkHash: Hash | undefined;
  const trailerLines: string[] = [];

  const finishChunk = (hashHex: string): void => {
    if (!signing) return;
    const expected = chunkSignature(signing, previousSignature, hashHex);
    if (!constantTimeEqualHex(expected, expectedSignature)) {
      throw s3Error(
        'SignatureDoesNotMatch',
        'The chunk signature of an aws-chunked payload does not match: the body was changed after signing, or the signing key is wrong.',
      );
    }
    previousSignature = expected;
  };

  const parseHeader = (line: string): void => {
    const [sizeText, ...extensions] = line.split(';');
    if (!sizeText || !/^[0-9a-fA-F]{1,16}$/.test(sizeText))
      malformed(`invalid chunk size ${JSON.stringify(sizeText?.slice(0, 32))}`);
    const size = parseInt(sizeText!, 16);
    if (!Number.isSafeInteger(size)) malformed('chunk size too large');
    expectedSignature = '';
    for (const ext of extensions) {
      const eq = ext.indexOf('=');
      if (eq > 0 && ext.slice(0, eq).trim() === 'chunk-signature')
        expectedSignature = ext.slice(eq + 1).trim();
    }
    if (signing && !/^[0-9a-f]{64}$/.test(expectedSignature))
      malformed('a signed chunk has no valid chunk-signature');
    remaining = size;
    if (size === 0) {
      finishChunk(EMPTY_SHA256);
      at.state = 'trailer';
    } else {
      chunkHash = signing ? createHash('sha256') : undefined;
      at.state = 'data';
    }
  };

  const finishTrailers = (): void => {
    const trailers = new Map<string, string>();
    let signature: string | undefined;
    const canonical: string[] = [];
    for (const line of trailerLines) {
      const colon = line.indexOf(':');
      if (colon <= 0) malformed(`invalid trailer line ${JSON.stringify(line.slice(0, 64))}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'x-amz-trailer-signature') signature = value;
      else {
        trailers.set(name, value);
        canonical.push(`${name}:${value}\n`);
      }
    }
    if (signing && options.trailer) {
      if (signature === undefined) malformed('the signed trailer has no x-amz-trailer-signature');
      const expected = trailerSignature(signing, previousSignature, canonical.join(''));
      if (!constantTimeEqualHex(expected, signature!)) {
        throw s3Error(
          'SignatureDoesNotMatch',
          'The trailer signature of an aws-chunked payload does not match.',
        );
      }
    }
    if (!options.trailer && trailers.size > 0) malformed('trailing headers were sent but not announced');
    result.trailers = trailers;
    at.state = 'done';
  };

  for await (const piece of source) {
    let buf: Buffer = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    while (buf.length > 0) {
      if (at.state === 'data') {
        const take = Math.min(remaining, buf.length);
        const data = buf.subarray(0, take);
        buf = buf.subarray(take);
        remaining -= take;
        chunkHash?.update(data);
        result.decodedLength += take;
        yield data;
        if (remaining === 0) {
          finishChunk(chunkHash ? chunkHash.digest('hex') : '');
          at.state = 'data-end';
        }
        continue;
      }
      if (at.state === 'done') malformed('bytes after the end of the payload');
      pending = pending.length === 0 ? buf : Buffer.concat([pending, buf]);
      buf = Buffer.alloc(0);
      // Consume whole lines from `pending`.
      for (;;) {
        if (at.state === 'data-end') {
          if (pending.length < 2) break;
          if (!pending.subarray(0, 2).equals(CRLF)) malformed('chunk data is not followed by CRLF');
          pending = pending.subarray(2);
          at.state = 'header';
          continue;
        }
        if (current() === 'data') {
          // The rest of `pending` is chunk data: hand it back to the data path.
          buf = pending;
          pending = Buffer.alloc(0);
          break;
        }
        if (current() === 'done') {
          if (pending.length > 0) malformed('bytes after the end of the payload');
          break;
        }
        const eol = pending.indexOf(CRLF);
        if (eol < 0) {
          if (pending.length > MAX_LINE) malformed('a chunk header or trailer line is too long');
          break;
        }
        const line = pending.subarray(0, eol).toString('latin1');
        pending = pending.subarray(eol + 2);
        if (at.state === 'header') parseHeader(line);
        else if (line === '') finishTrailers();
        else {
          trailerLines.push(line);
          if (trailerLines.length > MAX_TRAILER_LINES) malformed('too many trailer lines');
        }
      }
    }
  }
  // Some clients end a trailer-less payload right after the final chunk's header line.
  if (at.state === 'trailer' && trailerLines.length === 0 && pending.length === 0 && !options.trailer)
    finishTrailers();
  if (at.state !== 'done')
    throw s3Error('IncompleteBody', 'The aws-chunked payload ended before its final chunk.');
}
