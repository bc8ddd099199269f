import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { objectStoreConformance } from './conformance.ts';
import { LocalObjectStore } from './local.ts';

objectStoreConformance('local', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'terrain-local-os-'));
  return {
    store: new LocalObjectStore(dir),
    cleanup: async () => {
      // No temp file may survive the suite: every put either renamed it into place or removed it.
      const leftovers = await readdir(join(dir, '.tmp')).catch(() => []);
      await rm(dir, { recursive: true, force: true });
      assert.deepEqual(leftovers, [], 'temp files left behind by puts');
    },
  };
});

describe('LocalObjectStore', function () {
  let dir = '';
  beforeEach(async function () {
    dir = await mkdtemp(join(tmpdir(), 'terrain-local-os-'));
  });
  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps object a/b as the file objects/a/b under its root, and nothing else', async function () {
    const store = new LocalObjectStore(dir);
    await store.put('a/b', Buffer.from('hello'));
    assert.equal(await readFile(join(dir, 'objects', 'a', 'b'), 'utf8'), 'hello');
    assert.deepEqual((await readdir(dir)).sort(), ['.tmp', 'objects']);
    assert.deepEqual(await readdir(join(dir, '.tmp')), []);
  });

  it('refuses with FAILED_PRECONDITION a key that is both an object and a prefix of another', async function () {
    const store = new LocalObjectStore(dir);
    await store.put('x', Buffer.from('file'));
    await assert.rejects(store.put('x/y', Buffer.from('below a file')), { code: 'failed_precondition' });
    await store.put('d/e', Buffer.from('file'));
    await assert.rejects(store.put('d', Buffer.from('over a directory')), { code: 'failed_precondition' });
    assert.equal((await store.head('x')).size, 4);
    assert.deepEqual(await readdir(join(dir, '.tmp')), [], 'a refused put left its temp file');
  });

  it('sweeps temp files older than a day when it first touches the directory', async function () {
    await mkdir(join(dir, '.tmp'), { recursive: true });
    await writeFile(join(dir, '.tmp', 'crashed.tmp'), 'partial');
    await writeFile(join(dir, '.tmp', 'in-flight.tmp'), 'another process is writing this');
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    await utimes(join(dir, '.tmp', 'crashed.tmp'), twoDaysAgo, twoDaysAgo);
    await new LocalObjectStore(dir).put('k', Buffer.from('v'));
    assert.deepEqual(await readdir(join(dir, '.tmp')), ['in-flight.tmp']);
  });

  it('never loses a put into a directory that a concurrent delete is emptying', async function () {
    const store = new LocalObjectStore(dir);
    const ticks = (n: number): Promise<void> =>
      n === 0 ? Promise.resolve() : new Promise((ok) => setImmediate(() => void ticks(n - 1).then(ok)));
    for (let i = 0; i < 500; i++) {
      await store.put(`p/q/old-${i}`, Buffer.from('x'));
      // The delete removes p/q (and p) once empty, which may fall between the put's mkdir and its
      // rename; a varying head start for the put moves the delete across that window.
      const put = store.put(`p/q/new-${i}`, Buffer.from('y'));
      await ticks(i % 15);
      await Promise.all([store.delete(`p/q/old-${i}`), put]);
      assert.equal((await store.head(`p/q/new-${i}`)).size, 1, `round ${i}`);
      await store.delete(`p/q/new-${i}`);
    }
  });

  it('resolves an unnormalized root to an absolute directory', async function () {
    const store = new LocalObjectStore(join(dir, 'nested', '..', 'root'));
    assert.equal(store.description, `local:${join(dir, 'root')}`);
    await store.put('k', Buffer.from('v'));
    assert.equal(await readFile(join(dir, 'root', 'objects', 'k'), 'utf8'), 'v');
  });
});
