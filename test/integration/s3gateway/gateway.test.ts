/**
 * The S3 gateway against a real pfs (over gRPC, on the harness's etcd and Swift), driven by
 * @aws-sdk/client-s3: every operation the gateway supports, the refusals that must write nothing,
 * and commit-pinned reads.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { presignTarget, signHeaders } from '../../../services/s3gateway/test-signing.ts';
import { ACCESS_KEY, SECRET, startGatewayOverPfs, type GatewayOverPfs } from './test-gateway.ts';

const md5Hex = (data: string | Buffer): string => createHash('md5').update(data).digest('hex');

async function text(body: unknown): Promise<string> {
  return await (body as { transformToString(): Promise<string> }).transformToString();
}

async function bytes(body: unknown): Promise<Buffer> {
  return Buffer.from(await (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

async function rejectsWith(promise: Promise<unknown>, name: string, status?: number): Promise<void> {
  await assert.rejects(promise, (err: S3ServiceException) => {
    assert.equal(
      err.name,
      name === '' ? err.name : name,
      `expected ${name}, got ${err.name}: ${err.message}`,
    );
    if (status !== undefined) assert.equal(err.$metadata.httpStatusCode, status);
    return true;
  });
}

function raw(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const pieces: Buffer[] = [];
      res.on('data', (d: Buffer) => pieces.push(d));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(pieces).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('s3gateway over pfs', function () {
  this.timeout(120_000);
  let g: GatewayOverPfs;
  let n = 0;
  /** A fresh repo per test, as a bucket `master.<repo>`. */
  let repo: string;
  let Bucket: string;

  before(async () => {
    g = await startGatewayOverPfs('s3gw');
  });
  after(async () => {
    await g?.stop();
  });
  beforeEach(async () => {
    repo = `r${++n}-${randomBytes(3).toString('hex')}`;
    Bucket = `master.${repo}`;
    await g.client.send(new CreateBucketCommand({ Bucket }));
  });

  const put = async (
    Key: string,
    Body: string | Buffer,
    extra: Record<string, unknown> = {},
  ): Promise<string> =>
    (await g.client.send(new PutObjectCommand({ Bucket, Key, Body, ...extra }))).VersionId!;

  describe('buckets', () => {
    it('creates, lists, inspects and deletes buckets as branches', async () => {
      await g.client.send(new CreateBucketCommand({ Bucket: `dev.${repo}` }));
      const names = (await g.client.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
      assert.ok(names?.includes(Bucket) && names.includes(`dev.${repo}`));
      await g.client.send(new HeadBucketCommand({ Bucket: repo }));
      await rejectsWith(g.client.send(new CreateBucketCommand({ Bucket })), 'BucketAlreadyOwnedByYou', 409);
      assert.equal((await g.client.send(new GetBucketVersioningCommand({ Bucket }))).Status, 'Enabled');
      assert.equal(
        (await g.client.send(new GetBucketLocationCommand({ Bucket }))).LocationConstraint,
        undefined,
      );
      await put('k', 'x');
      await rejectsWith(g.client.send(new DeleteBucketCommand({ Bucket })), 'BucketNotEmpty', 409);
      await g.client.send(new DeleteBucketCommand({ Bucket: `dev.${repo}` }));
      await rejectsWith(g.client.send(new HeadBucketCommand({ Bucket: `dev.${repo}` })), 'NotFound', 404);
      await g.client.send(new DeleteObjectCommand({ Bucket, Key: 'k' }));
      await g.client.send(new DeleteBucketCommand({ Bucket }));
      await assert.rejects(g.pfs.inspectRepo(repo), { code: 'not_found' });
    });
  });

  describe('objects', () => {
    it('writes one commit per put and reads back bytes, ETag, type, length, date and metadata', async () => {
      const before = await g.head(repo);
      const out = await g.client.send(
        new PutObjectCommand({
          Bucket,
          Key: 'a/b.txt',
          Body: 'hello pfs',
          ContentType: 'text/plain',
          Metadata: { who: 'ada' },
        }),
      );
      const after = await g.head(repo);
      assert.notEqual(after, before);
      assert.equal(out.VersionId, after);
      assert.equal(out.ETag, `"${md5Hex('hello pfs')}"`);
      const got = await g.client.send(new GetObjectCommand({ Bucket, Key: 'a/b.txt' }));
      assert.equal(await text(got.Body), 'hello pfs');
      assert.equal(got.ETag, out.ETag);
      assert.equal(got.ContentType, 'text/plain');
      assert.equal(got.ContentLength, 9);
      assert.deepEqual(got.Metadata, { who: 'ada' });
      assert.ok(got.LastModified && Math.abs(got.LastModified.getTime() - Date.now()) < 120_000);
      const head = await g.client.send(new HeadObjectCommand({ Bucket, Key: 'a/b.txt' }));
      assert.equal(head.ETag, out.ETag);
      await rejectsWith(g.client.send(new GetObjectCommand({ Bucket, Key: 'a' })), 'NoSuchKey', 404);
    });

    it("keeps an object's Last-Modified when other keys of the branch change", async () => {
      await put('still', 's');
      const first = await g.client.send(new HeadObjectCommand({ Bucket, Key: 'still' }));
      // Last-Modified has second precision: let a second pass before the next commit.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await put('other', 'o');
      const again = await g.client.send(new HeadObjectCommand({ Bucket, Key: 'still' }));
      assert.equal(again.LastModified?.getTime(), first.LastModified?.getTime());
      const listed = await g.client.send(new ListObjectsV2Command({ Bucket, Prefix: 'still' }));
      assert.equal(
        Math.floor(listed.Contents![0]!.LastModified!.getTime() / 1000),
        first.LastModified!.getTime() / 1000,
      );
    });

    it('stores empty and multi-megabyte objects and serves ranges of them', async () => {
      await put('empty', '');
      assert.equal(
        await text((await g.client.send(new GetObjectCommand({ Bucket, Key: 'empty' }))).Body),
        '',
      );
      const big = randomBytes(5 * 1024 * 1024 + 123);
      const out = await g.client.send(new PutObjectCommand({ Bucket, Key: 'big', Body: big }));
      assert.equal(out.ETag, `"${md5Hex(big)}"`);
      assert.ok(
        (await bytes((await g.client.send(new GetObjectCommand({ Bucket, Key: 'big' }))).Body)).equals(big),
      );
      const mid = await g.client.send(
        new GetObjectCommand({ Bucket, Key: 'big', Range: 'bytes=1048570-3000000' }),
      );
      assert.equal(mid.ContentRange, `bytes 1048570-3000000/${big.length}`);
      assert.ok((await bytes(mid.Body)).equals(big.subarray(1048570, 3000001)));
      const suffix = await g.client.send(new GetObjectCommand({ Bucket, Key: 'big', Range: 'bytes=-10' }));
      assert.ok((await bytes(suffix.Body)).equals(big.subarray(big.length - 10)));
      const open = await g.client.send(
        new GetObjectCommand({ Bucket, Key: 'big', Range: `bytes=${big.length - 5}-` }),
      );
      assert.ok((await bytes(open.Body)).equals(big.subarray(big.length - 5)));
      await rejectsWith(
        g.client.send(new GetObjectCommand({ Bucket, Key: 'big', Range: `bytes=${big.length}-` })),
        'InvalidRange',
        416,
      );
    });

    it('answers conditional reads', async () => {
      await put('c', 'cond');
      const etag = (await g.client.send(new HeadObjectCommand({ Bucket, Key: 'c' }))).ETag!;
      await rejectsWith(
        g.client.send(new GetObjectCommand({ Bucket, Key: 'c', IfNoneMatch: etag })),
        '',
        304,
      );
      await rejectsWith(
        g.client.send(new GetObjectCommand({ Bucket, Key: 'c', IfMatch: '"nope"' })),
        'PreconditionFailed',
        412,
      );
      await rejectsWith(
        g.client.send(
          new GetObjectCommand({ Bucket, Key: 'c', IfModifiedSince: new Date(Date.now() + 3600_000) }),
        ),
        '',
        304,
      );
      await rejectsWith(
        g.client.send(
          new GetObjectCommand({ Bucket, Key: 'c', IfUnmodifiedSince: new Date(Date.now() - 3600_000) }),
        ),
        'PreconditionFailed',
        412,
      );
      assert.equal(
        await text((await g.client.send(new GetObjectCommand({ Bucket, Key: 'c', IfMatch: etag }))).Body),
        'cond',
      );
    });

    it('verifies Content-MD5 and If-None-Match: *, writing nothing when they fail', async () => {
      await put('exists', 'first');
      const before = await g.head(repo);
      await rejectsWith(
        g.client.send(
          new PutObjectCommand({
            Bucket,
            Key: 'md5',
            Body: 'abc',
            ContentMD5: Buffer.from(md5Hex('xyz'), 'hex').toString('base64'),
          }),
        ),
        'BadDigest',
        400,
      );
      await rejectsWith(
        g.client.send(new PutObjectCommand({ Bucket, Key: 'exists', Body: 'second', IfNoneMatch: '*' })),
        'PreconditionFailed',
        412,
      );
      assert.equal(await g.head(repo), before);
      assert.equal(
        await text((await g.client.send(new GetObjectCommand({ Bucket, Key: 'exists' }))).Body),
        'first',
      );
      await g.client.send(new PutObjectCommand({ Bucket, Key: 'new', Body: 'created', IfNoneMatch: '*' }));
      await g.client.send(
        new PutObjectCommand({
          Bucket,
          Key: 'md5',
          Body: 'abc',
          ContentMD5: Buffer.from(md5Hex('abc'), 'hex').toString('base64'),
        }),
      );
    });

    it('accepts uploads with the SDK default checksums (aws-chunked with a trailing CRC32)', async () => {
      const client = g.clientWith({
        requestChecksumCalculation: 'WHEN_SUPPORTED',
        responseChecksumValidation: 'WHEN_SUPPORTED',
      });
      const out = await client.send(new PutObjectCommand({ Bucket, Key: 'crc', Body: randomBytes(70_000) }));
      assert.ok(out.ChecksumCRC32);
      const got = await client.send(new GetObjectCommand({ Bucket, Key: 'crc', ChecksumMode: 'ENABLED' }));
      assert.equal((await bytes(got.Body)).length, 70_000);
      assert.equal(got.ChecksumCRC32, out.ChecksumCRC32);
    });

    it('copies by reference with COPY and REPLACE metadata, across buckets and from a version', async () => {
      const v1 = await put('src', 'old bytes', { ContentType: 'text/a', Metadata: { m: '1' } });
      await put('src', 'new bytes', { ContentType: 'text/a', Metadata: { m: '1' } });
      const copy = await g.client.send(
        new CopyObjectCommand({ Bucket, Key: 'dst', CopySource: `${Bucket}/src` }),
      );
      assert.equal(copy.CopyObjectResult?.ETag, `"${md5Hex('new bytes')}"`);
      const got = await g.client.send(new GetObjectCommand({ Bucket, Key: 'dst' }));
      assert.equal(await text(got.Body), 'new bytes');
      assert.equal(got.ContentType, 'text/a');
      assert.deepEqual(got.Metadata, { m: '1' });
      await g.client.send(
        new CopyObjectCommand({
          Bucket,
          Key: 'dst2',
          CopySource: `${Bucket}/src`,
          MetadataDirective: 'REPLACE',
          ContentType: 'text/b',
          Metadata: { n: '2' },
        }),
      );
      const replaced = await g.client.send(new HeadObjectCommand({ Bucket, Key: 'dst2' }));
      assert.equal(replaced.ContentType, 'text/b');
      assert.deepEqual(replaced.Metadata, { n: '2' });
      await g.client.send(new CreateBucketCommand({ Bucket: `other.${repo}` }));
      await g.client.send(
        new CopyObjectCommand({
          Bucket: `other.${repo}`,
          Key: 'old',
          CopySource: `${Bucket}/src?versionId=${v1}`,
        }),
      );
      assert.equal(
        await text((await g.client.send(new GetObjectCommand({ Bucket: `other.${repo}`, Key: 'old' }))).Body),
        'old bytes',
      );
    });

    it('deletes objects one by one and in a batch of one commit', async () => {
      for (const k of ['a', 'b', 'c/d', 'c/e']) await put(k, k);
      await g.client.send(new DeleteObjectCommand({ Bucket, Key: 'a' }));
      await rejectsWith(g.client.send(new HeadObjectCommand({ Bucket, Key: 'a' })), 'NotFound', 404);
      // "c" is a directory: deleting the key "c" leaves c/d and c/e alone.
      await g.client.send(new DeleteObjectCommand({ Bucket, Key: 'c' }));
      const before = await g.head(repo);
      const out = await g.client.send(
        new DeleteObjectsCommand({
          Bucket,
          Delete: { Objects: [{ Key: 'b' }, { Key: 'c/d' }, { Key: 'nothing' }] },
        }),
      );
      assert.deepEqual(out.Deleted?.map((d) => d.Key).sort(), ['b', 'c/d', 'nothing']);
      const commits: string[] = [];
      for await (const c of g.pfs.listCommits({ repo, branch: 'master' })) {
        if (c.id === before) break;
        commits.push(c.id);
      }
      assert.equal(commits.length, 1);
      const left = await g.client.send(new ListObjectsV2Command({ Bucket }));
      assert.deepEqual(
        left.Contents?.map((c) => c.Key),
        ['c/e'],
      );
    });
  });

  describe('listings', () => {
    const keys = [
      'a.txt',
      'a-b/1',
      'a/b/c.txt',
      'a/b/d.txt',
      'a/e.txt',
      'b',
      'photos/2024/a.jpg',
      'photos/2024/b.jpg',
      'photos/2024-x.jpg',
      'photos/readme',
      'z/ü.txt',
    ];

    beforeEach(async () => {
      // One commit for all keys, through a multi-object copy-free path: the SDK puts them one by one.
      for (const k of keys) await put(k, k);
    });

    it('lists V2 pages in byte order with delimiter, prefix, start-after and continuation', async () => {
      const all: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await g.client.send(
          new ListObjectsV2Command({ Bucket, MaxKeys: 3, ContinuationToken: token }),
        );
        all.push(...(page.Contents ?? []).map((c) => c.Key!));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
        pages++;
      } while (token);
      assert.deepEqual(
        all,
        [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
      );
      assert.equal(pages, Math.ceil(keys.length / 3));
      const top = await g.client.send(new ListObjectsV2Command({ Bucket, Delimiter: '/' }));
      assert.deepEqual(
        top.Contents?.map((c) => c.Key),
        ['a.txt', 'b'],
      );
      assert.deepEqual(
        top.CommonPrefixes?.map((p) => p.Prefix),
        ['a-b/', 'a/', 'photos/', 'z/'],
      );
      const photos = await g.client.send(
        new ListObjectsV2Command({ Bucket, Delimiter: '/', Prefix: 'photos/2024' }),
      );
      assert.deepEqual(
        photos.Contents?.map((c) => c.Key),
        ['photos/2024-x.jpg'],
      );
      assert.deepEqual(
        photos.CommonPrefixes?.map((p) => p.Prefix),
        ['photos/2024/'],
      );
      const after = await g.client.send(
        new ListObjectsV2Command({ Bucket, StartAfter: 'photos/2024/a.jpg' }),
      );
      assert.deepEqual(
        after.Contents?.map((c) => c.Key),
        ['photos/2024/b.jpg', 'photos/readme', 'z/ü.txt'],
      );
      const one = await g.client.send(new ListObjectsV2Command({ Bucket, Delimiter: '/', MaxKeys: 2 }));
      const two = await g.client.send(
        new ListObjectsV2Command({
          Bucket,
          Delimiter: '/',
          MaxKeys: 10,
          ContinuationToken: one.NextContinuationToken,
        }),
      );
      assert.deepEqual(
        two.CommonPrefixes?.map((p) => p.Prefix),
        ['a/', 'photos/', 'z/'],
      );
      assert.deepEqual(
        two.Contents?.map((c) => c.Key),
        ['b'],
      );
    });

    it('lists V1 pages with markers', async () => {
      const first = await g.client.send(new ListObjectsCommand({ Bucket, MaxKeys: 2, Delimiter: '/' }));
      assert.equal(first.IsTruncated, true);
      // Byte order: "a-b/" < "a.txt" < "a/".
      assert.deepEqual(
        [...(first.CommonPrefixes ?? []).map((p) => p.Prefix), ...(first.Contents ?? []).map((c) => c.Key)],
        ['a-b/', 'a.txt'],
      );
      assert.equal(first.NextMarker, 'a.txt');
      const rest = await g.client.send(
        new ListObjectsCommand({ Bucket, Delimiter: '/', Marker: first.NextMarker }),
      );
      assert.deepEqual(
        rest.CommonPrefixes?.map((p) => p.Prefix),
        ['a/', 'photos/', 'z/'],
      );
      assert.deepEqual(
        rest.Contents?.map((c) => c.Key),
        ['b'],
      );
    });
  });

  describe('versions', () => {
    it('lists the commits that changed a key, reads any of them, and reads a pinned bucket after the branch moved', async () => {
      const v1 = await put('doc', 'one');
      const v2 = await put('doc', 'two!');
      await put('other', 'x');
      const del = (await g.client.send(new DeleteObjectCommand({ Bucket, Key: 'doc' }))).VersionId!;
      const versions = await g.client.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'doc' }));
      assert.deepEqual(
        versions.Versions?.map((v) => [v.VersionId, v.Size, v.IsLatest]),
        [
          [v2, 4, false],
          [v1, 3, false],
        ],
      );
      assert.deepEqual(
        versions.DeleteMarkers?.map((d) => [d.VersionId, d.IsLatest]),
        [[del, true]],
      );
      assert.equal(
        await text((await g.client.send(new GetObjectCommand({ Bucket, Key: 'doc', VersionId: v1 }))).Body),
        'one',
      );
      const pinned = `${v2}.master.${repo}`;
      assert.equal(
        await text((await g.client.send(new GetObjectCommand({ Bucket: pinned, Key: 'doc' }))).Body),
        'two!',
      );
      const listedPinned = await g.client.send(new ListObjectsV2Command({ Bucket: pinned }));
      assert.deepEqual(
        listedPinned.Contents?.map((c) => c.Key),
        ['doc'],
      );
      const before = await g.head(repo);
      await rejectsWith(
        g.client.send(new PutObjectCommand({ Bucket: pinned, Key: 'doc', Body: 'no' })),
        'AccessDenied',
        403,
      );
      assert.equal(await g.head(repo), before);
    });
  });

  describe('multipart', () => {
    it('uploads, lists, copies, completes (with a -N ETag) and aborts', async () => {
      const parts = [randomBytes(1500), randomBytes(2048), randomBytes(77)];
      const { UploadId } = await g.client.send(
        new CreateMultipartUploadCommand({
          Bucket,
          Key: 'mp/file',
          ContentType: 'application/x-mp',
          Metadata: { a: 'b' },
        }),
      );
      const etags: string[] = [];
      for (const [i, body] of parts.entries()) {
        etags.push(
          (
            await g.client.send(
              new UploadPartCommand({ Bucket, Key: 'mp/file', UploadId, PartNumber: i + 1, Body: body }),
            )
          ).ETag!,
        );
      }
      const listed = await g.client.send(new ListPartsCommand({ Bucket, Key: 'mp/file', UploadId }));
      assert.deepEqual(
        listed.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag]),
        parts.map((p, i) => [i + 1, p.length, etags[i]]),
      );
      const uploads = await g.client.send(new ListMultipartUploadsCommand({ Bucket }));
      assert.deepEqual(
        uploads.Uploads?.map((u) => u.UploadId),
        [UploadId],
      );
      const before = await g.head(repo);
      await rejectsWith(
        g.client.send(
          new CompleteMultipartUploadCommand({
            Bucket,
            Key: 'mp/file',
            UploadId,
            MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"bad"' }] },
          }),
        ),
        'InvalidPart',
        400,
      );
      assert.equal(await g.head(repo), before);
      const done = await g.client.send(
        new CompleteMultipartUploadCommand({
          Bucket,
          Key: 'mp/file',
          UploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
      );
      const md5s = Buffer.concat(parts.map((p) => createHash('md5').update(p).digest()));
      assert.equal(done.ETag, `"${md5Hex(md5s)}-3"`);
      const got = await g.client.send(new GetObjectCommand({ Bucket, Key: 'mp/file' }));
      assert.ok((await bytes(got.Body)).equals(Buffer.concat(parts)));
      assert.equal(got.ETag, done.ETag);
      assert.equal(got.ContentType, 'application/x-mp');
      assert.deepEqual(got.Metadata, { a: 'b' });

      // UploadPartCopy, whole and ranged, from the object just assembled.
      const copyUpload = (await g.client.send(new CreateMultipartUploadCommand({ Bucket, Key: 'mp/copy' })))
        .UploadId!;
      const whole = await g.client.send(
        new UploadPartCopyCommand({
          Bucket,
          Key: 'mp/copy',
          UploadId: copyUpload,
          PartNumber: 1,
          CopySource: `${Bucket}/mp/file`,
        }),
      );
      const ranged = await g.client.send(
        new UploadPartCopyCommand({
          Bucket,
          Key: 'mp/copy',
          UploadId: copyUpload,
          PartNumber: 2,
          CopySource: `${Bucket}/mp/file`,
          CopySourceRange: 'bytes=10-19',
        }),
      );
      await g.client.send(
        new CompleteMultipartUploadCommand({
          Bucket,
          Key: 'mp/copy',
          UploadId: copyUpload,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: whole.CopyPartResult!.ETag! },
              { PartNumber: 2, ETag: ranged.CopyPartResult!.ETag! },
            ],
          },
        }),
      );
      const copied = await bytes(
        (await g.client.send(new GetObjectCommand({ Bucket, Key: 'mp/copy' }))).Body,
      );
      assert.ok(copied.equals(Buffer.concat([...parts, Buffer.concat(parts).subarray(10, 20)])));

      const aborted = (await g.client.send(new CreateMultipartUploadCommand({ Bucket, Key: 'mp/aborted' })))
        .UploadId!;
      await g.client.send(
        new UploadPartCommand({ Bucket, Key: 'mp/aborted', UploadId: aborted, PartNumber: 1, Body: 'x' }),
      );
      await g.client.send(new AbortMultipartUploadCommand({ Bucket, Key: 'mp/aborted', UploadId: aborted }));
      await rejectsWith(
        g.client.send(new ListPartsCommand({ Bucket, Key: 'mp/aborted', UploadId: aborted })),
        'NoSuchUpload',
        404,
      );
      await rejectsWith(g.client.send(new HeadObjectCommand({ Bucket, Key: 'mp/aborted' })), 'NotFound', 404);
    });

    it('uploads 21 MiB through @aws-sdk/lib-storage and reads it back byte-identical', async () => {
      const body = randomBytes(21 * 1024 * 1024);
      const result = await new Upload({
        client: g.client,
        params: { Bucket, Key: 'lib', Body: body },
        partSize: 5 * 1024 * 1024,
        queueSize: 3,
      }).done();
      assert.match(result.ETag ?? '', /-5"$/);
      const got = await bytes((await g.client.send(new GetObjectCommand({ Bucket, Key: 'lib' }))).Body);
      assert.equal(md5Hex(got), md5Hex(body));
    });
  });

  describe('authentication', () => {
    it('refuses a wrong secret, a tampered signed header and an expired presigned URL, writing nothing', async () => {
      const before = await g.head(repo);
      const wrong = g.clientWith({
        credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: 'wrong-secret-value' },
      });
      await rejectsWith(
        wrong.send(new PutObjectCommand({ Bucket, Key: 'w', Body: 'x' })),
        'SignatureDoesNotMatch',
        403,
      );

      const path = `/${Bucket}/tampered`;
      const signed = await signHeaders(
        { method: 'PUT', host: g.host, path, headers: { 'x-amz-meta-note': 'signed' } },
        { payloadHash: 'UNSIGNED-PAYLOAD', secret: SECRET, accessKeyId: ACCESS_KEY },
      );
      const tampered = await raw(
        g.gateway.port,
        'PUT',
        path,
        { ...signed, 'x-amz-meta-note': 'changed' },
        Buffer.from('x'),
      );
      assert.equal(tampered.status, 403);
      assert.match(tampered.body, /<Code>SignatureDoesNotMatch<\/Code>/);

      const expired = await presignTarget(
        { method: 'PUT', host: g.host, path: `/${Bucket}/late` },
        { expiresIn: 60, date: new Date(Date.now() - 600_000), secret: SECRET, accessKeyId: ACCESS_KEY },
      );
      const late = await raw(g.gateway.port, 'PUT', expired, { host: g.host }, Buffer.from('late'));
      assert.equal(late.status, 403);
      assert.match(late.body, /<Code>AccessDenied<\/Code>/);
      assert.equal(await g.head(repo), before);

      const valid = await presignTarget(
        { method: 'GET', host: g.host, path: `/${Bucket}/late` },
        { expiresIn: 60, secret: SECRET, accessKeyId: ACCESS_KEY },
      );
      const missing = await raw(g.gateway.port, 'GET', valid, { host: g.host });
      assert.equal(missing.status, 404);
    });
  });
});
