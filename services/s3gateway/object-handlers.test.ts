import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { bodyBytes, bodyText, startTestGateway, type TestGateway } from './test-gateway.ts';

function md5Hex(data: string | Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

async function rejectsWith(
  promise: Promise<unknown>,
  name: string,
  status?: number,
): Promise<S3ServiceException> {
  let caught: S3ServiceException | undefined;
  await assert.rejects(promise, (err: S3ServiceException) => {
    caught = err;
    return (
      (name === '' || err.name === name) && (status === undefined || err.$metadata.httpStatusCode === status)
    );
  });
  return caught!;
}

describe('s3gateway objects', () => {
  let t: TestGateway;
  const Bucket = 'master.data';

  beforeEach(async () => {
    t = await startTestGateway();
    await t.client.send(new CreateBucketCommand({ Bucket }));
  });
  afterEach(async () => {
    await t.stop();
  });

  async function put(
    Key: string,
    Body: string | Buffer,
    extra: Record<string, unknown> = {},
  ): Promise<string> {
    const out = await t.client.send(new PutObjectCommand({ Bucket, Key, Body, ...extra }));
    return out.VersionId!;
  }

  it('stores an object as one commit and reads back its bytes, MD5 ETag, type, length and metadata', async () => {
    const before = t.pfs.modifyCalls;
    const out = await t.client.send(
      new PutObjectCommand({
        Bucket,
        Key: 'dir/hello.txt',
        Body: 'hello world',
        ContentType: 'text/plain',
        Metadata: { owner: 'ada', 'x-y': 'z' },
      }),
    );
    assert.equal(out.ETag, `"${md5Hex('hello world')}"`);
    assert.match(out.VersionId ?? '', /^[0-9a-f]{32}$/);
    assert.equal(t.pfs.modifyCalls, before + 1);
    const got = await t.client.send(new GetObjectCommand({ Bucket, Key: 'dir/hello.txt' }));
    assert.equal(await bodyText(got.Body), 'hello world');
    assert.equal(got.ETag, out.ETag);
    assert.equal(got.ContentType, 'text/plain');
    assert.equal(got.ContentLength, 11);
    assert.deepEqual(got.Metadata, { owner: 'ada', 'x-y': 'z' });
    assert.ok(got.LastModified instanceof Date && Math.abs(got.LastModified.getTime() - Date.now()) < 60_000);
    assert.equal(got.VersionId, out.VersionId);
    const head = await t.client.send(new HeadObjectCommand({ Bucket, Key: 'dir/hello.txt' }));
    assert.equal(head.ContentLength, 11);
    assert.equal(head.ETag, out.ETag);
  });

  it('gives the same ETag on every read and a new one when the bytes change', async () => {
    await put('k', 'one');
    const a = await t.client.send(new HeadObjectCommand({ Bucket, Key: 'k' }));
    const b = await t.client.send(new HeadObjectCommand({ Bucket, Key: 'k' }));
    assert.equal(a.ETag, b.ETag);
    await put('k', 'two');
    const c = await t.client.send(new HeadObjectCommand({ Bucket, Key: 'k' }));
    assert.notEqual(c.ETag, a.ETag);
  });

  it('stores an empty object', async () => {
    await put('empty', '');
    const got = await t.client.send(new GetObjectCommand({ Bucket, Key: 'empty' }));
    assert.equal(got.ContentLength, 0);
    assert.equal(await bodyText(got.Body), '');
    assert.equal(got.ETag, `"${md5Hex('')}"`);
  });

  it('refuses a body whose Content-MD5 does not match with BadDigest and writes nothing', async () => {
    const before = t.pfs.modifyCalls;
    await rejectsWith(
      t.client.send(
        new PutObjectCommand({
          Bucket,
          Key: 'bad',
          Body: 'payload',
          ContentMD5: Buffer.from(md5Hex('other'), 'hex').toString('base64'),
        }),
      ),
      'BadDigest',
      400,
    );
    assert.equal(t.pfs.modifyCalls, before);
    await rejectsWith(t.client.send(new HeadObjectCommand({ Bucket, Key: 'bad' })), 'NotFound', 404);
    await t.client.send(
      new PutObjectCommand({
        Bucket,
        Key: 'good',
        Body: 'payload',
        ContentMD5: Buffer.from(md5Hex('payload'), 'hex').toString('base64'),
      }),
    );
  });

  it('creates only when absent with If-None-Match: *', async () => {
    await t.client.send(new PutObjectCommand({ Bucket, Key: 'once', Body: 'first', IfNoneMatch: '*' }));
    const before = t.pfs.modifyCalls;
    await rejectsWith(
      t.client.send(new PutObjectCommand({ Bucket, Key: 'once', Body: 'second', IfNoneMatch: '*' })),
      'PreconditionFailed',
      412,
    );
    assert.equal(t.pfs.modifyCalls, before);
    assert.equal(
      await bodyText((await t.client.send(new GetObjectCommand({ Bucket, Key: 'once' }))).Body),
      'first',
    );
  });

  it('serves byte ranges: closed, open, suffix, clamped, and 416 past the end', async () => {
    await put('r', '0123456789');
    const read = async (Range: string) => t.client.send(new GetObjectCommand({ Bucket, Key: 'r', Range }));
    const closed = await read('bytes=2-4');
    assert.equal(await bodyText(closed.Body), '234');
    assert.equal(closed.ContentRange, 'bytes 2-4/10');
    assert.equal(closed.$metadata.httpStatusCode, 206);
    assert.equal(await bodyText((await read('bytes=7-')).Body), '789');
    const suffix = await read('bytes=-3');
    assert.equal(await bodyText(suffix.Body), '789');
    assert.equal(suffix.ContentRange, 'bytes 7-9/10');
    assert.equal(await bodyText((await read('bytes=-30')).Body), '0123456789');
    assert.equal(await bodyText((await read('bytes=8-100')).Body), '89');
    const err = await rejectsWith(read('bytes=10-'), 'InvalidRange', 416);
    assert.equal(err.$metadata.httpStatusCode, 416);
  });

  it('answers conditional reads with 304 and 412', async () => {
    await put('c', 'conditional');
    const head = await t.client.send(new HeadObjectCommand({ Bucket, Key: 'c' }));
    const etag = head.ETag!;
    const future = new Date(Date.now() + 3600_000);
    const past = new Date(Date.now() - 3600_000);
    await rejectsWith(t.client.send(new GetObjectCommand({ Bucket, Key: 'c', IfNoneMatch: etag })), '', 304);
    await rejectsWith(
      t.client.send(new GetObjectCommand({ Bucket, Key: 'c', IfMatch: '"0123"' })),
      'PreconditionFailed',
      412,
    );
    await rejectsWith(
      t.client.send(new GetObjectCommand({ Bucket, Key: 'c', IfModifiedSince: future })),
      '',
      304,
    );
    await rejectsWith(
      t.client.send(new GetObjectCommand({ Bucket, Key: 'c', IfUnmodifiedSince: past })),
      'PreconditionFailed',
      412,
    );
    assert.equal(
      await bodyText((await t.client.send(new GetObjectCommand({ Bucket, Key: 'c', IfMatch: etag }))).Body),
      'conditional',
    );
    assert.equal(
      await bodyText(
        (await t.client.send(new GetObjectCommand({ Bucket, Key: 'c', IfModifiedSince: past }))).Body,
      ),
      'conditional',
    );
    // If-Match that holds wins over If-Unmodified-Since that does not (S3's rule).
    assert.equal(
      await bodyText(
        (
          await t.client.send(
            new GetObjectCommand({ Bucket, Key: 'c', IfMatch: etag, IfUnmodifiedSince: past }),
          )
        ).Body,
      ),
      'conditional',
    );
  });

  it('answers NoSuchKey for missing keys, directories and keys that cannot exist', async () => {
    await put('a/b', 'x');
    await rejectsWith(t.client.send(new GetObjectCommand({ Bucket, Key: 'missing' })), 'NoSuchKey', 404);
    await rejectsWith(t.client.send(new GetObjectCommand({ Bucket, Key: 'a' })), 'NoSuchKey', 404);
    await rejectsWith(t.client.send(new GetObjectCommand({ Bucket, Key: 'a//b' })), 'NoSuchKey', 404);
    await rejectsWith(
      t.client.send(new GetObjectCommand({ Bucket: 'master.nope', Key: 'x' })),
      'NoSuchBucket',
      404,
    );
  });

  it('stores keys with spaces, plus signs, unicode and reserved characters', async () => {
    const keys = [
      'with space.txt',
      'a+b=c&d.txt',
      'ünïcødé/日本語.bin',
      "quote'(paren)*!.txt",
      'tilde~x/semi;colon:at@.txt',
    ];
    for (const key of keys) await put(key, `body of ${key}`);
    for (const key of keys)
      assert.equal(
        await bodyText((await t.client.send(new GetObjectCommand({ Bucket, Key: key }))).Body),
        `body of ${key}`,
      );
    const listed = await t.client.send(new ListObjectsV2Command({ Bucket }));
    assert.deepEqual(listed.Contents?.map((c) => c.Key).sort(), [...keys].sort());
  });

  it('refuses keys that pfs cannot store with InvalidArgument', async () => {
    for (const key of ['dir/', 'a//b', 'a/./b', 'a/../b']) {
      await rejectsWith(
        t.client.send(new PutObjectCommand({ Bucket, Key: key, Body: 'x' })),
        'InvalidArgument',
        400,
      );
    }
  });

  it('reads an older version by versionId and from a commit-pinned bucket after the branch moved', async () => {
    const v1 = await put('doc', 'version one');
    const v2 = await put('doc', 'version two');
    assert.notEqual(v1, v2);
    assert.equal(
      await bodyText((await t.client.send(new GetObjectCommand({ Bucket, Key: 'doc', VersionId: v1 }))).Body),
      'version one',
    );
    assert.equal(
      await bodyText((await t.client.send(new GetObjectCommand({ Bucket, Key: 'doc' }))).Body),
      'version two',
    );
    const pinned = `${v1}.master.data`;
    assert.equal(
      await bodyText((await t.client.send(new GetObjectCommand({ Bucket: pinned, Key: 'doc' }))).Body),
      'version one',
    );
    const before = t.pfs.modifyCalls;
    await rejectsWith(
      t.client.send(new PutObjectCommand({ Bucket: pinned, Key: 'doc', Body: 'nope' })),
      'AccessDenied',
      403,
    );
    assert.equal(t.pfs.modifyCalls, before);
    await rejectsWith(
      t.client.send(new GetObjectCommand({ Bucket, Key: 'doc', VersionId: 'f'.repeat(32) })),
      'NoSuchVersion',
      404,
    );
    await rejectsWith(
      t.client.send(new GetObjectCommand({ Bucket, Key: 'doc', VersionId: 'not-a-version' })),
      'InvalidArgument',
      400,
    );
  });

  it('copies by reference, keeping or replacing metadata', async () => {
    await put('src', 'copied bytes', { ContentType: 'text/x-src', Metadata: { a: '1' } });
    const copy = await t.client.send(
      new CopyObjectCommand({ Bucket, Key: 'dst', CopySource: `${Bucket}/src` }),
    );
    assert.equal(copy.CopyObjectResult?.ETag, `"${md5Hex('copied bytes')}"`);
    const got = await t.client.send(new GetObjectCommand({ Bucket, Key: 'dst' }));
    assert.equal(await bodyText(got.Body), 'copied bytes');
    assert.equal(got.ContentType, 'text/x-src');
    assert.deepEqual(got.Metadata, { a: '1' });
    await t.client.send(
      new CopyObjectCommand({
        Bucket,
        Key: 'dst2',
        CopySource: `${Bucket}/src`,
        MetadataDirective: 'REPLACE',
        ContentType: 'text/new',
        Metadata: { b: '2' },
      }),
    );
    const replaced = await t.client.send(new HeadObjectCommand({ Bucket, Key: 'dst2' }));
    assert.equal(replaced.ContentType, 'text/new');
    assert.deepEqual(replaced.Metadata, { b: '2' });
    assert.equal(replaced.ETag, copy.CopyObjectResult?.ETag);
    await rejectsWith(
      t.client.send(new CopyObjectCommand({ Bucket, Key: 'src', CopySource: `${Bucket}/src` })),
      'InvalidRequest',
      400,
    );
    await rejectsWith(
      t.client.send(new CopyObjectCommand({ Bucket, Key: 'x', CopySource: `${Bucket}/missing` })),
      'NoSuchKey',
      404,
    );
    await rejectsWith(
      t.client.send(
        new CopyObjectCommand({ Bucket, Key: 'x', CopySource: `${Bucket}/src`, CopySourceIfMatch: '"nope"' }),
      ),
      'PreconditionFailed',
      412,
    );
  });

  it('copies across buckets and from an older version', async () => {
    await t.client.send(new CreateBucketCommand({ Bucket: 'master.other' }));
    const v1 = await put('k', 'old');
    await put('k', 'new');
    await t.client.send(
      new CopyObjectCommand({ Bucket: 'master.other', Key: 'k', CopySource: `${Bucket}/k?versionId=${v1}` }),
    );
    assert.equal(
      await bodyText((await t.client.send(new GetObjectCommand({ Bucket: 'master.other', Key: 'k' }))).Body),
      'old',
    );
  });

  it('deletes an object, and deleting a missing key succeeds without a commit', async () => {
    await put('gone', 'x');
    await put('gone2/child', 'y');
    await t.client.send(new DeleteObjectCommand({ Bucket, Key: 'gone' }));
    await rejectsWith(t.client.send(new HeadObjectCommand({ Bucket, Key: 'gone' })), 'NotFound', 404);
    const before = t.pfs.modifyCalls;
    await t.client.send(new DeleteObjectCommand({ Bucket, Key: 'never-was' }));
    // "gone2" is a directory here: deleting the key "gone2" must not touch "gone2/child".
    await t.client.send(new DeleteObjectCommand({ Bucket, Key: 'gone2' }));
    assert.equal(t.pfs.modifyCalls, before);
    assert.equal(
      await bodyText((await t.client.send(new GetObjectCommand({ Bucket, Key: 'gone2/child' }))).Body),
      'y',
    );
  });

  it('deletes a batch in one commit and reports each key, or only errors when quiet', async () => {
    for (const k of ['a', 'b', 'c/d']) await put(k, k);
    const before = t.pfs.modifyCalls;
    const out = await t.client.send(
      new DeleteObjectsCommand({
        Bucket,
        Delete: {
          Objects: [
            { Key: 'a' },
            { Key: 'c/d' },
            { Key: 'missing' },
            { Key: 'b', VersionId: 'f'.repeat(32) },
          ],
        },
      }),
    );
    assert.equal(t.pfs.modifyCalls, before + 1);
    assert.deepEqual(out.Deleted?.map((d) => d.Key).sort(), ['a', 'c/d', 'missing']);
    assert.deepEqual(
      out.Errors?.map((e) => [e.Key, e.Code]),
      [['b', 'NotImplemented']],
    );
    const quiet = await t.client.send(
      new DeleteObjectsCommand({ Bucket, Delete: { Quiet: true, Objects: [{ Key: 'b' }] } }),
    );
    assert.equal(quiet.Deleted, undefined);
    const left = await t.client.send(new ListObjectsV2Command({ Bucket }));
    assert.equal(left.KeyCount, 0);
  });

  it('returns response-* overrides and refuses unsupported write headers', async () => {
    await put('o', 'x');
    const got = await t.client.send(
      new GetObjectCommand({
        Bucket,
        Key: 'o',
        ResponseContentType: 'application/json',
        ResponseContentDisposition: 'attachment',
      }),
    );
    assert.equal(got.ContentType, 'application/json');
    assert.equal(got.ContentDisposition, 'attachment');
    await rejectsWith(
      t.client.send(new PutObjectCommand({ Bucket, Key: 'o', Body: 'x', Tagging: 'a=b' })),
      'NotImplemented',
      501,
    );
    await rejectsWith(
      t.client.send(new PutObjectCommand({ Bucket, Key: 'o', Body: 'x', ACL: 'public-read' })),
      'NotImplemented',
      501,
    );
  });

  it('streams a large object through in pieces', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    await put('big', big);
    const got = await t.client.send(new GetObjectCommand({ Bucket, Key: 'big' }));
    assert.ok((await bodyBytes(got.Body)).equals(big));
    const part = await t.client.send(
      new GetObjectCommand({ Bucket, Key: 'big', Range: 'bytes=1048570-1048590' }),
    );
    assert.ok((await bodyBytes(part.Body)).equals(big.subarray(1048570, 1048591)));
  });

  it('accepts uploads with the SDK default checksums (aws-chunked with a trailing CRC32)', async () => {
    const client = t.clientWith({
      requestChecksumCalculation: 'WHEN_SUPPORTED',
      responseChecksumValidation: 'WHEN_SUPPORTED',
    });
    const out = await client.send(new PutObjectCommand({ Bucket, Key: 'ck', Body: 'checksummed body' }));
    assert.ok(out.ChecksumCRC32, 'the gateway echoes the verified checksum');
    const got = await client.send(new GetObjectCommand({ Bucket, Key: 'ck', ChecksumMode: 'ENABLED' }));
    assert.equal(await bodyText(got.Body), 'checksummed body');
    assert.equal(got.ChecksumCRC32, out.ChecksumCRC32);
  });
});
