/**
 * The S3 backend against the run's real S3 server (OpenStack Swift's s3api, or MinIO in container
 * mode): the shared conformance suite, plus what only an S3 server can show — prefixes inside a
 * bucket, no multipart upload left behind, and the error mapping for unreachable servers, missing
 * buckets and wrong secrets.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { freshBucket, s3Client, testEnv } from '../harness/index.ts';
import { objectStoreConformance } from '../../services/platform/object-store/conformance.ts';
import { openObjectStore } from '../../services/platform/object-store/open.ts';
import { S3ObjectStore } from '../../services/platform/object-store/s3.ts';

const MIB = 1024 * 1024;

function storeFor(bucket: string, prefix?: string): S3ObjectStore {
  const { s3 } = testEnv();
  return new S3ObjectStore({
    bucket,
    ...(prefix !== undefined ? { prefix } : {}),
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

/** Deletes every object (in DeleteObjects batches, as a real cleanup would) and the bucket. */
async function removeBucket(client: S3Client, bucket: string): Promise<void> {
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (keys.length > 0) {
      const res = await client.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }),
      );
      assert.deepEqual(res.Errors ?? [], [], `DeleteObjects failed in ${bucket}`);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}

async function openUploads(client: S3Client, bucket: string): Promise<string[]> {
  const res = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (res.Uploads ?? []).map((u) => `${u.Key} (${u.UploadId})`);
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  const address = server.address();
  await new Promise<void>((ok) => server.close(() => ok()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return String((err as { code?: unknown }).code);
  }
  return 'succeeded';
}

async function readAll(iterable: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of iterable) chunks.push(chunk);
  return Buffer.concat(chunks);
}

objectStoreConformance('s3 (the harness S3 server)', async () => {
  const bucket = await freshBucket('conformance');
  const store = storeFor(bucket);
  return {
    store,
    cleanup: async () => {
      const client = s3Client();
      try {
        assert.deepEqual(await openUploads(client, bucket), [], 'multipart uploads left open by the suite');
        await removeBucket(client, bucket);
      } finally {
        client.destroy();
        store.destroy();
      }
    },
  };
});

describe('S3ObjectStore on a real S3 server', function () {
  let bucket = '';
  let client: S3Client;

  before(async function () {
    bucket = await freshBucket('s3store');
    client = s3Client();
  });
  after(async function () {
    await removeBucket(client, bucket);
    client.destroy();
  });

  it('stores keys under its prefix, and stores with different prefixes in one bucket do not see each other', async function () {
    const a = storeFor(bucket, 'tenant-a');
    const b = storeFor(bucket, 'tenant-b/');
    try {
      await a.put('chunks/one', Buffer.from('A'));
      await b.put('chunks/one', Buffer.from('B'));
      assert.equal((await readAll(a.get('chunks/one'))).toString(), 'A');
      assert.equal((await readAll(b.get('chunks/one'))).toString(), 'B');
      const listed = [];
      for await (const info of a.list('')) listed.push(info.key);
      assert.deepEqual(listed, ['chunks/one']);
      const raw = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'tenant-' }));
      assert.deepEqual(
        (raw.Contents ?? []).map((o) => o.Key),
        ['tenant-a/chunks/one', 'tenant-b/chunks/one'],
      );
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  it('leaves no multipart upload behind when a multipart put is aborted or its body fails', async function () {
    const store = storeFor(bucket, `uploads-${randomBytes(3).toString('hex')}`);
    try {
      const controller = new AbortController();
      async function* body(abortAfter: number | undefined): AsyncGenerator<Uint8Array> {
        for (let i = 0; i < 64; i++) {
          if (i === abortAfter) controller.abort();
          if (i === 20 && abortAfter === undefined) throw new Error('source failed');
          yield randomBytes(MIB);
        }
      }
      await assert.rejects(store.put('aborted', body(20), { signal: controller.signal }), {
        name: 'AbortError',
      });
      await assert.rejects(store.put('failed', body(undefined)), /source failed/);
      assert.deepEqual(await openUploads(client, bucket), []);
    } finally {
      store.destroy();
    }
  });

  it('opens from an s3:// URL with endpoint, region and prefix', async function () {
    const { s3 } = testEnv();
    const url = `s3://${bucket}/from-url/x?endpoint=${encodeURIComponent(s3.endpoint)}&region=${s3.region}`;
    const store = await openObjectStore(url, {
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    await store.put('k', Buffer.from('via url'));
    const raw = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'from-url/' }));
    assert.deepEqual(
      (raw.Contents ?? []).map((o) => o.Key),
      ['from-url/x/k'],
    );
    assert.equal((await readAll(store.get('k'))).toString(), 'via url');
    (store as S3ObjectStore).destroy();
  });

  it('reports UNAVAILABLE when the server cannot be reached', async function () {
    const store = new S3ObjectStore({
      bucket,
      endpoint: `http://127.0.0.1:${await closedPort()}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
    try {
      assert.equal(await codeOf(store.head('k')), 'unavailable');
      assert.equal(await codeOf(store.put('k', Buffer.from('x'))), 'unavailable');
      assert.equal(await codeOf(readAll(store.get('k'))), 'unavailable');
    } finally {
      store.destroy();
    }
  });

  it('reports FAILED_PRECONDITION for a missing bucket and for a wrong secret, not NOT_FOUND', async function () {
    const { s3 } = testEnv();
    const missing = storeFor(`missing-${randomBytes(6).toString('hex')}`);
    const wrongSecret = new S3ObjectStore({
      bucket,
      endpoint: s3.endpoint,
      region: s3.region,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: `${s3.secretAccessKey}-wrong` },
    });
    try {
      assert.equal(await codeOf(readAll(missing.get('k'))), 'failed_precondition');
      assert.equal(await codeOf(missing.put('k', Buffer.from('x'))), 'failed_precondition');
      assert.equal(await codeOf(readAll(wrongSecret.get('k'))), 'failed_precondition');
      assert.equal(await codeOf(wrongSecret.put('k', Buffer.from('x'))), 'failed_precondition');
    } finally {
      missing.destroy();
      wrongSecret.destroy();
    }
  });
});
