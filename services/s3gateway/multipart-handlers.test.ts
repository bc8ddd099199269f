import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { silentLogger } from '../platform/logging.ts';
import { FakePfs } from './pfs-fake.ts';
import { bodyBytes, startTestGateway, type TestGateway } from './test-gateway.ts';
import { UploadStore } from './uploads.ts';

const md5 = (data: Buffer): Buffer => createHash('md5').update(data).digest();

function filled(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * seed + 7) & 0xff;
  return b;
}

describe('s3gateway multipart uploads', () => {
  let t: TestGateway;
  const Bucket = 'master.mp';

  beforeEach(async () => {
    t = await startTestGateway({ minPartBytes: 1024 });
    await t.client.send(new CreateBucketCommand({ Bucket }));
  });
  afterEach(async () => {
    await t.stop();
  });

  async function create(Key: string, extra: Record<string, unknown> = {}): Promise<string> {
    return (await t.client.send(new CreateMultipartUploadCommand({ Bucket, Key, ...extra }))).UploadId!;
  }

  async function part(Key: string, UploadId: string, PartNumber: number, Body: Buffer): Promise<string> {
    return (await t.client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body }))).ETag!;
  }

  it('assembles the parts in one commit with an ETag of the MD5 of the parts MD5s and "-N"', async () => {
    const parts = [filled(2000, 3), filled(1500, 5), filled(10, 7)];
    const id = await create('big.bin', { ContentType: 'application/x-test', Metadata: { k: 'v' } });
    const etags = [];
    for (const [i, p] of parts.entries()) etags.push(await part('big.bin', id, i + 1, p));
    assert.equal(etags[0], `"${md5(parts[0]!).toString('hex')}"`);
    const before = t.pfs.modifyCalls;
    const done = await t.client.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: 'big.bin',
        UploadId: id,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    assert.equal(t.pfs.modifyCalls, before + 1);
    const expected = `"${md5(Buffer.concat(parts.map(md5))).toString('hex')}-3"`;
    assert.equal(done.ETag, expected);
    const got = await t.client.send(new GetObjectCommand({ Bucket, Key: 'big.bin' }));
    assert.ok((await bodyBytes(got.Body)).equals(Buffer.concat(parts)));
    assert.equal(got.ETag, expected);
    assert.equal(got.ContentType, 'application/x-test');
    assert.deepEqual(got.Metadata, { k: 'v' });
    await assert.rejects(t.client.send(new ListPartsCommand({ Bucket, Key: 'big.bin', UploadId: id })), {
      name: 'NoSuchUpload',
    });
  });

  it('lists parts and uploads, with pagination', async () => {
    const a = await create('k/a');
    const b = await create('k/b');
    for (const n of [3, 1, 2]) await part('k/a', a, n, filled(1100, n));
    const parts = await t.client.send(new ListPartsCommand({ Bucket, Key: 'k/a', UploadId: a, MaxParts: 2 }));
    assert.deepEqual(
      parts.Parts?.map((p) => [p.PartNumber, p.Size]),
      [
        [1, 1100],
        [2, 1100],
      ],
    );
    assert.equal(parts.IsTruncated, true);
    const rest = await t.client.send(
      new ListPartsCommand({ Bucket, Key: 'k/a', UploadId: a, PartNumberMarker: parts.NextPartNumberMarker }),
    );
    assert.deepEqual(
      rest.Parts?.map((p) => p.PartNumber),
      [3],
    );
    const uploads = await t.client.send(new ListMultipartUploadsCommand({ Bucket }));
    assert.deepEqual(
      uploads.Uploads?.map((u) => [u.Key, u.UploadId]),
      [
        ['k/a', a],
        ['k/b', b],
      ],
    );
    const first = await t.client.send(new ListMultipartUploadsCommand({ Bucket, MaxUploads: 1 }));
    assert.equal(first.IsTruncated, true);
    const second = await t.client.send(
      new ListMultipartUploadsCommand({
        Bucket,
        KeyMarker: first.NextKeyMarker,
        UploadIdMarker: first.NextUploadIdMarker,
      }),
    );
    assert.deepEqual(
      second.Uploads?.map((u) => u.UploadId),
      [b],
    );
    const grouped = await t.client.send(new ListMultipartUploadsCommand({ Bucket, Delimiter: '/' }));
    assert.deepEqual(
      grouped.CommonPrefixes?.map((p) => p.Prefix),
      ['k/'],
    );
  });

  it('refuses a wrong ETag, a missing part, a wrong order and a small middle part, writing nothing', async () => {
    const id = await create('x');
    const e1 = await part('x', id, 1, filled(1500, 1));
    const e2 = await part('x', id, 2, filled(100, 2));
    const e3 = await part('x', id, 3, filled(100, 3));
    const before = t.pfs.modifyCalls;
    const complete = (Parts: { ETag: string; PartNumber: number }[]) =>
      t.client.send(
        new CompleteMultipartUploadCommand({ Bucket, Key: 'x', UploadId: id, MultipartUpload: { Parts } }),
      );
    await assert.rejects(complete([{ ETag: '"0000"', PartNumber: 1 }]), { name: 'InvalidPart' });
    await assert.rejects(
      complete([
        { ETag: e1, PartNumber: 1 },
        { ETag: e2, PartNumber: 4 },
      ]),
      { name: 'InvalidPart' },
    );
    await assert.rejects(
      complete([
        { ETag: e2, PartNumber: 2 },
        { ETag: e1, PartNumber: 1 },
      ]),
      { name: 'InvalidPartOrder' },
    );
    await assert.rejects(
      complete([
        { ETag: e1, PartNumber: 1 },
        { ETag: e2, PartNumber: 2 },
        { ETag: e3, PartNumber: 3 },
      ]),
      { name: 'EntityTooSmall' },
    );
    assert.equal(t.pfs.modifyCalls, before);
    await assert.rejects(t.client.send(new HeadObjectCommand({ Bucket, Key: 'x' })), { name: 'NotFound' });
    // The upload is still usable after refusals; leaving out the small middle part works.
    await complete([
      { ETag: e1, PartNumber: 1 },
      { ETag: e3, PartNumber: 3 },
    ]);
    assert.ok(
      (await bodyBytes((await t.client.send(new GetObjectCommand({ Bucket, Key: 'x' }))).Body)).equals(
        Buffer.concat([filled(1500, 1), filled(100, 3)]),
      ),
    );
  });

  it('aborts an upload and releases its staged parts', async () => {
    const id = await create('aborted');
    await part('aborted', id, 1, filled(2000, 9));
    assert.equal(t.pfs.liveFileSets(), 1);
    await t.client.send(new AbortMultipartUploadCommand({ Bucket, Key: 'aborted', UploadId: id }));
    await assert.rejects(
      t.client.send(
        new UploadPartCommand({ Bucket, Key: 'aborted', UploadId: id, PartNumber: 2, Body: 'x' }),
      ),
      { name: 'NoSuchUpload' },
    );
    await assert.rejects(
      t.client.send(new AbortMultipartUploadCommand({ Bucket, Key: 'aborted', UploadId: id })),
      { name: 'NoSuchUpload' },
    );
    const set = [...t.pfs.fileSets.values()][0]!;
    assert.ok(set.expires <= Date.now() + 1000, 'the released handle expires within a second');
  });

  it('replaces a part uploaded twice and releases the first', async () => {
    const id = await create('twice');
    await part('twice', id, 1, filled(1200, 1));
    const e = await part('twice', id, 1, filled(1300, 2));
    const parts = await t.client.send(new ListPartsCommand({ Bucket, Key: 'twice', UploadId: id }));
    assert.deepEqual(
      parts.Parts?.map((p) => [p.PartNumber, p.ETag, p.Size]),
      [[1, e, 1300]],
    );
    await t.client.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: 'twice',
        UploadId: id,
        MultipartUpload: { Parts: [{ ETag: e, PartNumber: 1 }] },
      }),
    );
    assert.equal((await t.client.send(new HeadObjectCommand({ Bucket, Key: 'twice' }))).ContentLength, 1300);
  });

  it('copies parts from an object, whole (by reference) and by byte range', async () => {
    const src = filled(5000, 11);
    await t.client.send(new PutObjectCommand({ Bucket, Key: 'src', Body: src }));
    const id = await create('assembled');
    const whole = await t.client.send(
      new UploadPartCopyCommand({
        Bucket,
        Key: 'assembled',
        UploadId: id,
        PartNumber: 1,
        CopySource: `${Bucket}/src`,
      }),
    );
    const ranged = await t.client.send(
      new UploadPartCopyCommand({
        Bucket,
        Key: 'assembled',
        UploadId: id,
        PartNumber: 2,
        CopySource: `${Bucket}/src`,
        CopySourceRange: 'bytes=100-1199',
      }),
    );
    assert.equal(ranged.CopyPartResult?.ETag, `"${md5(src.subarray(100, 1200)).toString('hex')}"`);
    await t.client.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: 'assembled',
        UploadId: id,
        MultipartUpload: {
          Parts: [
            { ETag: whole.CopyPartResult!.ETag!, PartNumber: 1 },
            { ETag: ranged.CopyPartResult!.ETag!, PartNumber: 2 },
          ],
        },
      }),
    );
    const got = await bodyBytes(
      (await t.client.send(new GetObjectCommand({ Bucket, Key: 'assembled' }))).Body,
    );
    assert.ok(got.equals(Buffer.concat([src, src.subarray(100, 1200)])));
    await assert.rejects(
      t.client.send(
        new UploadPartCopyCommand({
          Bucket,
          Key: 'assembled',
          UploadId: 'nope',
          PartNumber: 1,
          CopySource: `${Bucket}/src`,
        }),
      ),
      { name: 'NoSuchUpload' },
    );
  });

  it('uploads through @aws-sdk/lib-storage in several parts', async () => {
    const body = filled(12 * 1024 * 1024 + 3, 13);
    const upload = new Upload({
      client: t.client,
      params: { Bucket, Key: 'lib/storage.bin', Body: body },
      partSize: 5 * 1024 * 1024,
      queueSize: 2,
    });
    const result = await upload.done();
    assert.match(result.ETag ?? '', /-3"$/);
    const got = await bodyBytes(
      (await t.client.send(new GetObjectCommand({ Bucket, Key: 'lib/storage.bin' }))).Body,
    );
    assert.ok(got.equals(body));
  });

  it('refuses part numbers outside 1..10000', async () => {
    const id = await create('n');
    await assert.rejects(
      t.client.send(new UploadPartCommand({ Bucket, Key: 'n', UploadId: id, PartNumber: 10001, Body: 'x' })),
      { name: 'InvalidArgument' },
    );
    await assert.rejects(
      t.client.send(new UploadPartCommand({ Bucket, Key: 'n', UploadId: id, PartNumber: 0, Body: 'x' })),
      { name: 'InvalidArgument' },
    );
    assert.equal(
      (await t.client.send(new ListPartsCommand({ Bucket, Key: 'n', UploadId: id }))).Parts,
      undefined,
    );
  });
});

describe('UploadStore', () => {
  it('renews staged parts while an upload lives and aborts it after the idle timeout', async () => {
    let now = 1_000_000;
    const pfs = new FakePfs({ now: () => now });
    const store = new UploadStore({
      pfs,
      logger: silentLogger(),
      partTtlMs: 60_000,
      uploadTimeoutMs: 3_600_000,
      now: () => now,
    });
    const upload = store.create({ name: 'master.r', repo: 'r', branch: 'master' }, 'k', {});
    const handle = await pfs.createFileSet(
      [{ op: 'put', path: '/part', data: [Buffer.from('x')], metadata: {} }],
      60_000,
    );
    assert.ok(
      await store.addPart(upload, {
        number: 1,
        etag: '"e"',
        size: 1,
        fileSetId: handle.id,
        lastModified: new Date(now),
      }),
    );
    now += 50_000;
    await store.sweep();
    now += 50_000; // past the first TTL: only the renewal keeps it alive
    assert.equal(pfs.liveFileSets(), 1);
    now += 3_600_000;
    await store.sweep();
    assert.equal(store.size, 0);
    now += 2000;
    assert.equal(pfs.liveFileSets(), 0);
  });

  it('releases a part that finished uploading after its upload was aborted', async () => {
    const pfs = new FakePfs();
    const store = new UploadStore({
      pfs,
      logger: silentLogger(),
      partTtlMs: 60_000,
      uploadTimeoutMs: 3_600_000,
    });
    const upload = store.create({ name: 'master.r', repo: 'r', branch: 'master' }, 'k', {});
    await store.remove(upload);
    const handle = await pfs.createFileSet(
      [{ op: 'put', path: '/part', data: [Buffer.from('x')], metadata: {} }],
      60_000,
    );
    assert.equal(
      await store.addPart(upload, {
        number: 1,
        etag: '"e"',
        size: 1,
        fileSetId: handle.id,
        lastModified: new Date(),
      }),
      false,
    );
    assert.ok(pfs.fileSets.get(handle.id)!.expires <= Date.now() + 1000);
  });
});
