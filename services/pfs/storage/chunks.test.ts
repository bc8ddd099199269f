import assert from 'node:assert/strict';
import { isErrorCode } from '../../platform/errors.ts';
import { MemoryObjectStore } from '../../platform/object-store/memory.ts';
import { ChunkStore, concatRefs, type ChunkRef } from './chunks.ts';
import { sha256Sync } from './hash.ts';
import { collect, corruptObject, CountingObjectStore, randomBytes } from './test-helpers.ts';

describe('chunk store', () => {
  it('stores a chunk under chunks/<sha256> and reads it back verified', async () => {
    const store = new MemoryObjectStore();
    const chunks = new ChunkStore(store);
    const bytes = randomBytes(100_000, 1);
    const { hash, written } = await chunks.put(bytes);
    assert.equal(hash, sha256Sync(bytes));
    assert.equal(written, true);
    assert.equal((await store.head(`chunks/${hash}`)).size, 100_000);
    assert.ok(Buffer.from(await new ChunkStore(store).get(hash)).equals(bytes));
  });

  it('uploads a chunk once: a second put, from this or another process, finds it present', async () => {
    const store = new CountingObjectStore(new MemoryObjectStore());
    const bytes = randomBytes(50_000, 2);
    const a = new ChunkStore(store);
    assert.equal((await a.put(bytes)).written, true);
    assert.equal((await a.put(bytes)).written, false); // known in process: not even a head
    assert.equal(store.of('chunks/').head, 1);
    const b = new ChunkStore(store); // a fresh process asks the store
    assert.equal((await b.put(bytes)).written, false);
    assert.equal(store.of('chunks/').put, 1);
    assert.equal(store.of('chunks/').head, 2);
  });

  it('shares one upload between concurrent puts of the same bytes', async () => {
    const store = new CountingObjectStore(new MemoryObjectStore());
    const chunks = new ChunkStore(store);
    const bytes = randomBytes(10_000, 3);
    const results = await Promise.all([chunks.put(bytes), chunks.put(bytes), chunks.put(bytes)]);
    assert.equal(results.filter((r) => r.written).length, 1);
    assert.equal(store.of('chunks/').put, 1);
  });

  it('rewrites a present chunk older than the refresh age, so the collector cannot delete it under a writer', async () => {
    const store = new CountingObjectStore(new MemoryObjectStore());
    const bytes = randomBytes(1000, 4);
    await new ChunkStore(store).put(bytes);
    const stale = new ChunkStore(store, { refreshAfterMs: 0 });
    assert.equal((await stale.put(bytes)).written, true);
    assert.equal(store.of('chunks/').put, 2);
  });

  it('reports a corrupted chunk as DATA_LOSS naming it, never returning its bytes', async () => {
    const store = new MemoryObjectStore();
    const { hash } = await new ChunkStore(store).put(randomBytes(5000, 5));
    await corruptObject(store, `chunks/${hash}`, 1234);
    await assert.rejects(
      new ChunkStore(store).get(hash),
      (e: unknown) =>
        isErrorCode(e, 'data_loss') &&
        (e as Error).message.includes(hash) &&
        (e as Error).message.includes('corrupt'),
    );
  });

  it('reports a missing chunk as DATA_LOSS naming it', async () => {
    const hash = sha256Sync(Buffer.from('never stored'));
    await assert.rejects(
      new ChunkStore(new MemoryObjectStore()).get(hash),
      (e: unknown) =>
        isErrorCode(e, 'data_loss') &&
        (e as Error).message.includes(hash) &&
        (e as Error).message.includes('missing'),
    );
  });

  it('reads byte ranges across chunk edges from a ref list, fetching each chunk once', async () => {
    const store = new CountingObjectStore(new MemoryObjectStore());
    const chunks = new ChunkStore(store);
    const file = randomBytes(30_000, 6);
    // Three chunks holding the file at odd offsets, padded with unrelated bytes.
    const refs: ChunkRef[] = [];
    for (const [from, to, pad] of [
      [0, 9000, 100],
      [9000, 21_000, 7],
      [21_000, 30_000, 0],
    ] as const) {
      const chunk = Buffer.concat([randomBytes(pad, 9), file.subarray(from, to), randomBytes(50, 10)]);
      const { hash } = await chunks.put(chunk);
      refs.push({ chunk: hash, offset: pad, length: to - from });
    }
    store.reset();
    const reader = new ChunkStore(store);
    assert.ok((await collect(reader.readRefs(refs))).equals(file));
    for (const [start, end] of [
      [0, 1],
      [8999, 9001],
      [8000, 25_000],
      [29_999, 30_000],
      [21_000, 40_000],
      [5, 5],
    ]) {
      assert.ok(
        (await collect(reader.readRefs(refs, { start, end }))).equals(file.subarray(start, end)),
        `range ${start}-${end}`,
      );
    }
    assert.equal(store.of('chunks/').get, 3);
  });

  it('reports a ref that points past its chunk as DATA_LOSS', async () => {
    const chunks = new ChunkStore(new MemoryObjectStore());
    const { hash } = await chunks.put(randomBytes(100, 11));
    await assert.rejects(collect(chunks.readRefs([{ chunk: hash, offset: 90, length: 20 }])), (e: unknown) =>
      isErrorCode(e, 'data_loss'),
    );
  });

  it('joins refs at a seam when the second continues the first in the same chunk', () => {
    const a = [{ chunk: 'x', offset: 0, length: 10 }];
    assert.deepEqual(
      concatRefs(a, [
        { chunk: 'x', offset: 10, length: 5 },
        { chunk: 'y', offset: 0, length: 1 },
      ]),
      [
        { chunk: 'x', offset: 0, length: 15 },
        { chunk: 'y', offset: 0, length: 1 },
      ],
    );
    assert.deepEqual(concatRefs(a, [{ chunk: 'x', offset: 11, length: 5 }]).length, 2);
    assert.deepEqual(a, [{ chunk: 'x', offset: 0, length: 10 }]); // inputs untouched
  });
});
