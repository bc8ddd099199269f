import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { MemoryObjectStore } from '../../platform/object-store/memory.ts';
import { sha256Sync } from './hash.ts';
import type { IndexEntry } from './index-page.ts';
import { comparePaths } from './paths.ts';
import { EMPTY_ROOT } from './page-store.ts';
import { FileSetStorage } from './storage.ts';
import { collect, CountingObjectStore, randomBytes, toArray } from './test-helpers.ts';
import { TreeBuilder, type TreeOptions } from './tree.ts';

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
const fakeChunk = sha256Sync(Buffer.from('chunk'));

function file(path: string, version = 0): IndexEntry {
  return {
    path,
    op: 'put',
    size: 10,
    contentHash: sha(`${path}#${version}`),
    refs: [{ chunk: fakeChunk, offset: version, length: 10 }],
    tag: '',
  };
}
const del = (path: string): IndexEntry => ({
  path,
  op: 'delete',
  size: 0,
  contentHash: '',
  refs: [],
  tag: '',
});
const delPrefix = (path: string): IndexEntry => ({
  path,
  op: 'deletePrefix',
  size: 0,
  contentHash: '',
  refs: [],
  tag: '',
});

/** Writes sorted entries as a tree directly (no bytes): merge and diff only need the index. */
async function build(storage: FileSetStorage, entries: Iterable<IndexEntry>): Promise<string> {
  const b = new TreeBuilder(storage.pages, storage.tree);
  for (const e of entries) await b.addEntry(e);
  return await b.finish();
}

const sorted = (entries: IndexEntry[]): IndexEntry[] => entries.sort((a, b) => comparePaths(a.path, b.path));

/** The reference semantics of one staged set applied to a map of files. */
function applyModel(files: Map<string, IndexEntry>, staged: IndexEntry[]): void {
  for (const e of staged)
    if (e.op === 'deletePrefix') for (const p of [...files.keys()]) if (p.startsWith(e.path)) files.delete(p);
  for (const e of staged) {
    if (e.op === 'put') files.set(e.path, e);
    if (e.op === 'delete') files.delete(e.path);
  }
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const pathOf = (i: number): string => `/d${i % 37}/sub${i % 5}/f${String(i).padStart(7, '0')}`;

describe('merge (applyStaged)', () => {
  const deep: TreeOptions = { leafBits: 3, innerBits: 2 };

  it('produces exactly the tree a from-scratch build of the result gives, for random edits', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const storage = new FileSetStorage(new MemoryObjectStore(), { tree: deep });
      const rand = rng(seed);
      const files = new Map<string, IndexEntry>();
      for (let i = 0; i < 3000; i++) if (rand() < 0.7) files.set(pathOf(i), file(pathOf(i)));
      let root = await build(storage, sorted([...files.values()]));
      for (let round = 0; round < 3; round++) {
        const staged = new Map<string, IndexEntry>();
        const nChanges = 1 + Math.floor(rand() * 40);
        for (let k = 0; k < nChanges; k++) {
          const i = Math.floor(rand() * 3300); // some beyond the first and last key
          const r = rand();
          if (r < 0.5) staged.set(pathOf(i), file(pathOf(i), round + 1));
          else if (r < 0.9) staged.set(pathOf(i), del(pathOf(i)));
          else staged.set(`/d${i % 37}/sub${i % 5}/`, delPrefix(`/d${i % 37}/sub${i % 5}/`));
        }
        const changes = sorted([...staged.values()]);
        applyModel(files, changes);
        const result = await storage.applyStaged(root, [await build(storage, changes)]);
        root = result.root;
        const expected = await build(
          new FileSetStorage(new MemoryObjectStore(), { tree: deep }),
          sorted([...files.values()]),
        );
        assert.equal(root, expected, `seed ${seed} round ${round}`);
        assert.deepEqual(
          (await toArray(storage.reader(root).entries())).map((e) => e.path),
          sorted([...files.values()]).map((e) => e.path),
        );
      }
    }
  });

  it('costs pages in proportion to the tree height, not its size: 1 change in 1k, 10k and 100k files', async () => {
    const cost = async (n: number) => {
      const counting = new CountingObjectStore(new MemoryObjectStore());
      const params = { tree: { leafBits: 6, innerBits: 4 } };
      const writer = new FileSetStorage(counting, params);
      const root = await build(
        writer,
        Array.from({ length: n }, (_, i) => file(`/f${String(i).padStart(7, '0')}`)),
      );
      const change = await build(writer, [file(`/f${String(Math.floor(n / 2)).padStart(7, '0')}`, 1)]);
      counting.reset();
      const fresh = new FileSetStorage(counting, params); // cold caches: every page read hits the store
      const result = await fresh.applyStaged(root, [change]);
      const height = await treeHeight(fresh, root);
      return { reads: counting.of('index/').get, writes: counting.of('index/').put, height, result };
    };
    const small = await cost(1_000);
    const medium = await cost(10_000);
    const large = await cost(100_000);
    assert.ok(large.height > small.height, `heights ${small.height} and ${large.height}`);
    assert.ok(
      large.writes <= medium.writes + 2 && large.reads <= medium.reads + 4,
      JSON.stringify({ medium, large }),
    );
    for (const c of [small, medium, large]) {
      assert.ok(c.writes <= c.height + 2, `${c.writes} page writes at height ${c.height}`);
      assert.ok(c.reads <= 2 * c.height + 3, `${c.reads} page reads at height ${c.height}`);
    }
    assert.ok(
      large.writes <= small.writes + 2 && large.reads <= small.reads + 4,
      JSON.stringify({ small, large }),
    );
    assert.ok(large.result.subtreesReused > 10);
  });

  it('drops a deleted directory without reading its pages', async () => {
    const counting = new CountingObjectStore(new MemoryObjectStore());
    const params = { tree: { leafBits: 5, innerBits: 3 } };
    const storage = new FileSetStorage(counting, params);
    const entries = [
      ...Array.from({ length: 20_000 }, (_, i) => file(`/big/f${String(i).padStart(6, '0')}`)),
      ...Array.from({ length: 100 }, (_, i) => file(`/keep/f${i}`)),
    ];
    const root = await build(storage, sorted(entries));
    const change = await build(storage, [delPrefix('/big/')]);
    counting.reset();
    const result = await new FileSetStorage(counting, params).applyStaged(root, [change]);
    assert.ok(counting.of('index/').get < 40, `${counting.of('index/').get} pages read`);
    assert.deepEqual(
      (await toArray(storage.reader(result.root).entries())).map((e) => e.path),
      sorted(entries.slice(20_000)).map((e) => e.path),
    );
  });

  it('returns the parent itself when nothing is staged or the staged sets are empty', async () => {
    const storage = new FileSetStorage(new MemoryObjectStore());
    const root = await build(storage, [file('/a')]);
    assert.equal((await storage.applyStaged(root, [])).root, root);
    assert.equal((await storage.applyStaged(root, [EMPTY_ROOT, EMPTY_ROOT])).root, root);
    assert.equal((await storage.applyStaged(EMPTY_ROOT, [root])).root, root);
  });

  describe('with real bytes', () => {
    const small = { minSize: 1024, avgSize: 4096, maxSize: 16_384 };
    const stage = async (
      storage: FileSetStorage,
      fn: (w: ReturnType<FileSetStorage['writer']>) => Promise<void>,
    ) => {
      const w = storage.writer();
      await fn(w);
      return (await w.finish()).root;
    };
    const text = async (storage: FileSetStorage, root: string, path: string) =>
      (await collect(storage.reader(root).readFile(path))).toString();

    it("appends to the parent commit's file and computes the whole file's hash", async () => {
      const storage = new FileSetStorage(new MemoryObjectStore(), { chunking: small });
      const head = randomBytes(20_000, 1);
      const parent = (
        await storage.applyStaged(EMPTY_ROOT, [await stage(storage, async (w) => await w.put('/log', head))])
      ).root;
      const result = await storage.applyStaged(parent, [
        await stage(storage, async (w) => {
          await w.append('/log', Buffer.from('tail-1'));
          await w.append('/new', Buffer.from('fresh'));
        }),
        await stage(storage, async (w) => await w.append('/log', Buffer.from('tail-2'))),
      ]);
      const whole = Buffer.concat([head, Buffer.from('tail-1tail-2')]);
      assert.ok((await collect(storage.reader(result.root).readFile('/log'))).equals(whole));
      assert.equal((await storage.reader(result.root).get('/log'))!.contentHash, sha(whole));
      assert.equal((await storage.reader(result.root).get('/new'))!.contentHash, sha('fresh'));
      assert.equal(await text(storage, result.root, '/new'), 'fresh');
      assert.equal(result.filesRehashed, 1);
    });

    it('applies staged sets in order: a later delete wins, a later write under a deleted directory survives', async () => {
      const storage = new FileSetStorage(new MemoryObjectStore(), { chunking: small });
      const parent = (
        await storage.applyStaged(EMPTY_ROOT, [
          await stage(storage, async (w) => {
            for (const p of ['/dir/a', '/dir/b', '/dir/sub/c', '/dirx', '/keep'])
              await w.put(p, Buffer.from(p));
          }),
        ])
      ).root;
      const s1 = await stage(storage, async (w) => {
        await w.put('/keep', Buffer.from('changed'));
        await w.put('/dir/late', Buffer.from('late'));
        await w.delete('/dir');
        await w.put('/dir/new', Buffer.from('new'));
      });
      const s2 = await stage(storage, async (w) => {
        await w.delete('/keep');
        await w.append('/dir/new', Buffer.from('+'));
      });
      const root = (await storage.applyStaged(parent, [s1, s2])).root;
      assert.deepEqual(
        (await toArray(storage.reader(root).entries())).map((e) => e.path),
        ['/dir/new', '/dirx'],
      );
      assert.equal(await text(storage, root, '/dir/new'), 'new+');
      const reversed = (await storage.applyStaged(parent, [s2, s1])).root;
      assert.deepEqual(
        (await toArray(storage.reader(reversed).entries())).map((e) => e.path),
        ['/dir/new', '/dirx', '/keep'],
      );
      assert.equal(await text(storage, reversed, '/keep'), 'changed');
    });

    it('folds more staged sets than its fan-in, in order', async () => {
      const storage = new FileSetStorage(new MemoryObjectStore(), { chunking: small });
      const staged: string[] = [];
      for (let i = 0; i < 75; i++)
        staged.push(
          await stage(storage, async (w) => {
            await w.append('/counter', Buffer.from(`${i},`));
            await w.put(`/datum/${i}`, Buffer.from(String(i)));
          }),
        );
      const root = (await storage.applyStaged(EMPTY_ROOT, staged)).root;
      assert.equal(
        await text(storage, root, '/counter'),
        Array.from({ length: 75 }, (_, i) => `${i},`).join(''),
      );
      assert.equal((await storage.reader(root).totals()).count, 76);
    });

    it('merges copies by reference into the parent', async () => {
      const storage = new FileSetStorage(new MemoryObjectStore(), { chunking: small });
      const parent = (
        await storage.applyStaged(EMPTY_ROOT, [
          await stage(storage, async (w) => await w.put('/models/m.bin', randomBytes(50_000, 3))),
        ])
      ).root;
      const root = (
        await storage.applyStaged(parent, [
          await stage(
            storage,
            async (w) => void (await w.copy(storage.reader(parent), '/models', '/backup')),
          ),
        ])
      ).root;
      assert.ok(
        (await collect(storage.reader(root).readFile('/backup/m.bin'))).equals(randomBytes(50_000, 3)),
      );
    });
  });
});

async function treeHeight(storage: FileSetStorage, root: string): Promise<number> {
  const page = await storage.pages.read(root);
  return page.kind === 'leaf' ? 1 : page.level + 1;
}
