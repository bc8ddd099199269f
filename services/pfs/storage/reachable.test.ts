import assert from 'node:assert/strict';
import { isErrorCode } from '../../platform/errors.ts';
import { MemoryObjectStore } from '../../platform/object-store/memory.ts';
import { EMPTY_ROOT } from './page-store.ts';
import { FileSetStorage } from './storage.ts';
import { keys, randomBytes, toArray } from './test-helpers.ts';

describe('reachability (GC mark)', () => {
  it('yields every page and chunk of the given roots and nothing that only staged or older sets use', async () => {
    const store = new MemoryObjectStore();
    const storage = new FileSetStorage(store, {
      chunking: { minSize: 1024, avgSize: 4096, maxSize: 16_384 },
      tree: { leafBits: 3, innerBits: 2 },
    });
    const w = storage.writer();
    for (let i = 0; i < 300; i++) await w.put(`/f/${i}`, randomBytes(500, i));
    const staged1 = (await w.finish()).root;
    const v1 = (await storage.applyStaged(EMPTY_ROOT, [staged1])).root;
    const w2 = storage.writer();
    await w2.delete('/f');
    await w2.put('/only', randomBytes(30_000, 999));
    const staged2 = (await w2.finish()).root;
    const v2 = (await storage.applyStaged(v1, [staged2])).root;

    const all = new Set(await keys(store, ''));
    const fromBoth = new Set(await toArray(storage.reachable([v1, v2, staged1, staged2])));
    assert.deepEqual([...fromBoth].sort(), [...all].sort(), 'all objects are reachable from every root');

    const fromV2 = new Set(await toArray(storage.reachable([v2])));
    for (const key of fromV2) assert.ok(all.has(key), key);
    const v2Files = await toArray(storage.reader(v2).entries());
    assert.deepEqual(
      v2Files.map((e) => e.path),
      ['/only'],
    );
    const expectedChunks = new Set(v2Files.flatMap((e) => e.refs.map((r) => `chunks/${r.chunk}`)));
    assert.deepEqual([...fromV2].filter((k) => k.startsWith('chunks/')).sort(), [...expectedChunks].sort());
    assert.ok(fromV2.has(`index/${v2}`));
    assert.ok(!fromV2.has(`index/${v1}`));
    assert.deepEqual(await toArray(storage.reachable([EMPTY_ROOT])), []);
  });

  it('fails with DATA_LOSS rather than reporting a partial mark when a page is missing', async () => {
    const store = new MemoryObjectStore();
    const storage = new FileSetStorage(store);
    const w = storage.writer();
    await w.put('/a', Buffer.from('a'));
    const { root } = await w.finish();
    await store.delete(`index/${root}`);
    await assert.rejects(toArray(new FileSetStorage(store).reachable([root])), (e: unknown) =>
      isErrorCode(e, 'data_loss'),
    );
  });
});
