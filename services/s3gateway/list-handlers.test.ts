import assert from 'node:assert/strict';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type ListObjectsCommandOutput,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import { compareKeys } from './listing.ts';
import { rawRequest, startTestGateway, type TestGateway } from './test-gateway.ts';
import { signHeaders } from './test-signing.ts';

describe('s3gateway listings', () => {
  let t: TestGateway;
  const Bucket = 'master.list';
  const keys = [
    'a.txt',
    'a-b/1',
    'a/b/c.txt',
    'a/b/d.txt',
    'a/e.txt',
    'a/f/g/h.txt',
    'b',
    'photos/2023/x.jpg',
    'photos/2024/a.jpg',
    'photos/2024/b.jpg',
    'photos/2024-extra.jpg',
    'photos/readme',
    'z/ü.txt',
    'z/🙂.txt',
    'z/\uE000.txt',
  ];
  const sorted = [...keys].sort(compareKeys);

  before(async () => {
    t = await startTestGateway();
    await t.client.send(new CreateBucketCommand({ Bucket }));
    for (const Key of keys) await t.client.send(new PutObjectCommand({ Bucket, Key, Body: Key }));
  });
  after(async () => {
    await t.stop();
  });

  async function allV2(params: {
    Prefix?: string;
    Delimiter?: string;
    MaxKeys?: number;
    StartAfter?: string;
  }): Promise<{ keys: string[]; prefixes: string[]; pages: number }> {
    const out = { keys: [] as string[], prefixes: [] as string[], pages: 0 };
    let token: string | undefined;
    for (;;) {
      const page: ListObjectsV2CommandOutput = await t.client.send(
        new ListObjectsV2Command({ Bucket, ...params, ContinuationToken: token }),
      );
      out.pages++;
      out.keys.push(...(page.Contents ?? []).map((c) => c.Key!));
      out.prefixes.push(...(page.CommonPrefixes ?? []).map((p) => p.Prefix!));
      assert.equal(page.KeyCount, (page.Contents?.length ?? 0) + (page.CommonPrefixes?.length ?? 0));
      if (!page.IsTruncated) break;
      token = page.NextContinuationToken;
      assert.ok(token);
    }
    return out;
  }

  it('lists every key in UTF-8 byte order', async () => {
    const { keys: listed } = await allV2({});
    assert.deepEqual(listed, sorted);
    // U+E000 sorts before an emoji (a surrogate pair in JavaScript) in UTF-8.
    assert.ok(listed.indexOf('z/\uE000.txt') < listed.indexOf('z/🙂.txt'));
  });

  it('pages with max-keys and continuation tokens without losing or repeating a key', async () => {
    for (const MaxKeys of [1, 2, 3, 7]) {
      const { keys: listed, pages } = await allV2({ MaxKeys });
      assert.deepEqual(listed, sorted, `max-keys ${MaxKeys}`);
      assert.equal(pages, Math.ceil(sorted.length / MaxKeys));
    }
  });

  it('groups by delimiter into CommonPrefixes at the top level and under a prefix', async () => {
    const top = await allV2({ Delimiter: '/' });
    assert.deepEqual(top.keys, ['a.txt', 'b']);
    assert.deepEqual(top.prefixes, ['a-b/', 'a/', 'photos/', 'z/']);
    const photos = await allV2({ Delimiter: '/', Prefix: 'photos/' });
    assert.deepEqual(photos.keys, ['photos/2024-extra.jpg', 'photos/readme']);
    assert.deepEqual(photos.prefixes, ['photos/2023/', 'photos/2024/']);
    const partial = await allV2({ Delimiter: '/', Prefix: 'photos/2024' });
    assert.deepEqual(partial.keys, ['photos/2024-extra.jpg']);
    assert.deepEqual(partial.prefixes, ['photos/2024/']);
  });

  it('pages through CommonPrefixes one at a time without repeating them', async () => {
    const one = await allV2({ Delimiter: '/', MaxKeys: 1 });
    assert.deepEqual(one.prefixes, ['a-b/', 'a/', 'photos/', 'z/']);
    assert.deepEqual(one.keys, ['a.txt', 'b']);
    assert.equal(one.pages, 6);
  });

  it('groups by a delimiter other than "/"', async () => {
    const out = await allV2({ Delimiter: '.', Prefix: 'photos/' });
    assert.deepEqual(out.prefixes, [
      'photos/2023/x.',
      'photos/2024-extra.',
      'photos/2024/a.',
      'photos/2024/b.',
    ]);
    assert.deepEqual(out.keys, ['photos/readme']);
  });

  it('filters by prefix and starts after start-after', async () => {
    assert.deepEqual((await allV2({ Prefix: 'a/b' })).keys, ['a/b/c.txt', 'a/b/d.txt']);
    assert.deepEqual((await allV2({ Prefix: 'nothing' })).keys, []);
    assert.deepEqual(
      (await allV2({ StartAfter: 'photos/2024/a.jpg' })).keys,
      sorted.slice(sorted.indexOf('photos/2024/a.jpg') + 1),
    );
    assert.deepEqual(
      (await allV2({ Prefix: 'photos/', StartAfter: 'photos/2024/a.jpg', Delimiter: '/' })).prefixes,
      ['photos/2024/'],
    );
  });

  it('pages V1 listings with markers (NextMarker with a delimiter, the last key without)', async () => {
    const listed: string[] = [];
    let Marker: string | undefined;
    for (;;) {
      const page = await t.client.send(new ListObjectsCommand({ Bucket, MaxKeys: 4, Marker }));
      listed.push(...(page.Contents ?? []).map((c) => c.Key!));
      assert.equal(page.NextMarker, undefined);
      if (!page.IsTruncated) break;
      Marker = page.Contents![page.Contents!.length - 1]!.Key;
    }
    assert.deepEqual(listed, sorted);
    const prefixes: string[] = [];
    Marker = undefined;
    for (;;) {
      const page: ListObjectsCommandOutput = await t.client.send(
        new ListObjectsCommand({ Bucket, MaxKeys: 1, Delimiter: '/', Marker }),
      );
      prefixes.push(
        ...(page.CommonPrefixes ?? []).map((p) => p.Prefix!),
        ...(page.Contents ?? []).map((c) => c.Key!),
      );
      if (!page.IsTruncated) break;
      Marker = page.NextMarker;
      assert.ok(Marker);
    }
    assert.deepEqual(prefixes, ['a-b/', 'a.txt', 'a/', 'b', 'photos/', 'z/']);
  });

  it('url-encodes keys and prefixes with encoding-type=url', async () => {
    const headers = await signHeaders(
      {
        method: 'GET',
        host: t.host,
        path: `/${Bucket}`,
        query: { 'list-type': '2', prefix: 'z/', 'encoding-type': 'url' },
      },
      { payloadHash: 'UNSIGNED-PAYLOAD' },
    );
    const res = await rawRequest(t.gateway.port, {
      method: 'GET',
      path: `/${Bucket}?list-type=2&prefix=z%2F&encoding-type=url`,
      headers,
    });
    const xml = res.body.toString('utf8');
    assert.equal(res.status, 200);
    assert.ok(xml.includes('<Key>z/%C3%BC.txt</Key>'), xml);
    assert.ok(xml.includes('<EncodingType>url</EncodingType>'));
  });

  it('lists an empty bucket and refuses a bad continuation token', async () => {
    await t.client.send(new CreateBucketCommand({ Bucket: 'empty.list' }));
    const out = await t.client.send(new ListObjectsV2Command({ Bucket: 'empty.list' }));
    assert.equal(out.KeyCount, 0);
    assert.equal(out.IsTruncated, false);
    await assert.rejects(t.client.send(new ListObjectsV2Command({ Bucket, ContinuationToken: '!!' })), {
      name: 'InvalidArgument',
    });
  });
});

describe('s3gateway object versions', () => {
  let t: TestGateway;
  const Bucket = 'master.versions';

  before(async () => {
    t = await startTestGateway();
    await t.client.send(new CreateBucketCommand({ Bucket }));
  });
  after(async () => {
    await t.stop();
  });

  it('lists the commits that changed each key, newest first, with delete markers and pages', async () => {
    const put = async (Key: string, Body: string) =>
      (await t.client.send(new PutObjectCommand({ Bucket, Key, Body }))).VersionId!;
    const a1 = await put('a', '1');
    const b1 = await put('b', '1');
    const a2 = await put('a', '22');
    const del = (await t.client.send(new DeleteObjectCommand({ Bucket, Key: 'b' }))).VersionId!;
    const c1 = await put('c', '333');
    const all = await t.client.send(new ListObjectVersionsCommand({ Bucket }));
    assert.deepEqual(
      all.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest, v.Size]),
      [
        ['a', a2, true, 2],
        ['a', a1, false, 1],
        ['b', b1, false, 1],
        ['c', c1, true, 3],
      ],
    );
    assert.deepEqual(
      all.DeleteMarkers?.map((d) => [d.Key, d.VersionId, d.IsLatest]),
      [['b', del, true]],
    );
    // Paging one entry at a time yields the same sequence.
    const seen: string[] = [];
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    for (;;) {
      const page = await t.client.send(
        new ListObjectVersionsCommand({ Bucket, MaxKeys: 1, KeyMarker, VersionIdMarker }),
      );
      seen.push(
        ...(page.Versions ?? []).map((v) => `${v.Key}@${v.VersionId}:${v.IsLatest}`),
        ...(page.DeleteMarkers ?? []).map((d) => `${d.Key}@${d.VersionId}:del:${d.IsLatest}`),
      );
      if (!page.IsTruncated) break;
      KeyMarker = page.NextKeyMarker;
      VersionIdMarker = page.NextVersionIdMarker;
    }
    assert.deepEqual(seen, [
      `a@${a2}:true`,
      `a@${a1}:false`,
      `b@${del}:del:true`,
      `b@${b1}:false`,
      `c@${c1}:true`,
    ]);
    const onlyA = await t.client.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'a' }));
    assert.deepEqual(
      onlyA.Versions?.map((v) => v.VersionId),
      [a2, a1],
    );
  });
});
