/**
 * Streaming bounds: datums over 50,000 files are produced without holding the listing in memory.
 * Heap figures are taken after forced collections (v8's gc, exposed for this file only), so they
 * measure what the iteration retains, not garbage waiting to be collected.
 */
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MemoryObjectStore } from '../../platform/object-store/memory.ts';
import { CountingObjectStore } from '../../pfs/storage/test-helpers.ts';
import { EMPTY_ROOT, FileSetStorage, type RootHash } from '../../pfs/storage/index.ts';
import { iterateDatums } from './iterate.ts';
import { input } from './test-helpers.ts';
import type { Datum } from './types.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const FILES = 50_000;
const MiB = 1 << 20;

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Consumes datums, sampling the retained heap every `every` datums; returns count and peak growth. */
async function drain(
  datums: AsyncIterable<Datum>,
  every: number,
): Promise<{ count: number; peakGrowth: number }> {
  const base = heapUsed();
  let peak = 0;
  let count = 0;
  for await (const _ of datums) {
    if (++count % every === 0) peak = Math.max(peak, heapUsed() - base);
  }
  if (process.env.PPS_MEMORY_DEBUG)
    console.log(`${count} datums, peak retained growth ${(peak / MiB).toFixed(2)} MiB`);
  return { count, peakGrowth: peak };
}

describe('datum streaming over 50,000 files', function () {
  this.timeout(120_000);
  const counting = new CountingObjectStore(new MemoryObjectStore());
  // Small caches, so the storage's own caches do not blur the measurement.
  // Small pages (about 64 entries a leaf), so "a few pages" is a small part of the index.
  const options = { pageCacheBytes: 2 * MiB, chunkCacheBytes: 2 * MiB, tree: { leafBits: 6, innerBits: 4 } };
  const storage = new FileSetStorage(counting, options);
  let flat: RootHash;
  let left: RootHash;
  let right: RootHash;

  before(async () => {
    const build = async (path: (i: number) => string, n: number): Promise<RootHash> => {
      const w = storage.writer();
      for (let i = 0; i < n; i++) await w.put(path(i), Buffer.from(`content of file ${i}`));
      return (await storage.applyStaged(EMPTY_ROOT, [(await w.finish()).root])).root;
    };
    flat = await build(
      (i) => `/dir${String(i % 500).padStart(3, '0')}/file-${String(i).padStart(6, '0')}.txt`,
      FILES,
    );
    left = await build((i) => `/l/${String(i).padStart(6, '0')}.csv`, FILES / 2);
    right = await build((i) => `/${String(i).padStart(6, '0')}.json`, FILES / 2);
  });

  /** Reads through `through` (a fresh storage has cold caches). */
  const resolver =
    (roots: Record<string, RootHash>, through = storage) =>
    ({ repo }: { repo: string }) =>
      roots[repo] ? { reader: through.reader(roots[repo]), commit: '0'.repeat(32) } : undefined;

  it('yields the first "/*/*" datum after reading a few index pages, not the whole index', async () => {
    counting.reset();
    const it = iterateDatums(input({ pfs: { repo: 'flat', glob: '/*/*' } }), {
      resolve: resolver({ flat }, new FileSetStorage(counting, options)),
    });
    const first = await it.next();
    await it.return(undefined);
    assert.equal(first.value?.inputs[0]?.path, '/dir000/file-000000.txt');
    const pages = counting.of('index/').get;
    const totalPages = await countPages(flat);
    assert.ok(
      pages <= 10 && pages * 20 < totalPages,
      `${pages} of ${totalPages} pages read before the first datum`,
    );
  });

  it('keeps the retained heap bounded while streaming one datum per file ("/*/*")', async () => {
    const { count, peakGrowth } = await drain(
      iterateDatums(input({ pfs: { repo: 'flat', glob: '/*/*' } }), { resolve: resolver({ flat }) }),
      5_000,
    );
    assert.equal(count, FILES);
    // Holding the datums would retain about 30 MiB (measured): each lists its file, hashes, paths.
    assert.ok(peakGrowth < 8 * MiB, `retained heap grew by ${(peakGrowth / MiB).toFixed(1)} MiB`);
  });

  it('keeps the heap bounded for "/*" directory datums listing 100 files each', async () => {
    const { count, peakGrowth } = await drain(
      iterateDatums(input({ pfs: { repo: 'flat', glob: '/*' } }), { resolve: resolver({ flat }) }),
      50,
    );
    assert.equal(count, 500);
    assert.ok(peakGrowth < 8 * MiB, `retained heap grew by ${(peakGrowth / MiB).toFixed(1)} MiB`);
  });

  it('joins 25,000 × 25,000 matches with a small sort buffer, spilling to disk with a bounded heap', async () => {
    const tree = input({
      join: [
        { pfs: { repo: 'left', glob: '/l/(*).csv', join_on: '$1' } },
        { pfs: { repo: 'right', glob: '/(*).json', join_on: '$1' } },
      ],
    });
    const { count, peakGrowth } = await drain(
      iterateDatums(tree, { resolve: resolver({ left, right }), sortBufferRecords: 2_000 }),
      2_500,
    );
    assert.equal(count, FILES / 2);
    // Sort buffer, one read buffer per spilled run (25 runs), one key group; collecting the
    // datums instead would retain about 30 MiB (measured).
    assert.ok(peakGrowth < 12 * MiB, `retained heap grew by ${(peakGrowth / MiB).toFixed(1)} MiB`);
  });

  async function countPages(root: RootHash): Promise<number> {
    let n = 0;
    for await (const key of storage.reachable([root])) if (key.startsWith('index/')) n++;
    return n;
  }
});
