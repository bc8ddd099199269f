import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { isErrorCode } from '../../platform/errors.ts';
import { MemoryObjectStore } from '../../platform/object-store/memory.ts';
import { EMPTY_ROOT } from './page-store.ts';
import { FileSetStorage } from './storage.ts';
import { collect, CountingObjectStore, keys, pieces, randomBytes, toArray } from './test-helpers.ts';

const small = { minSize: 16 * 1024, avgSize: 64 * 1024, maxSize: 256 * 1024 };
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function commit(storage: FileSetStorage, staged: string, parent = EMPTY_ROOT): Promise<string> {
  return (await storage.applyStaged(parent, [staged])).root;
}

describe('file-set writer', () => {
  it('round-trips files of 0 bytes, 1 byte and many MiB crossing chunk boundaries, streamed or whole', async () => {
    const storage = new FileSetStorage(new MemoryObjectStore(), { chunking: small });
    const files = new Map<string, Buffer>([
      ['/empty', Buffer.alloc(0)],
      ['/one', Buffer.from([42])],
      ['/big/stream.bin', randomBytes(3 * 1024 * 1024 + 333, 1)],
      ['/big/whole.bin', randomBytes(1024 * 1024 + 1, 2)],
      ['/z/small', Buffer.from('hello')],
    ]);
    const w = storage.writer();
    for (const [path, bytes] of files) {
      if (path.includes('stream')) await w.put(path, pieces(bytes, 10_000));
      else await w.put(path, bytes);
    }
    const summary = await w.finish();
    assert.equal(summary.entries, files.size);
    assert.equal(
      summary.bytes,
      [...files.values()].reduce((n, b) => n + b.length, 0),
    );
    const reader = storage.reader(await commit(storage, summary.root));
    for (const [path, bytes] of files) {
      const entry = await reader.get(path);
      assert.equal(entry?.size, bytes.length, path);
      assert.equal(entry?.contentHash, sha(bytes), path);
      assert.ok((await collect(reader.readFile(path))).equals(bytes), path);
    }
    assert.ok((await reader.get('/big/stream.bin'))!.refs.length > 3, 'a large file spans several chunks');
  });

  it('computes the same content hashes and refs on the main thread as on the hash worker', async () => {
    const files = Array.from({ length: 300 }, (_, i) => randomBytes((i * 997) % 20_000, i));
    const write = async (hashWorker: boolean) => {
      const storage = new FileSetStorage(new MemoryObjectStore(), { chunking: small, hashWorker });
      const w = storage.writer();
      for (let i = 0; i < files.length; i++) await w.put(`/f/${i}`, pieces(files[i]!, 3000));
      return await toArray(storage.reader((await w.finish()).root).entries());
    };
    const [worker, inThread] = [await write(true), await write(false)];
    assert.deepEqual(worker, inThread);
    for (const e of worker) assert.equal(e.contentHash, sha(files[Number(e.path.slice(3))]!), e.path);
  });

  it('packs many small files into a few shared chunks', async () => {
    const store = new CountingObjectStore(new MemoryObjectStore());
    const storage = new FileSetStorage(store); // default 1 MiB chunks, 2048-entry leaves
    const w = storage.writer();
    const n = 10_000;
    for (let i = 0; i < n; i++) await w.put(`/files/f${String(i).padStart(6, '0')}`, randomBytes(1024, i));
    const { root } = await w.finish();
    const objects = (await keys(store, '')).length;
    assert.ok(objects <= n / 100, `${objects} objects for ${n} files`);
    const reader = storage.reader(root);
    assert.ok((await collect(reader.readFile('/files/f004321'))).equals(randomBytes(1024, 4321)));
    const entry = (await reader.get('/files/f004321'))!;
    assert.equal(entry.refs.length, 1);
    const sharing = (await toArray(reader.entries())).filter(
      (e) => e.refs[0]?.chunk === entry.refs[0]!.chunk,
    ).length;
    assert.ok(sharing > 100, `${sharing} files share the chunk`);
  });

  it('stores the same data twice without new chunks, and a mid-stream edit with few new ones', async () => {
    const store = new CountingObjectStore(new MemoryObjectStore());
    const storage = new FileSetStorage(store);
    const data = randomBytes(64 * 1024 * 1024, 3);
    const first = storage.writer();
    await first.put('/data.bin', pieces(data, 1 << 20));
    const s1 = await first.finish();
    const again = storage.writer();
    await again.put('/copy.bin', pieces(data, 1 << 20));
    const s2 = await again.finish();
    assert.equal(s2.chunksWritten, 0);
    assert.equal(s2.chunkBytesWritten, 0);
    const edited = Buffer.from(data);
    randomBytes(1024 * 1024, 4).copy(edited, 32 * 1024 * 1024);
    const third = new FileSetStorage(store).writer(); // a new process: dedup through head, not memory
    await third.put('/data.bin', pieces(edited, 1 << 20));
    const s3 = await third.finish();
    assert.ok(
      s3.chunksWritten <= 4 && s3.chunkBytesWritten <= 8 * 1024 * 1024,
      `${s3.chunksWritten} chunks, ${s3.chunkBytesWritten} bytes new of ${s1.chunks}`,
    );
  });

  it('keeps operation order: later writes win, and a delete removes earlier writes under it', async () => {
    const storage = new FileSetStorage(new MemoryObjectStore(), { chunking: small });
    const w = storage.writer();
    await w.put('/a', Buffer.from('first'));
    await w.put('/a', Buffer.from('second'));
    await w.put('/d/x', Buffer.from('x'));
    await w.put('/d/y', Buffer.from('y'));
    await w.delete('/d');
    await w.put('/d/y', Buffer.from('y again'));
    await w.put('/gone', Buffer.from('gone'));
    await w.delete('/gone');
    await w.put('/p', Buffer.from('ab'));
    await w.append('/p', Buffer.from('cd'));
    const reader = storage.reader(await commit(storage, (await w.finish()).root));
    const files = await toArray(reader.entries());
    assert.deepEqual(
      files.map((e) => e.path),
      ['/a', '/d/y', '/p'],
    );
    assert.equal((await collect(reader.readFile('/a'))).toString(), 'second');
    assert.equal((await collect(reader.readFile('/d/y'))).toString(), 'y again');
    assert.equal((await collect(reader.readFile('/p'))).toString(), 'abcd');
    assert.equal((await reader.get('/p'))!.contentHash, sha(Buffer.from('abcd')));
  });

  it('spills sorted runs when over its entry budget and merges them into the same file set', async () => {
    const storage = new FileSetStorage(new MemoryObjectStore(), {
      chunking: small,
      tree: { leafBits: 4, innerBits: 3 },
    });
    const write = async (maxBufferedEntries: number) => {
      const w = storage.writer({ maxBufferedEntries });
      for (let i = 0; i < 600; i++) await w.put(`/f/${(i * 7919) % 600}`, Buffer.from(`v${i}`)); // unsorted, with overwrites
      await w.delete('/f/1');
      await w.append('/f/2', Buffer.from('+'));
      return await w.finish();
    };
    const spilled = await write(50);
    const inMemory = await write(100_000);
    assert.ok(spilled.runs > 5);
    assert.equal(inMemory.runs, 0);
    const view = async (root: string) =>
      Promise.all(
        (await toArray(storage.reader(await commit(storage, root)).entries())).map(async (e) => [
          e.path,
          e.contentHash,
          (await collect(storage.reader(root).readFile(e))).toString(),
        ]),
      );
    assert.deepEqual(await view(spilled.root), await view(inMemory.root));
  });

  it('copies files and directories by reference, without new chunks', async () => {
    const store = new CountingObjectStore(new MemoryObjectStore());
    const storage = new FileSetStorage(store, { chunking: small });
    const w = storage.writer();
    await w.put('/src/a', randomBytes(100_000, 5));
    await w.put('/src/sub/b', Buffer.from('b'));
    await w.put('/other', Buffer.from('o'));
    const source = storage.reader(await commit(storage, (await w.finish()).root));
    const puts = store.of('chunks/').put;
    const c = storage.writer();
    assert.equal(await c.copy(source, '/src', '/dst'), 2);
    assert.equal(await c.copy(source, '/other', '/dst/other'), 1);
    await assert.rejects(c.copy(source, '/nothing', '/x'), (e: unknown) => isErrorCode(e, 'not_found'));
    const copied = (await c.finish()).root;
    assert.equal(store.of('chunks/').put, puts);
    const reader = storage.reader(await commit(storage, copied, source.root));
    assert.deepEqual(
      (await toArray(reader.entries())).map((e) => e.path),
      ['/dst/a', '/dst/other', '/dst/sub/b', '/other', '/src/a', '/src/sub/b'],
    );
    assert.ok((await collect(reader.readFile('/dst/a'))).equals(randomBytes(100_000, 5)));
    assert.deepEqual((await reader.get('/dst/a'))!.refs, (await reader.get('/src/a'))!.refs);
    assert.equal((await collect(reader.readFile('/dst/other'))).toString(), 'o');
  });

  it('writes an empty set as the empty root, with no objects', async () => {
    const store = new MemoryObjectStore();
    const summary = await new FileSetStorage(store).writer().finish();
    assert.equal(summary.root, EMPTY_ROOT);
    assert.deepEqual(await keys(store, ''), []);
  });

  it('refuses concurrent operations and poisons itself when a body stream fails', async () => {
    const storage = new FileSetStorage(new MemoryObjectStore(), { chunking: small });
    const w = storage.writer();
    const slow = w.put('/slow', pieces(randomBytes(100_000, 6), 1000));
    await assert.rejects(w.put('/other', Buffer.from('x')), (e: unknown) =>
      isErrorCode(e, 'failed_precondition'),
    );
    await slow;
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('partial');
      throw new Error('client went away');
    }
    await assert.rejects(w.put('/broken', broken()), /client went away/);
    await assert.rejects(w.finish(), /client went away/);
    await w.abort();
  });

  it('rejects invalid paths with INVALID_ARGUMENT', async () => {
    const w = new FileSetStorage(new MemoryObjectStore()).writer();
    await w.put('/ok', Buffer.from('fine'));
    for (const path of ['relative', '/a/../b', '/', '/a\0']) {
      await assert.rejects(
        w.put(path, Buffer.from('x')),
        (e: unknown) => isErrorCode(e, 'invalid_argument'),
        path,
      );
    }
    // A refused operation changed nothing, so the writer goes on.
    await w.put('/ok2', Buffer.from('fine'));
    assert.equal((await w.finish()).entries, 2);
  });

  it('stops with the abort reason when its signal aborts', async () => {
    const ac = new AbortController();
    const w = new FileSetStorage(new MemoryObjectStore(), { chunking: small }).writer({ signal: ac.signal });
    await w.put('/a', Buffer.from('a'));
    ac.abort(new Error('cancelled by test'));
    await assert.rejects(w.put('/b', Buffer.from('b')), /cancelled by test/);
    await assert.rejects(w.finish(), /cancelled by test/);
  });
});
