import assert from 'node:assert/strict';
import { BlockCache } from './block-cache.ts';

describe('BlockCache', () => {
  it('evicts the least recently used blocks once over its byte limit', async () => {
    const cache = new BlockCache(30, 10);
    const fetched: string[] = [];
    const get = (key: string) =>
      cache.get(key, () => {
        fetched.push(key);
        return Promise.resolve(Buffer.alloc(10, key));
      });
    await get('a');
    await get('b');
    await get('c');
    await get('a'); // a is now the most recent
    await get('d'); // evicts b
    assert.equal(cache.bytes, 30);
    assert.equal(cache.has('b'), false);
    assert.equal(cache.has('a'), true);
    assert.deepEqual(fetched, ['a', 'b', 'c', 'd']);
  });

  it('shares one fetch between concurrent readers of a missing block', async () => {
    const cache = new BlockCache(100, 10);
    let calls = 0;
    const fetch = () => {
      calls++;
      return Promise.resolve(Buffer.from('x'));
    };
    await Promise.all([cache.get('k', fetch), cache.get('k', fetch)]);
    assert.equal(calls, 1);
  });

  it('does not cache a failed fetch', async () => {
    const cache = new BlockCache(100, 10);
    await assert.rejects(
      cache.get('k', () => Promise.reject(new Error('down'))),
      /down/,
    );
    assert.equal(cache.has('k'), false);
    assert.deepEqual(await cache.get('k', () => Promise.resolve(Buffer.from('ok'))), Buffer.from('ok'));
  });
});
