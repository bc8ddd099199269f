import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { MemoryObjectStore } from '../../platform/object-store/memory.ts';
import type { DiffStats } from './diff.ts';
import type { IndexEntry } from './index-page.ts';
import { comparePaths } from './paths.ts';
import { EMPTY_ROOT } from './page-store.ts';
import { FileSetStorage } from './storage.ts';
import { CountingObjectStore, toArray } from './test-helpers.ts';
import { TreeBuilder } from './tree.ts';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const file = (path: string, version = 0): IndexEntry => ({
  path,
  op: 'put',
  size: 5 + version,
  contentHash: sha(`${path}${version}`),
  refs: [{ chunk: sha('c'), offset: 0, length: 5 + version }],
  tag: '',
});

async function build(storage: FileSetStorage, entries: IndexEntry[]): Promise<string> {
  const b = new TreeBuilder(storage.pages, storage.tree);
  for (const e of entries.sort((x, y) => comparePaths(x.path, y.path))) await b.addEntry(e);
  return await b.finish();
}

const name = (i: number): string => `/d${i % 10}/f${String(i).padStart(6, '0')}`;

describe('diff', () => {
  it('reports added, changed and deleted files in path order', async () => {
    const storage = new FileSetStorage(new MemoryObjectStore(), { tree: { leafBits: 2, innerBits: 2 } });
    const before = await build(
      storage,
      ['/a', '/b', '/c', '/d/x', '/e'].map((p) => file(p)),
    );
    const after = await build(storage, [
      file('/a'),
      file('/b', 1),
      file('/d/x'),
      file('/d/y'),
      file('/e'),
      file('/f'),
    ]);
    const items = (await toArray(storage.diff(before, after))).map((d) => `${d.kind}:${d.path}`);
    assert.deepEqual(items, ['changed:/b', 'deleted:/c', 'added:/d/y', 'added:/f']);
    assert.deepEqual(
      (await toArray(storage.diff(after, before))).map((d) => `${d.kind}:${d.path}`),
      ['changed:/b', 'added:/c', 'deleted:/d/y', 'deleted:/f'],
    );
    assert.deepEqual(await toArray(storage.diff(before, before)), []);
    assert.equal((await toArray(storage.diff(EMPTY_ROOT, after))).length, 6);
    assert.equal(
      (await toArray(storage.diff(after, EMPTY_ROOT))).filter((d) => d.kind === 'deleted').length,
      6,
    );
  });

  it('reads only a few pages to diff two 100k-file trees that differ in one file', async () => {
    const counting = new CountingObjectStore(new MemoryObjectStore());
    const params = { tree: { leafBits: 6, innerBits: 4 } };
    const storage = new FileSetStorage(counting, params);
    const entries = Array.from({ length: 100_000 }, (_, i) => file(name(i)));
    const before = await build(storage, entries.slice());
    const changed = entries.slice();
    changed[54_321] = file(name(54_321), 1);
    const after = await build(storage, changed);
    counting.reset();
    const stats: DiffStats = { pagesVisited: 0, subtreesSkipped: 0 };
    const items = await toArray(new FileSetStorage(counting, params).diff(before, after, { stats }));
    assert.deepEqual(
      items.map((d) => `${d.kind}:${d.path}`),
      [`changed:${name(54_321)}`],
    );
    assert.ok(counting.of('index/').get <= 12, `${counting.of('index/').get} pages read`);
    assert.ok(stats.subtreesSkipped > 10);
  });

  it('restricts a diff to a directory', async () => {
    const storage = new FileSetStorage(new MemoryObjectStore(), { tree: { leafBits: 3, innerBits: 2 } });
    const entries = Array.from({ length: 2000 }, (_, i) => file(name(i)));
    const before = await build(storage, entries.slice());
    const after = await build(
      storage,
      [...entries.slice(1), file('/d3/new'), file('/d4/new')].map((e) =>
        e.path === name(13) || e.path === name(14) ? file(e.path, 2) : e,
      ),
    );
    assert.deepEqual(
      (await toArray(storage.diff(before, after, { prefix: '/d3/' }))).map((d) => `${d.kind}:${d.path}`),
      [`changed:${name(13)}`, 'added:/d3/new'],
    );
    assert.deepEqual(
      (await toArray(storage.diff(before, after, { prefix: '/d0/' }))).map((d) => `${d.kind}:${d.path}`),
      [`deleted:${name(0)}`],
    );
  });
});
