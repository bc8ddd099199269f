import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { isErrorCode } from '../../platform/errors.ts';
import { MemoryObjectStore } from '../../platform/object-store/memory.ts';
import type { IndexEntry } from './index-page.ts';
import { EMPTY_ROOT, PageStore } from './page-store.ts';
import { toArray } from './test-helpers.ts';
import { TreeBuilder, TreeCursor, treeEntries, treeParams, type TreeParams } from './tree.ts';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const entry = (path: string, refs = 1): IndexEntry => ({
  path,
  op: 'put',
  size: refs,
  contentHash: sha(path),
  refs: Array.from({ length: refs }, (_, i) => ({ chunk: sha(`${path}/${i}`), offset: 0, length: 1 })),
  tag: '',
});
const name = (i: number): string => `/f${String(i).padStart(6, '0')}`;

async function build(pages: PageStore, params: TreeParams, entries: IndexEntry[]): Promise<string> {
  const b = new TreeBuilder(pages, params);
  for (const e of entries) await b.addEntry(e);
  return await b.finish();
}

async function allPages(pages: PageStore, root: string): Promise<{ hashes: Set<string>; leaves: number[] }> {
  const hashes = new Set<string>();
  const leaves: number[] = [];
  const stack = [root];
  while (stack.length) {
    const h = stack.pop()!;
    hashes.add(h);
    const p = await pages.read(h);
    if (p.kind === 'leaf') leaves.push(p.entries.length);
    else stack.push(...p.children.map((c) => c.hash));
  }
  return { hashes, leaves };
}

describe('prolly tree', () => {
  it('sizes leaves around 2^leafBits entries by content and iterates back in order', async () => {
    const pages = new PageStore(new MemoryObjectStore());
    const params = treeParams({ leafBits: 5, innerBits: 3 });
    const entries = Array.from({ length: 20_000 }, (_, i) => entry(name(i)));
    const root = await build(pages, params, entries);
    const { leaves } = await allPages(pages, root);
    const mean = 20_000 / leaves.length;
    assert.ok(mean > 20 && mean < 48, `mean leaf ${mean}`);
    assert.deepEqual(
      (await toArray(treeEntries(pages, root))).map((e) => e.path),
      entries.map((e) => e.path),
    );
  });

  it('changes only the pages on the path to an inserted key, sharing all others', async () => {
    const pages = new PageStore(new MemoryObjectStore());
    const params = treeParams({ leafBits: 5, innerBits: 3 });
    const entries = Array.from({ length: 20_000 }, (_, i) => entry(name(i * 2)));
    const a = await allPages(pages, await build(pages, params, entries));
    const withInsert = [...entries.slice(0, 10_001), entry(name(20_001)), ...entries.slice(10_001)];
    const b = await allPages(pages, await build(pages, params, withInsert));
    const fresh = [...b.hashes].filter((h) => !a.hashes.has(h));
    assert.ok(fresh.length <= 6, `${fresh.length} of ${b.hashes.size} pages are new`);
  });

  it('cuts a page early when large entries reach maxPageBytes', async () => {
    const pages = new PageStore(new MemoryObjectStore());
    const params = treeParams({ leafBits: 20, innerBits: 20, maxPageBytes: 64 * 1024 });
    const entries = Array.from({ length: 40 }, (_, i) => entry(name(i), 200)); // ~9 KiB each
    const { leaves } = await allPages(pages, await build(pages, params, entries));
    assert.ok(leaves.length >= 5 && Math.max(...leaves) <= 8, JSON.stringify(leaves));
  });

  it('has the empty root for no entries and collapses single-child roots', async () => {
    const pages = new PageStore(new MemoryObjectStore());
    const params = treeParams({ leafBits: 1, innerBits: 1 });
    assert.equal(await build(pages, params, []), EMPTY_ROOT);
    const root = await build(pages, params, [entry('/only')]);
    const page = await pages.read(root);
    assert.equal(page.kind, 'leaf');
  });

  it('refuses entries out of order', async () => {
    const b = new TreeBuilder(new PageStore(new MemoryObjectStore()), treeParams());
    await b.addEntry(entry('/b'));
    await assert.rejects(b.addEntry(entry('/a')), (e: unknown) => isErrorCode(e, 'internal'));
    await assert.rejects(b.addEntry(entry('/b')), (e: unknown) => isErrorCode(e, 'internal'));
  });

  it('seeks to the first entry at or after a key, across leaves and past the end', async () => {
    const pages = new PageStore(new MemoryObjectStore());
    const params = treeParams({ leafBits: 2, innerBits: 2 });
    const root = await build(
      pages,
      params,
      Array.from({ length: 300 }, (_, i) => entry(name(i * 10))),
    );
    const c = new TreeCursor(pages, root);
    await c.seek('');
    assert.equal(c.current?.path, name(0));
    await c.seek(name(1234));
    assert.equal(c.current?.path, name(1240));
    await c.seek(name(1240));
    assert.equal(c.current?.path, name(1240));
    await c.next();
    assert.equal(c.current?.path, name(1250));
    await c.seek(name(50)); // backwards seeks are allowed
    assert.equal(c.current?.path, name(50));
    await c.seek(name(2991));
    assert.equal(c.current, undefined);
    await c.seek('/zzz');
    assert.equal(c.current, undefined);
  });
});
