import assert from 'node:assert/strict';
import { isErrorCode } from '../../platform/errors.ts';
import { MemoryObjectStore } from '../../platform/object-store/memory.ts';
import { EMPTY_ROOT } from './page-store.ts';
import { FileSetStorage } from './storage.ts';
import { collect, corruptObject, CountingObjectStore, randomBytes, toArray } from './test-helpers.ts';

const small = { minSize: 1024, avgSize: 4096, maxSize: 16_384 };

async function tree(storage: FileSetStorage, files: Record<string, Uint8Array | string>): Promise<string> {
  const w = storage.writer();
  for (const [path, body] of Object.entries(files))
    await w.put(path, typeof body === 'string' ? Buffer.from(body) : body);
  return (await storage.applyStaged(EMPTY_ROOT, [(await w.finish()).root])).root;
}

describe('file-set reader', () => {
  it('lists one directory level: files, and each implied subdirectory once, in path order', async () => {
    const storage = new FileSetStorage(new MemoryObjectStore(), {
      chunking: small,
      tree: { leafBits: 2, innerBits: 2 },
    });
    const paths = ['/a/b-c', '/a/b/x', '/a/b/y/z', '/a/b0', '/a/c', '/a/d/1', '/a/d/2', '/b', '/top'];
    const root = await tree(storage, Object.fromEntries(paths.map((p) => [p, p])));
    const r = storage.reader(root);
    const list = async (dir: string, startAfter?: string) =>
      (await toArray(r.listDirectory(dir, { startAfter }))).map((i) => `${i.kind[0]}:${i.path}`);
    assert.deepEqual(await list('/'), ['d:/a/', 'f:/b', 'f:/top']);
    assert.deepEqual(await list('/a/'), ['f:/a/b-c', 'd:/a/b/', 'f:/a/b0', 'f:/a/c', 'd:/a/d/']);
    assert.deepEqual(await list('/a/b/'), ['f:/a/b/x', 'd:/a/b/y/']);
    assert.deepEqual(await list('/nothing/'), []);
    // Pagination resumes after a directory or a file.
    assert.deepEqual(await list('/a/', '/a/b/'), ['f:/a/b0', 'f:/a/c', 'd:/a/d/']);
    assert.deepEqual(await list('/a/', '/a/b0'), ['f:/a/c', 'd:/a/d/']);
    await assert.rejects(list('/a'), (e: unknown) => isErrorCode(e, 'invalid_argument'));
  });

  it('skips a large subdirectory by seeking instead of reading its pages', async () => {
    const counting = new CountingObjectStore(new MemoryObjectStore());
    const params = { chunking: small, tree: { leafBits: 4, innerBits: 3 } };
    const storage = new FileSetStorage(counting, params);
    const w = storage.writer();
    await w.put('/a', Buffer.from('a'));
    for (let i = 0; i < 5000; i++) await w.put(`/huge/${i}`, Buffer.from('x'));
    await w.put('/z', Buffer.from('z'));
    const root = (await storage.applyStaged(EMPTY_ROOT, [(await w.finish()).root])).root;
    counting.reset();
    const items = await toArray(new FileSetStorage(counting, params).reader(root).listDirectory('/'));
    assert.deepEqual(
      items.map((i) => i.path),
      ['/a', '/huge/', '/z'],
    );
    assert.ok(counting.of('index/').get < 20, `${counting.of('index/').get} pages read`);
  });

  it('iterates entries in order with a prefix and resumes after a path (pagination)', async () => {
    const storage = new FileSetStorage(new MemoryObjectStore(), {
      chunking: small,
      tree: { leafBits: 3, innerBits: 2 },
    });
    const paths = Array.from({ length: 500 }, (_, i) => `/p/${String(i).padStart(3, '0')}`);
    const root = await tree(storage, Object.fromEntries([...paths, '/q', '/o'].map((p) => [p, p])));
    const r = storage.reader(root);
    const pages: string[][] = [];
    let after: string | undefined;
    for (;;) {
      const page: string[] = [];
      for await (const e of r.entries({ prefix: '/p/', startAfter: after })) {
        page.push(e.path);
        if (page.length === 64) break;
      }
      if (page.length === 0) break;
      pages.push(page);
      after = page.at(-1);
    }
    assert.deepEqual(pages.flat(), paths);
    assert.equal(pages.length, 8);
    assert.equal((await r.get('/p/250'))?.path, '/p/250');
    assert.equal(await r.get('/p/250x'), undefined);
    assert.deepEqual(await r.totals(), { count: 502, bytes: paths.reduce((n, p) => n + p.length, 0) + 4 });
  });

  it('reads byte ranges across chunk edges', async () => {
    const storage = new FileSetStorage(new MemoryObjectStore(), { chunking: small });
    const bytes = randomBytes(100_000, 1);
    const r = storage.reader(await tree(storage, { '/before': 'x'.repeat(3000), '/f': bytes }));
    const entry = (await r.get('/f'))!;
    assert.ok(entry.refs.length > 5);
    let edge = 0;
    for (const ref of entry.refs.slice(0, 3)) {
      edge += ref.length;
      for (const [s, e] of [
        [edge - 1, edge + 1],
        [edge - 100, edge + 5000],
        [edge, edge + 1],
      ]) {
        assert.ok(
          (await collect(r.readFile('/f', { start: s, end: e }))).equals(bytes.subarray(s, e)),
          `${s}-${e}`,
        );
      }
    }
    assert.ok(
      (await collect(r.readFile(entry, { start: 99_990, end: 1 << 30 }))).equals(bytes.subarray(99_990)),
    );
    assert.equal((await collect(r.readFile('/f', { start: 200_000 }))).length, 0);
    await assert.rejects(
      collect(r.readFile('/missing')),
      (e: unknown) => isErrorCode(e, 'not_found') && (e as Error).message.includes('/missing'),
    );
  });

  it('fails a file with a corrupted chunk with DATA_LOSS and still reads the other files', async () => {
    const store = new MemoryObjectStore();
    const storage = new FileSetStorage(store, { chunking: small });
    const root = await tree(storage, { '/bad': randomBytes(40_000, 2), '/good': randomBytes(40_000, 3) });
    const bad = (await storage.reader(root).get('/bad'))!;
    const good = (await storage.reader(root).get('/good'))!;
    const victim = bad.refs.find((ref) => !good.refs.some((g) => g.chunk === ref.chunk))!;
    await corruptObject(store, `chunks/${victim.chunk}`, 10);
    const fresh = new FileSetStorage(store, { chunking: small }).reader(root); // no cached verified chunk
    await assert.rejects(
      collect(fresh.readFile('/bad')),
      (e: unknown) => isErrorCode(e, 'data_loss') && (e as Error).message.includes(victim.chunk),
    );
    assert.ok((await collect(fresh.readFile('/good'))).equals(randomBytes(40_000, 3)));
  });

  it('fails with DATA_LOSS when an index page is corrupted', async () => {
    const store = new MemoryObjectStore();
    const storage = new FileSetStorage(store, { chunking: small });
    const root = await tree(storage, { '/a': 'a' });
    await corruptObject(store, `index/${root}`, 5);
    await assert.rejects(
      new FileSetStorage(store).reader(root).get('/a'),
      (e: unknown) => isErrorCode(e, 'data_loss') && (e as Error).message.includes(root),
    );
  });

  it('tells files, implied directories and nothing apart', async () => {
    const storage = new FileSetStorage(new MemoryObjectStore(), { chunking: small });
    const r = storage.reader(await tree(storage, { '/a/b/c': 'c', '/f': 'f' }));
    assert.equal((await r.stat('/f'))?.kind, 'file');
    assert.deepEqual(await r.stat('/a/b'), { kind: 'directory', path: '/a/b/' });
    assert.deepEqual(await r.stat('/'), { kind: 'directory', path: '/' });
    assert.equal(await r.stat('/a/b/c/d'), undefined);
    assert.equal(await storage.reader(EMPTY_ROOT).stat('/'), undefined);
  });
});
