import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  GetBucketAclCommand,
  GetBucketLocationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { deriveSigningKey, formatAmzDate } from './sigv4.ts';
import { bodyText, errorCode, rawRequest, startTestGateway, type TestGateway } from './test-gateway.ts';
import {
  encodeSignedChunks,
  encodeUnsignedChunks,
  presignTarget,
  sha256Hex,
  signHeaders,
  TEST_ACCESS_KEY,
  TEST_SECRET,
} from './test-signing.ts';

describe('s3gateway buckets', () => {
  let t: TestGateway;
  beforeEach(async () => {
    t = await startTestGateway();
  });
  afterEach(async () => {
    await t.stop();
  });

  it('creates a bucket as a repo and branch and lists it as branch.repo', async () => {
    await t.client.send(new CreateBucketCommand({ Bucket: 'master.images' }));
    await t.client.send(new CreateBucketCommand({ Bucket: 'dev.images' }));
    assert.deepEqual(await t.pfs.inspectRepo('images').then((r) => r.branches), ['dev', 'master']);
    const list = await t.client.send(new ListBucketsCommand({}));
    assert.deepEqual(
      list.Buckets?.map((b) => b.Name),
      ['dev.images', 'master.images'],
    );
    await t.client.send(new HeadBucketCommand({ Bucket: 'images' })); // bare repo = master.images
    await assert.rejects(t.client.send(new CreateBucketCommand({ Bucket: 'dev.images' })), {
      name: 'BucketAlreadyOwnedByYou',
    });
    await assert.rejects(t.client.send(new HeadBucketCommand({ Bucket: 'master.nothing' })), {
      name: 'NotFound',
    });
  });

  it('refuses bucket names that are not repo, branch.repo or commit.branch.repo', async () => {
    for (const Bucket of ['a.b.c.d', 'nothex.master.repo', '-x.repo']) {
      await assert.rejects(
        t.client.send(new CreateBucketCommand({ Bucket })),
        { name: 'InvalidBucketName' },
        Bucket,
      );
    }
  });

  it('deletes only an empty bucket, and the repo with its last branch', async () => {
    await t.client.send(new CreateBucketCommand({ Bucket: 'master.r' }));
    await t.client.send(new PutObjectCommand({ Bucket: 'master.r', Key: 'k', Body: 'x' }));
    await assert.rejects(t.client.send(new DeleteBucketCommand({ Bucket: 'master.r' })), {
      name: 'BucketNotEmpty',
    });
    await t.client.send(new CreateBucketCommand({ Bucket: 'empty.r' }));
    await t.client.send(new DeleteBucketCommand({ Bucket: 'empty.r' }));
    assert.deepEqual((await t.pfs.inspectRepo('r')).branches, ['master']);
    await t.client.send(new CreateBucketCommand({ Bucket: 'master.solo' }));
    await t.client.send(new DeleteBucketCommand({ Bucket: 'master.solo' }));
    await assert.rejects(t.pfs.inspectRepo('solo'), { code: 'not_found' });
  });

  it('reports versioning as enabled and refuses to suspend it', async () => {
    await t.client.send(new CreateBucketCommand({ Bucket: 'master.v' }));
    assert.equal(
      (await t.client.send(new GetBucketVersioningCommand({ Bucket: 'master.v' }))).Status,
      'Enabled',
    );
    await t.client.send(
      new PutBucketVersioningCommand({ Bucket: 'master.v', VersioningConfiguration: { Status: 'Enabled' } }),
    );
    await assert.rejects(
      t.client.send(
        new PutBucketVersioningCommand({
          Bucket: 'master.v',
          VersioningConfiguration: { Status: 'Suspended' },
        }),
      ),
      { name: 'NotImplemented' },
    );
    const location = await t.client.send(new GetBucketLocationCommand({ Bucket: 'master.v' }));
    assert.equal(location.LocationConstraint, undefined);
  });

  it('answers NotImplemented for unsupported subresources and MethodNotAllowed for other methods', async () => {
    await t.client.send(new CreateBucketCommand({ Bucket: 'master.n' }));
    const tagging = await t.client
      .send(new GetBucketTaggingCommand({ Bucket: 'master.n' }))
      .catch((e: unknown) => e as { name: string; $metadata: { httpStatusCode: number } });
    assert.equal((tagging as { name: string }).name, 'NotImplemented');
    assert.equal((tagging as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode, 501);
    await assert.rejects(t.client.send(new GetBucketAclCommand({ Bucket: 'master.n' })), {
      name: 'NotImplemented',
    });
    const headers = await signHeaders(
      { method: 'PATCH', host: t.host, path: '/master.n/k' },
      { payloadHash: sha256Hex('') },
    );
    const res = await rawRequest(t.gateway.port, { method: 'PATCH', path: '/master.n/k', headers });
    assert.equal(res.status, 405);
    assert.equal(errorCode(res.body), 'MethodNotAllowed');
    assert.ok(res.headers['x-amz-request-id']);
    assert.match(res.body.toString(), /<RequestId>[0-9A-F]{16}<\/RequestId>/);
  });
});

describe('s3gateway authentication', () => {
  let t: TestGateway;
  const Bucket = 'master.auth';
  beforeEach(async () => {
    t = await startTestGateway();
    await t.client.send(new CreateBucketCommand({ Bucket }));
  });
  afterEach(async () => {
    await t.stop();
  });

  async function absent(Key: string): Promise<void> {
    await assert.rejects(t.client.send(new HeadObjectCommand({ Bucket, Key })), { name: 'NotFound' });
  }

  it('refuses a wrong secret and an unknown access key, writing nothing', async () => {
    const before = t.pfs.modifyCalls;
    const wrong = t.clientWith({
      credentials: { accessKeyId: TEST_ACCESS_KEY, secretAccessKey: 'not-the-secret' },
    });
    await assert.rejects(wrong.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'x' })), {
      name: 'SignatureDoesNotMatch',
    });
    const unknown = t.clientWith({ credentials: { accessKeyId: 'NOBODY', secretAccessKey: TEST_SECRET } });
    await assert.rejects(unknown.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'x' })), {
      name: 'InvalidAccessKeyId',
    });
    assert.equal(t.pfs.modifyCalls, before);
    await absent('k');
  });

  it('refuses a request whose signed header was changed in transit, writing nothing', async () => {
    const path = `/${Bucket}/tampered`;
    const headers = await signHeaders(
      { method: 'PUT', host: t.host, path, headers: { 'content-type': 'text/plain' } },
      { payloadHash: 'UNSIGNED-PAYLOAD' },
    );
    const res = await rawRequest(t.gateway.port, {
      method: 'PUT',
      path,
      headers: { ...headers, 'content-type': 'text/html' },
      body: Buffer.from('x'),
    });
    assert.equal(res.status, 403);
    assert.equal(errorCode(res.body), 'SignatureDoesNotMatch');
    await absent('tampered');
    const ok = await rawRequest(t.gateway.port, { method: 'PUT', path, headers, body: Buffer.from('x') });
    assert.equal(ok.status, 200);
  });

  it('refuses a body that does not match its signed SHA-256, writing nothing', async () => {
    const path = `/${Bucket}/sha`;
    const headers = await signHeaders(
      { method: 'PUT', host: t.host, path },
      { payloadHash: sha256Hex('expected') },
    );
    const before = t.pfs.modifyCalls;
    const res = await rawRequest(t.gateway.port, {
      method: 'PUT',
      path,
      headers,
      body: Buffer.from('tampered'),
    });
    assert.equal(res.status, 400);
    assert.equal(errorCode(res.body), 'XAmzContentSHA256Mismatch');
    assert.equal(t.pfs.modifyCalls, before);
    await absent('sha');
    const ok = await rawRequest(t.gateway.port, {
      method: 'PUT',
      path,
      headers,
      body: Buffer.from('expected'),
    });
    assert.equal(ok.status, 200);
  });

  it('serves presigned GET and PUT URLs and refuses them once expired', async () => {
    await t.client.send(new PutObjectCommand({ Bucket, Key: 'shared.txt', Body: 'shared' }));
    const get = await presignTarget(
      { method: 'GET', host: t.host, path: `/${Bucket}/shared.txt` },
      { expiresIn: 60 },
    );
    const res = await rawRequest(t.gateway.port, { method: 'GET', path: get, headers: { host: t.host } });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'shared');
    const put = await presignTarget(
      { method: 'PUT', host: t.host, path: `/${Bucket}/uploaded.txt` },
      { expiresIn: 60 },
    );
    assert.equal(
      (
        await rawRequest(t.gateway.port, {
          method: 'PUT',
          path: put,
          headers: { host: t.host },
          body: Buffer.from('via url'),
        })
      ).status,
      200,
    );
    assert.equal(
      await bodyText((await t.client.send(new GetObjectCommand({ Bucket, Key: 'uploaded.txt' }))).Body),
      'via url',
    );
    const expiredPut = await presignTarget(
      { method: 'PUT', host: t.host, path: `/${Bucket}/late.txt` },
      { expiresIn: 60, date: new Date(Date.now() - 120_000) },
    );
    const before = t.pfs.modifyCalls;
    const late = await rawRequest(t.gateway.port, {
      method: 'PUT',
      path: expiredPut,
      headers: { host: t.host },
      body: Buffer.from('late'),
    });
    assert.equal(late.status, 403);
    assert.equal(errorCode(late.body), 'AccessDenied');
    assert.equal(t.pfs.modifyCalls, before);
    await absent('late.txt');
  });

  it('refuses a request signed more than 15 minutes ago with RequestTimeTooSkewed', async () => {
    const path = `/${Bucket}/skewed`;
    const headers = await signHeaders(
      { method: 'PUT', host: t.host, path },
      { payloadHash: 'UNSIGNED-PAYLOAD', date: new Date(Date.now() - 16 * 60_000) },
    );
    const res = await rawRequest(t.gateway.port, { method: 'PUT', path, headers, body: Buffer.from('x') });
    assert.equal(res.status, 403);
    assert.equal(errorCode(res.body), 'RequestTimeTooSkewed');
    await absent('skewed');
  });

  async function chunkedPut(
    key: string,
    data: Buffer,
    mutate?: (encoded: Buffer) => Buffer,
    trailer?: boolean,
  ): Promise<{ status: number; code: string | undefined }> {
    const path = `/${Bucket}/${key}`;
    const date = new Date();
    const amzDate = formatAmzDate(date);
    const trailers = trailer ? { 'x-amz-checksum-crc32': crc32Base64(data) } : undefined;
    const encodedLength = encodeSignedChunks(
      data,
      1024,
      { signingKey: Buffer.alloc(32), amzDate, scope: 's', seedSignature: '0'.repeat(64) },
      trailers,
    ).length;
    const extra: Record<string, string> = {
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': String(data.length),
      'content-length': String(encodedLength),
    };
    if (trailer) extra['x-amz-trailer'] = 'x-amz-checksum-crc32';
    const payloadHash = trailer
      ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'
      : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
    const headers = await signHeaders(
      { method: 'PUT', host: t.host, path, headers: extra },
      { payloadHash, date },
    );
    const seedSignature = /Signature=([0-9a-f]{64})/.exec(headers['authorization'] ?? '')![1]!;
    const ctx = {
      signingKey: deriveSigningKey(TEST_SECRET, amzDate.slice(0, 8), 'us-east-1', 's3'),
      amzDate,
      scope: `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`,
      seedSignature,
    };
    let body = encodeSignedChunks(data, 1024, ctx, trailers);
    if (mutate) body = mutate(body);
    const res = await rawRequest(t.gateway.port, { method: 'PUT', path, headers, body });
    return { status: res.status, code: errorCode(res.body) };
  }

  function crc32Base64(data: Buffer): string {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(crc32(data));
    return b.toString('base64');
  }

  it('accepts a chunk-signed streaming upload and refuses one with a changed chunk, writing nothing', async () => {
    const data = Buffer.from('streamed and signed chunk by chunk. '.repeat(100));
    assert.deepEqual(await chunkedPut('streamed', data), { status: 200, code: undefined });
    assert.equal(
      await bodyText((await t.client.send(new GetObjectCommand({ Bucket, Key: 'streamed' }))).Body),
      data.toString(),
    );
    const before = t.pfs.modifyCalls;
    const flip = (encoded: Buffer): Buffer => {
      const copy = Buffer.from(encoded);
      const at = copy.indexOf('streamed and signed', 2000);
      copy[at] = 'S'.charCodeAt(0);
      return copy;
    };
    assert.deepEqual(await chunkedPut('streamed-bad', data, flip), {
      status: 403,
      code: 'SignatureDoesNotMatch',
    });
    assert.equal(t.pfs.modifyCalls, before);
    await absent('streamed-bad');
  });

  it('verifies a signed trailing checksum', async () => {
    const data = Buffer.from('trailer checked '.repeat(200));
    assert.deepEqual(await chunkedPut('trailed', data, undefined, true), { status: 200, code: undefined });
    const got = await t.client.send(
      new HeadObjectCommand({ Bucket, Key: 'trailed', ChecksumMode: 'ENABLED' }),
    );
    assert.equal(got.ChecksumCRC32, crc32Base64(data));
  });

  it('refuses an unsigned streaming upload whose trailing checksum does not match, writing nothing', async () => {
    const path = `/${Bucket}/unsigned-trailer`;
    const data = Buffer.from('unsigned payload with trailer '.repeat(50));
    const send = async (checksum: string) => {
      const body = encodeUnsignedChunks(data, 700, { 'x-amz-checksum-crc32': checksum });
      const headers = await signHeaders(
        {
          method: 'PUT',
          host: t.host,
          path,
          headers: {
            'content-encoding': 'aws-chunked',
            'x-amz-decoded-content-length': String(data.length),
            'x-amz-trailer': 'x-amz-checksum-crc32',
            'content-length': String(body.length),
          },
        },
        { payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' },
      );
      return await rawRequest(t.gateway.port, { method: 'PUT', path, headers, body });
    };
    const before = t.pfs.modifyCalls;
    const bad = await send('AAAAAA==');
    assert.equal(bad.status, 400);
    assert.equal(errorCode(bad.body), 'BadDigest');
    assert.equal(t.pfs.modifyCalls, before);
    await absent('unsigned-trailer');
    assert.equal((await send(crc32Base64(data))).status, 200);
  });

  it('serves anonymous requests only when enabled, and read-only access only for reads', async () => {
    const res = await rawRequest(t.gateway.port, {
      method: 'GET',
      path: `/${Bucket}`,
      headers: { host: t.host },
    });
    assert.equal(res.status, 403);
    assert.equal(errorCode(res.body), 'AccessDenied');
    const ro = await startTestGateway({ anonymous: 'read-only' });
    try {
      await ro.client.send(new CreateBucketCommand({ Bucket }));
      await ro.client.send(new PutObjectCommand({ Bucket, Key: 'pub', Body: 'public' }));
      const got = await rawRequest(ro.gateway.port, {
        method: 'GET',
        path: `/${Bucket}/pub`,
        headers: { host: ro.host },
      });
      assert.equal(got.body.toString(), 'public');
      const put = await rawRequest(ro.gateway.port, {
        method: 'PUT',
        path: `/${Bucket}/anon`,
        headers: { host: ro.host },
        body: Buffer.from('x'),
      });
      assert.equal(put.status, 403);
      // A bad signature is refused even when anonymous access is on.
      const wrong = ro.clientWith({
        credentials: { accessKeyId: TEST_ACCESS_KEY, secretAccessKey: 'wrong-secret' },
      });
      await assert.rejects(wrong.send(new GetObjectCommand({ Bucket, Key: 'pub' })), {
        name: 'SignatureDoesNotMatch',
      });
    } finally {
      await ro.stop();
    }
  });

  it('answers Expect: 100-continue only after authenticating', async () => {
    const data = Buffer.from('continued');
    const path = `/${Bucket}/continued`;
    const headers = await signHeaders(
      { method: 'PUT', host: t.host, path, headers: { expect: '100-continue' } },
      { payloadHash: createHash('sha256').update(data).digest('hex') },
    );
    const res = await rawRequest(t.gateway.port, { method: 'PUT', path, headers, body: data });
    assert.equal(res.status, 200);
    assert.equal(
      await bodyText((await t.client.send(new GetObjectCommand({ Bucket, Key: 'continued' }))).Body),
      'continued',
    );
  });
});
