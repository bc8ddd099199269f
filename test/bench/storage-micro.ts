/**
 * Micro-benchmarks of the pfs storage library on the in-memory object store, each figure printed
 * beside a baseline measured in the same run (SHA-256 and memcpy speed of this machine), so the
 * ratios mean something on any machine.
 *
 *   npx node test/bench/storage-micro.ts            # full run (1 GiB put/get, 1M-entry trees)
 *   BENCH_SCALE=0.1 npx node test/bench/storage-micro.ts   # a quick run
 */
import { createHash, randomFillSync } from 'node:crypto';
import { platformErrors } from '../../services/platform/errors.ts';
import { MemoryObjectStore } from '../../services/platform/object-store/memory.ts';
import type { ObjectStore } from '../../services/platform/object-store/object-store.ts';
import {
  Chunker,
  EMPTY_ROOT,
  FileSetStorage,
  TreeBuilder,
  type IndexEntry,
} from '../../services/pfs/storage/index.ts';

const scale = Number(process.env['BENCH_SCALE'] ?? '1');
const MiB = 1024 * 1024;
const rows: [string, string, string][] = [];
const report = (what: string, value: string, baseline = ''): void => {
  rows.push([what, value, baseline]);
  console.log(`${what.padEnd(52)} ${value.padStart(18)}   ${baseline}`);
};
const mbps = (bytes: number, ms: number): number => bytes / MiB / (ms / 1000);

function randomBuffer(bytes: number): Buffer {
  const b = Buffer.allocUnsafe(bytes);
  for (let off = 0; off < bytes; off += 65536) randomFillSync(b, off, Math.min(65536, bytes - off));
  return b;
}

async function* pieces(b: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < b.length; off += size) yield b.subarray(off, Math.min(off + size, b.length));
}

const putBytes = Math.round(1024 * MiB * scale);
const data = randomBuffer(putBytes);

// Baselines: one core's SHA-256 and memcpy over the same bytes.
let t = performance.now();
createHash('sha256').update(data).digest();
const shaMBps = mbps(putBytes, performance.now() - t);
t = performance.now();
Buffer.from(data);
const copyMBps = mbps(putBytes, performance.now() - t);
report('baseline: SHA-256, one core', `${shaMBps.toFixed(0)} MB/s`);
report('baseline: memcpy', `${copyMBps.toFixed(0)} MB/s`);

// 1. Chunking.
{
  const chunker = new Chunker();
  let n = 0;
  t = performance.now();
  for (let off = 0; off < data.length; off += MiB) n += chunker.push(data.subarray(off, off + MiB)).length;
  if (chunker.flush()) n++;
  const ms = performance.now() - t;
  report(
    'chunking (FastCDC, 1 MiB avg)',
    `${mbps(putBytes, ms).toFixed(0)} MB/s`,
    `${(mbps(putBytes, ms) / shaMBps).toFixed(2)}× SHA-256; ${n} chunks, avg ${(putBytes / n / 1024).toFixed(0)} KiB`,
  );
}

// 2. Put and get of one large file.
{
  const store = new MemoryObjectStore();
  const storage = new FileSetStorage(store);
  const w = storage.writer();
  t = performance.now();
  await w.put('/big.bin', pieces(data, MiB));
  const staged = await w.finish();
  const putMs = performance.now() - t;
  report(
    `put ${(putBytes / MiB).toFixed(0)} MiB file (memory store)`,
    `${mbps(putBytes, putMs).toFixed(0)} MB/s`,
    `${(mbps(putBytes, putMs) / shaMBps).toFixed(2)}× SHA-256; ${staged.chunksWritten} chunks`,
  );

  const again = storage.writer();
  await again.put('/again.bin', pieces(data, MiB));
  const s2 = await again.finish();
  report('put the same bytes again: new chunk bytes', `${s2.chunkBytesWritten} B`, `of ${putBytes}`);

  const edited = Buffer.from(data);
  randomFillSync(edited, Math.floor(putBytes / 2), MiB);
  const w3 = storage.writer();
  await w3.put('/edited.bin', pieces(edited, MiB));
  const s3 = await w3.finish();
  report(
    '1 MiB changed in the middle: new chunk bytes',
    `${(s3.chunkBytesWritten / MiB).toFixed(1)} MiB`,
    `${s3.chunksWritten} chunks (target ≤ 8 MiB)`,
  );

  const root = (await storage.applyStaged(EMPTY_ROOT, [staged.root])).root;
  const cold = new FileSetStorage(store);
  t = performance.now();
  let got = 0;
  for await (const b of cold.reader(root).readFile('/big.bin')) got += b.length;
  const getMs = performance.now() - t;
  if (got !== putBytes) throw new Error(`read ${got} bytes, expected ${putBytes}`);
  report(
    'get the file back (verified)',
    `${mbps(putBytes, getMs).toFixed(0)} MB/s`,
    `${(mbps(putBytes, getMs) / shaMBps).toFixed(2)}× SHA-256`,
  );
}

// 2b. The library's own put cost, without the in-memory store's two copies of every chunk.
{
  const discard: ObjectStore = {
    description: 'discard:',
    async put(_key, body) {
      let size = 0;
      if (body instanceof Uint8Array) size = body.length;
      else for await (const part of body) size += part.length;
      return { size };
    },
    get: () => {
      throw new Error('discard store cannot read');
    },
    head: async (key) => {
      throw platformErrors.notFound(`object "${key}" not found`);
    },
    delete: async () => undefined,
    list: () => {
      throw new Error('discard store cannot list');
    },
  };
  const w = new FileSetStorage(discard).writer();
  t = performance.now();
  await w.put('/big.bin', pieces(data, MiB));
  await w.finish();
  const ms = performance.now() - t;
  report(
    `put ${(putBytes / MiB).toFixed(0)} MiB file (discarding store)`,
    `${mbps(putBytes, ms).toFixed(0)} MB/s`,
    `${(mbps(putBytes, ms) / shaMBps).toFixed(2)}× SHA-256`,
  );
}

// 3. Many small files.
{
  const store = new MemoryObjectStore();
  const storage = new FileSetStorage(store);
  const n = Math.round(100_000 * scale);
  const body = randomBuffer(1024 * 64);
  const w = storage.writer();
  t = performance.now();
  for (let i = 0; i < n; i++)
    await w.put(`/small/dir${i % 100}/file-${i}`, body.subarray((i * 7) % 60_000, ((i * 7) % 60_000) + 1024));
  const { root } = await w.finish();
  await storage.applyStaged(EMPTY_ROOT, [root]);
  const ms = performance.now() - t;
  let objects = 0;
  for await (const _ of store.list('')) objects++;
  report(
    `${n} files of 1 KiB in one file set`,
    `${((n / ms) * 1000).toFixed(0)} files/s`,
    `${objects} objects = ${((objects / n) * 100).toFixed(2)}% of files (target ≤ 1%, ≥ 5000/s)`,
  );
}

// 4. Listing and merge cost at 10k / 100k / 1M entries.
const fakeChunk = createHash('sha256').update('chunk').digest('hex');
const entryFor = (i: number, v = 0): IndexEntry => ({
  path: `/data/part-${String(i % 1000).padStart(4, '0')}/file-${String(i).padStart(8, '0')}.json`,
  op: 'put',
  size: 1024,
  contentHash: createHash('sha256').update(`${i}:${v}`).digest('hex'),
  refs: [{ chunk: fakeChunk, offset: (i * 1024) % (4 * MiB), length: 1024 }],
  tag: '',
});
const merges: { n: number; ms: number }[] = [];
for (const full of [10_000, 100_000, 1_000_000]) {
  const n = Math.max(1000, Math.round(full * scale));
  const store = new MemoryObjectStore();
  const storage = new FileSetStorage(store);
  const sortedIdx = Array.from({ length: n }, (_, i) => i).sort((a, b) =>
    entryFor(a).path < entryFor(b).path ? -1 : 1,
  );
  const b = new TreeBuilder(storage.pages, storage.tree);
  for (const i of sortedIdx) await b.addEntry(entryFor(i));
  const root = await b.finish();

  const lister = new FileSetStorage(store); // cold: every page fetched, verified, decoded
  t = performance.now();
  let listed = 0;
  for await (const _ of lister.reader(root).entries()) listed++;
  const listMs = performance.now() - t;
  if (listed !== n) throw new Error(`listed ${listed} of ${n}`);
  report(
    `list ${n} entries (cold cache)`,
    `${((n / listMs) * 1000).toFixed(0)} entries/s`,
    'target ≥ 200,000/s',
  );

  const change = new TreeBuilder(storage.pages, storage.tree);
  await change.addEntry(entryFor(sortedIdx[Math.floor(n / 2)]!, 1));
  const staged = await change.finish();
  // Median of 5 runs, each with cold caches (every page read hits the store), after JIT warm-up.
  const runs: { ms: number; written: number; read: number; reused: number; root: string }[] = [];
  for (let k = 0; k < 5; k++) {
    const merger = new FileSetStorage(store);
    t = performance.now();
    const result = await merger.applyStaged(root, [staged]);
    runs.push({
      ms: performance.now() - t,
      written: merger.pages.counters.pagesWritten,
      read: merger.pages.counters.pagesRead,
      reused: result.subtreesReused,
      root: result.root,
    });
  }
  runs.sort((a, b) => a.ms - b.ms);
  const median = runs[2]!;
  merges.push({ n, ms: median.ms });
  report(
    `merge 1 changed file into ${n} (median of 5)`,
    `${median.ms.toFixed(1)} ms`,
    `${median.written} pages written, ${median.read} read, ${median.reused} subtrees reused`,
  );
  const result = { root: median.root };
  const diffStats = { pagesVisited: 0, subtreesSkipped: 0 };
  let changed = 0;
  for await (const _ of new FileSetStorage(store).diff(root, result.root, { stats: diffStats })) changed++;
  report(
    `diff of ${n}-entry trees differing in 1 file`,
    `${diffStats.pagesVisited} pages`,
    `${changed} item, ${diffStats.subtreesSkipped} subtrees skipped`,
  );
}
const first = merges[0]!;
const last = merges[merges.length - 1]!;
report(`merge time at ${last.n} / at ${first.n}`, `${(last.ms / first.ms).toFixed(2)}×`, 'target ≤ 3×');
