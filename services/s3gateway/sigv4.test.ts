import assert from 'node:assert/strict';
import { decodeAwsChunked, type AwsChunkedResult } from './aws-chunked.ts';
import { isS3Error } from './errors.ts';
import {
  deriveSigningKey,
  EMPTY_SHA256,
  verifyRequest,
  type ChunkSigningContext,
  type SignedRequest,
  type VerifyOptions,
} from './sigv4.ts';
import {
  collect,
  encodeSignedChunks,
  encodeUnsignedChunks,
  pieces,
  presignTarget,
  signHeaders,
  TEST_ACCESS_KEY,
  TEST_SECRET,
} from './test-signing.ts';

// The examples AWS publishes for S3 SigV4 ("Examples of signature calculations"): one key, one
// date, one bucket.
const AWS_DATE = new Date('2013-05-24T00:00:00Z');
const HOST = 'examplebucket.s3.amazonaws.com';
const options: VerifyOptions = {
  secretFor: (id) => (id === TEST_ACCESS_KEY ? TEST_SECRET : undefined),
  allowAnonymous: false,
  now: AWS_DATE,
};

function raw(headers: Record<string, string>): string[] {
  return Object.entries(headers).flat();
}

function authHeader(signedHeaders: string, signature: string, credentialDate = '20130524'): string {
  return `AWS4-HMAC-SHA256 Credential=${TEST_ACCESS_KEY}/${credentialDate}/us-east-1/s3/aws4_request,SignedHeaders=${signedHeaders},Signature=${signature}`;
}

function expectS3Error(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => isS3Error(err) && err.code === code);
}

describe('sigv4', () => {
  describe("AWS's published examples", () => {
    it('verifies the GET Object example with a Range header', () => {
      const req: SignedRequest = {
        method: 'GET',
        url: '/test.txt',
        rawHeaders: raw({
          Host: HOST,
          Range: 'bytes=0-9',
          'x-amz-content-sha256': EMPTY_SHA256,
          'x-amz-date': '20130524T000000Z',
          Authorization: authHeader(
            'host;range;x-amz-content-sha256;x-amz-date',
            'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
          ),
        }),
      };
      const result = verifyRequest(req, options);
      assert.equal(result.accessKeyId, TEST_ACCESS_KEY);
      assert.deepEqual(result.payload, { kind: 'sha256', hash: EMPTY_SHA256 });
    });

    it('verifies the PUT Object example whose key needs encoding ($)', () => {
      const req: SignedRequest = {
        method: 'PUT',
        url: '/test$file.text',
        rawHeaders: raw({
          Host: HOST,
          Date: 'Fri, 24 May 2013 00:00:00 GMT',
          'x-amz-date': '20130524T000000Z',
          'x-amz-storage-class': 'REDUCED_REDUNDANCY',
          'x-amz-content-sha256': '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072',
          Authorization: authHeader(
            'date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class',
            '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd',
          ),
        }),
      };
      assert.equal(verifyRequest(req, options).via, 'header');
    });

    it('verifies the GET Bucket Lifecycle example (a subresource without a value)', () => {
      const req: SignedRequest = {
        method: 'GET',
        url: '/?lifecycle',
        rawHeaders: raw({
          Host: HOST,
          'x-amz-date': '20130524T000000Z',
          'x-amz-content-sha256': EMPTY_SHA256,
          Authorization: authHeader(
            'host;x-amz-content-sha256;x-amz-date',
            'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543',
          ),
        }),
      };
      assert.equal(verifyRequest(req, options).accessKeyId, TEST_ACCESS_KEY);
    });

    it('verifies the GET Bucket example with query parameters in any order', () => {
      const req: SignedRequest = {
        method: 'GET',
        url: '/?prefix=J&max-keys=2',
        rawHeaders: raw({
          Host: HOST,
          'x-amz-date': '20130524T000000Z',
          'x-amz-content-sha256': EMPTY_SHA256,
          Authorization: authHeader(
            'host;x-amz-content-sha256;x-amz-date',
            '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7',
          ),
        }),
      };
      assert.equal(verifyRequest(req, options).accessKeyId, TEST_ACCESS_KEY);
    });

    it('verifies the presigned URL example while it is valid and refuses it after it expired', () => {
      const url =
        '/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
        '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
        '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
      const req: SignedRequest = { method: 'GET', url, rawHeaders: raw({ Host: HOST }) };
      assert.equal(
        verifyRequest(req, { ...options, now: new Date('2013-05-24T12:00:00Z') }).via,
        'presigned',
      );
      expectS3Error(
        () => verifyRequest(req, { ...options, now: new Date('2013-05-25T00:00:01Z') }),
        'AccessDenied',
      );
    });

    it('verifies the streaming PUT example: seed signature and every chunk signature', async () => {
      const body = Buffer.alloc(66560, 'a');
      const req: SignedRequest = {
        method: 'PUT',
        url: '/examplebucket/chunkObject.txt',
        rawHeaders: raw({
          Host: 's3.amazonaws.com',
          'x-amz-date': '20130524T000000Z',
          'x-amz-storage-class': 'REDUCED_REDUNDANCY',
          Authorization: authHeader(
            'content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class',
            '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
          ),
          'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
          'Content-Encoding': 'aws-chunked',
          'x-amz-decoded-content-length': '66560',
          'Content-Length': '66824',
        }),
      };
      const result = verifyRequest(req, options);
      assert.equal(result.payload.kind, 'chunked-signed');
      if (result.payload.kind !== 'chunked-signed') return;
      const encoded = encodeSignedChunks(body, 65536, result.payload.signing);
      assert.equal(encoded.length, 66824);
      const text = encoded.toString('latin1');
      // The chunk signatures AWS lists for this example.
      assert.ok(
        text.startsWith(
          '10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n',
        ),
      );
      assert.ok(
        text.includes(
          '400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n',
        ),
      );
      assert.ok(
        text.includes(
          '0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n',
        ),
      );
      const out: AwsChunkedResult = { trailers: new Map(), decodedLength: 0 };
      const decoded = await collect(
        decodeAwsChunked(pieces(encoded, 1000), { signing: result.payload.signing, trailer: false }, out),
      );
      assert.ok(decoded.equals(body));
      assert.equal(out.decodedLength, 66560);
    });
  });

  describe('refusals', () => {
    const base = {
      Host: HOST,
      Range: 'bytes=0-9',
      'x-amz-content-sha256': EMPTY_SHA256,
      'x-amz-date': '20130524T000000Z',
    };
    const goodSig = 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41';
    const signed = 'host;range;x-amz-content-sha256;x-amz-date';

    it('refuses a tampered signed header with SignatureDoesNotMatch', () => {
      const req = {
        method: 'GET',
        url: '/test.txt',
        rawHeaders: raw({ ...base, Range: 'bytes=0-10', Authorization: authHeader(signed, goodSig) }),
      };
      expectS3Error(() => verifyRequest(req, options), 'SignatureDoesNotMatch');
    });

    it('refuses a wrong secret with SignatureDoesNotMatch', () => {
      const req = {
        method: 'GET',
        url: '/test.txt',
        rawHeaders: raw({ ...base, Authorization: authHeader(signed, goodSig) }),
      };
      expectS3Error(
        () => verifyRequest(req, { ...options, secretFor: () => 'not-the-secret' }),
        'SignatureDoesNotMatch',
      );
    });

    it('refuses an unknown access key with InvalidAccessKeyId', () => {
      const req = {
        method: 'GET',
        url: '/test.txt',
        rawHeaders: raw({ ...base, Authorization: authHeader(signed, goodSig) }),
      };
      expectS3Error(
        () => verifyRequest(req, { ...options, secretFor: () => undefined }),
        'InvalidAccessKeyId',
      );
    });

    it('refuses a request more than 15 minutes off with RequestTimeTooSkewed', () => {
      const req = {
        method: 'GET',
        url: '/test.txt',
        rawHeaders: raw({ ...base, Authorization: authHeader(signed, goodSig) }),
      };
      assert.equal(
        verifyRequest(req, { ...options, now: new Date(AWS_DATE.getTime() + 14 * 60_000) }).via,
        'header',
      );
      expectS3Error(
        () => verifyRequest(req, { ...options, now: new Date(AWS_DATE.getTime() + 16 * 60_000) }),
        'RequestTimeTooSkewed',
      );
      expectS3Error(
        () => verifyRequest(req, { ...options, now: new Date(AWS_DATE.getTime() - 16 * 60_000) }),
        'RequestTimeTooSkewed',
      );
    });

    it('refuses an unsigned request unless anonymous access is enabled', () => {
      const req = { method: 'GET', url: '/test.txt', rawHeaders: raw({ Host: HOST }) };
      expectS3Error(() => verifyRequest(req, options), 'AccessDenied');
      assert.equal(verifyRequest(req, { ...options, allowAnonymous: true }).via, 'anonymous');
    });

    it('refuses a signature that does not cover the host header', () => {
      const req = {
        method: 'GET',
        url: '/test.txt',
        rawHeaders: raw({
          ...base,
          Authorization: authHeader('range;x-amz-content-sha256;x-amz-date', goodSig),
        }),
      };
      expectS3Error(() => verifyRequest(req, options), 'AuthorizationHeaderMalformed');
    });

    it('refuses a request without x-amz-content-sha256', () => {
      const { 'x-amz-content-sha256': _omit, ...rest } = base;
      const req = {
        method: 'GET',
        url: '/test.txt',
        rawHeaders: raw({ ...rest, Authorization: authHeader(signed, goodSig) }),
      };
      expectS3Error(() => verifyRequest(req, options), 'InvalidRequest');
    });

    it('refuses a presigned URL whose X-Amz-Expires exceeds seven days', async () => {
      // The SDK refuses to sign such a URL, so one is edited (the check comes before the signature's).
      const valid = await presignTarget(
        { method: 'GET', host: HOST, path: '/k' },
        { expiresIn: 604800, date: AWS_DATE },
      );
      const target = valid.replace('X-Amz-Expires=604800', 'X-Amz-Expires=604801');
      assert.notEqual(target, valid);
      expectS3Error(
        () => verifyRequest({ method: 'GET', url: target, rawHeaders: raw({ Host: HOST }) }, options),
        'AuthorizationQueryParametersError',
      );
    });
  });

  describe('requests signed by the AWS SDK signer (@smithy/signature-v4)', () => {
    const now = new Date();
    const live: VerifyOptions = { ...options, now };

    it('verifies keys with spaces, unicode, plus signs and reserved characters', async () => {
      for (const key of [
        'a b.txt',
        'dir/ünïcødé.bin',
        'x+y=z&w.txt',
        "it's (1)*!.txt",
        'tilde~under_score-dash.txt',
      ]) {
        const path = '/bucket/' + key.split('/').map(encodeURIComponent).join('/');
        const headers = await signHeaders(
          { method: 'PUT', host: 'localhost:9000', path, headers: { 'content-type': 'text/plain' } },
          { payloadHash: 'UNSIGNED-PAYLOAD', date: now },
        );
        const result = verifyRequest({ method: 'PUT', url: path, rawHeaders: raw(headers) }, live);
        assert.equal(result.accessKeyId, TEST_ACCESS_KEY, key);
      }
    });

    it('verifies query parameters that need encoding, and refuses them when one is changed', async () => {
      const query = { prefix: 'a b/c+d', delimiter: '/', 'list-type': '2', 'continuation-token': 'x/y=' };
      const headers = await signHeaders(
        { method: 'GET', host: 'h', path: '/bucket', query },
        { payloadHash: EMPTY_SHA256, date: now },
      );
      const qs = Object.entries(query)
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
        .join('&');
      assert.equal(
        verifyRequest({ method: 'GET', url: `/bucket?${qs}`, rawHeaders: raw(headers) }, live).via,
        'header',
      );
      const tampered = qs.replace('delimiter=%2F', 'delimiter=-');
      expectS3Error(
        () => verifyRequest({ method: 'GET', url: `/bucket?${tampered}`, rawHeaders: raw(headers) }, live),
        'SignatureDoesNotMatch',
      );
    });

    it('verifies a presigned PUT and refuses it with another method', async () => {
      const target = await presignTarget(
        { method: 'PUT', host: 'h', path: '/bucket/key' },
        { expiresIn: 60, date: now },
      );
      assert.equal(
        verifyRequest({ method: 'PUT', url: target, rawHeaders: raw({ host: 'h' }) }, live).payload.kind,
        'unsigned',
      );
      expectS3Error(
        () => verifyRequest({ method: 'GET', url: target, rawHeaders: raw({ host: 'h' }) }, live),
        'SignatureDoesNotMatch',
      );
    });

    it('refuses a presigned URL signed with another secret', async () => {
      const target = await presignTarget(
        { method: 'GET', host: 'h', path: '/bucket/key' },
        { expiresIn: 60, date: now, secret: 'wrong' },
      );
      expectS3Error(
        () => verifyRequest({ method: 'GET', url: target, rawHeaders: raw({ host: 'h' }) }, live),
        'SignatureDoesNotMatch',
      );
    });
  });

  describe('aws-chunked payloads', () => {
    const ctx: ChunkSigningContext = {
      signingKey: deriveSigningKey(TEST_SECRET, '20130524', 'us-east-1', 's3'),
      amzDate: '20130524T000000Z',
      scope: '20130524/us-east-1/s3/aws4_request',
      seedSignature: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
    };
    const body = Buffer.from('the quick brown fox jumps over the lazy dog, '.repeat(500));

    async function decode(
      encoded: Buffer,
      signing: ChunkSigningContext | undefined,
      trailer: boolean,
      pieceSize = 7,
    ): Promise<{ data: Buffer; result: AwsChunkedResult }> {
      const result: AwsChunkedResult = { trailers: new Map(), decodedLength: 0 };
      const data = await collect(decodeAwsChunked(pieces(encoded, pieceSize), { signing, trailer }, result));
      return { data, result };
    }

    async function expectRejects(promise: Promise<unknown>, code: string): Promise<void> {
      await assert.rejects(promise, (err: unknown) => isS3Error(err) && err.code === code);
    }

    it('decodes signed chunks split at every possible boundary', async () => {
      const encoded = encodeSignedChunks(body, 1000, ctx);
      for (const size of [1, 2, 3, 999, 1001, encoded.length]) {
        const { data } = await decode(encoded, ctx, false, size);
        assert.ok(data.equals(body), `piece size ${size}`);
      }
    });

    it('refuses a chunk whose bytes were changed after signing', async () => {
      const encoded = encodeSignedChunks(body, 1000, ctx);
      const tampered = Buffer.from(encoded);
      const at = tampered.indexOf('\r\n') + 10;
      tampered[at] = tampered[at]! ^ 1;
      await expectRejects(decode(tampered, ctx, false), 'SignatureDoesNotMatch');
    });

    it('refuses a stream that ends before its final chunk', async () => {
      const encoded = encodeSignedChunks(body, 1000, ctx);
      await expectRejects(decode(encoded.subarray(0, encoded.length - 200), ctx, false), 'IncompleteBody');
    });

    it('refuses chunks signed with another seed (reordered or spliced streams)', async () => {
      const encoded = encodeSignedChunks(body, 1000, { ...ctx, seedSignature: 'f'.repeat(64) });
      await expectRejects(decode(encoded, ctx, false), 'SignatureDoesNotMatch');
    });

    it('reads a signed trailer and checks its signature', async () => {
      const encoded = encodeSignedChunks(body, 4096, ctx, { 'x-amz-checksum-crc32': 'AAAAAA==' });
      const { data, result } = await decode(encoded, ctx, true);
      assert.ok(data.equals(body));
      assert.equal(result.trailers.get('x-amz-checksum-crc32'), 'AAAAAA==');
      const forged = Buffer.from(encoded.toString('latin1').replace('AAAAAA==', 'AAAAAB=='), 'latin1');
      await expectRejects(decode(forged, ctx, true), 'SignatureDoesNotMatch');
    });

    it('reads unsigned chunks with a trailer', async () => {
      const encoded = encodeUnsignedChunks(body, 8192, { 'x-amz-checksum-crc32c': 'abcd==' });
      const { data, result } = await decode(encoded, undefined, true, 13);
      assert.ok(data.equals(body));
      assert.equal(result.trailers.get('x-amz-checksum-crc32c'), 'abcd==');
    });

    it('refuses bytes after the end of the payload and malformed sizes', async () => {
      const encoded = Buffer.concat([encodeUnsignedChunks(body, 8192, {}), Buffer.from('junk')]);
      await expectRejects(decode(encoded, undefined, true), 'InvalidRequest');
      await expectRejects(decode(Buffer.from('zz\r\nabc\r\n0\r\n\r\n'), undefined, true), 'InvalidRequest');
    });
  });
});
