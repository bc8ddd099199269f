import assert from 'node:assert/strict';
import { isErrorCode } from '../platform/errors.ts';
import type { CommitRef } from './commit-access.ts';
import { DEFAULT_FILE_SET_TTL_MS, FileSetHandles, FileSets, layerKey, parseLayer } from './file-sets.ts';
import {
  ClockObjectStore,
  FakeCommitAccess,
  MemoryKv,
  TestClock,
  collectBytes,
  opsOf,
  toArray,
} from './file-test-helpers.ts';
import { Files, type FileSource, type ModifyOp } from './files.ts';
import { EMPTY_ROOT, FileSetStorage } from './storage/index.ts';

const master: CommitRef = { repo: 'images', branch: 'master' };
const MIN = 60_000;

function setup() {
  const clock = new TestClock();
  const store = new ClockObjectStore(clock);
  const storage = new FileSetStorage(store, {
    chunking: { minSize: 1024, avgSize: 4096, maxSize: 16_384 },
    tree: { leafBits: 2, innerBits: 2 },
  });
  const commits = new FakeCommitAccess(storage);
  commits.createRepo('images');
  const kv = new MemoryKv();
  const handles = new FileSetHandles({ kv, now: clock.now });
  const files = new Files({ commits, storage, handles, now: clock.now });
  const fileSets = new FileSets({ handles, files, commits, storage });
  return { clock, store, storage, commits, kv, handles, files, fileSets };
}

type Ctx = ReturnType<typeof setup>;

function put(path: string, data: string, extra: Partial<Extract<ModifyOp, { op: 'put' }>> = {}): ModifyOp {
  return { op: 'put', path, data: Buffer.from(data), ...extra };
}

function code(c: string, fragment?: string) {
  return (e: unknown) =>
    isErrorCode(e, c as never) && (fragment === undefined || (e as Error).message.includes(fragment));
}

async function read(ctx: Ctx, source: FileSource, path: string): Promise<string> {
  return (await collectBytes(ctx.files.getFile({ source, path }))).toString();
}

async function walk(ctx: Ctx, source: FileSource): Promise<string[]> {
  return (await toArray(ctx.files.walkFile({ source, path: '/' }, { filesOnly: true }))).map((i) => i.path);
}

const fs = (id: string): FileSource => ({ kind: 'fileSet', id });
const commit = (ref: CommitRef): FileSource => ({ kind: 'commit', ref });

describe('file sets', () => {
  it('creates a handle from a stream of operations, readable through the handle', async () => {
    const ctx = setup();
    const h = await ctx.fileSets.create(
      opsOf(put('/a', 'A'), put('/d/b', 'B'), put('/a', '+', { append: true })),
    );
    assert.match(h.id, /^[0-9a-f]{32}$/);
    assert.equal(h.layers.length, 1);
    assert.equal(h.expires.getTime(), ctx.clock.ms + DEFAULT_FILE_SET_TTL_MS);
    assert.equal(await read(ctx, fs(h.id), '/a'), 'A+');
    assert.deepEqual(await walk(ctx, fs(h.id)), ['/a', '/d/b']);
    const info = await ctx.files.inspectFile({ source: fs(h.id), path: '/d/b' });
    assert.deepEqual(info.source, { kind: 'fileSet', id: h.id });
    assert.equal(info.committed, undefined);
    assert.equal(ctx.commits.writeStagedCalls, 0, 'creating a file set touches no commit');
  });

  it('adds a handle to an open commit, applying its puts and deletes; the handle stays valid', async () => {
    const ctx = setup();
    await ctx.files.modifyFile(master, opsOf(put('/old', 'o'), put('/keep', 'k')));
    const open = ctx.commits.startCommit('images');
    const ref = { repo: 'images', id: open.id };
    const h = await ctx.fileSets.create(opsOf(put('/new', 'n'), { op: 'delete', path: '/old' }));
    const written = await ctx.fileSets.add(ref, h.id);
    assert.equal(written.id, open.id);
    assert.deepEqual(await walk(ctx, commit(ref)), ['/keep', '/new']);
    await ctx.commits.finishCommit('images', open.id);
    assert.deepEqual(await walk(ctx, commit(master)), ['/keep', '/new']);
    assert.equal((await ctx.handles.get(h.id)).id, h.id);
  });

  it('refuses to add to a commit that is not open, naming it, and refuses an unknown handle', async () => {
    const ctx = setup();
    const { commit: done } = await ctx.files.modifyFile(master, opsOf(put('/a', 'a')));
    const h = await ctx.fileSets.create(opsOf(put('/b', 'b')));
    await assert.rejects(
      ctx.fileSets.add({ repo: 'images', id: done.id }, h.id),
      code('failed_precondition', `images@${done.id}`),
    );
    const open = ctx.commits.startCommit('images');
    await assert.rejects(
      ctx.fileSets.add({ repo: 'images', id: open.id }, 'f'.repeat(32)),
      code('not_found', 'f'.repeat(32)),
    );
    await assert.rejects(
      ctx.fileSets.add({ repo: 'images', id: open.id }, '../etc'),
      code('invalid_argument', '../etc'),
    );
  });

  it('expires handles after their TTL; renewing before expiry extends them, after expiry is NOT_FOUND', async () => {
    const ctx = setup();
    const h = await ctx.fileSets.create(opsOf(put('/a', 'a')));
    ctx.clock.advance(DEFAULT_FILE_SET_TTL_MS - 1);
    const renewed = await ctx.fileSets.renew(h.id, { ttlMs: 30 * MIN });
    assert.equal(renewed.expires.getTime(), ctx.clock.ms + 30 * MIN);
    ctx.clock.advance(30 * MIN - 1);
    assert.equal(await read(ctx, fs(h.id), '/a'), 'a');
    ctx.clock.advance(1);
    await assert.rejects(ctx.handles.get(h.id), code('not_found', h.id));
    await assert.rejects(read(ctx, fs(h.id), '/a'), code('not_found', h.id));
    await assert.rejects(ctx.fileSets.renew(h.id), code('not_found', h.id));
    const open = ctx.commits.startCommit('images');
    await assert.rejects(ctx.fileSets.add({ repo: 'images', id: open.id }, h.id), code('not_found'));
    // Expired records linger (for the GC grace period) but are never served.
    assert.equal(ctx.kv.size, 1);
  });

  it('refuses TTLs above the maximum or negative', async () => {
    const ctx = setup();
    await assert.rejects(
      ctx.fileSets.create(opsOf(put('/a', 'a')), { ttlMs: 25 * 60 * MIN }),
      code('invalid_argument', 'maximum'),
    );
    const h = await ctx.fileSets.create(opsOf(put('/a', 'a')), { ttlMs: 24 * 60 * MIN });
    await assert.rejects(ctx.fileSets.renew(h.id, { ttlMs: -5 }), code('invalid_argument'));
  });

  it('lists live handles (and those expired within the grace) and deletes only long-expired records', async () => {
    const ctx = setup();
    const a = await ctx.fileSets.create(opsOf(put('/a', 'a')), { ttlMs: 1 * MIN });
    const b = await ctx.fileSets.create(opsOf(put('/b', 'b')), { ttlMs: 60 * MIN });
    ctx.clock.advance(10 * MIN);
    assert.deepEqual(
      (await toArray(ctx.handles.live())).map((h) => h.id),
      [b.id],
    );
    assert.deepEqual(
      (await toArray(ctx.handles.live({ graceMs: 20 * MIN }))).map((h) => h.id).sort(),
      [a.id, b.id].sort(),
    );
    assert.equal(await ctx.handles.deleteExpired({ graceMs: 20 * MIN }), 0);
    assert.equal(await ctx.handles.deleteExpired({ graceMs: 5 * MIN }), 1);
    assert.equal(ctx.kv.size, 1);
    assert.equal((await ctx.handles.get(b.id)).id, b.id);
  });

  it('registers layers written directly to the object store, verifying that they exist and parse', async () => {
    const ctx = setup();
    const w = ctx.storage.writer();
    await w.put('/direct', Buffer.from('written by a worker'));
    const { root } = await w.finish();
    const h = await ctx.fileSets.register([layerKey(root), EMPTY_ROOT]);
    assert.deepEqual(h.layers, [root, EMPTY_ROOT]);
    assert.equal(await read(ctx, fs(h.id), '/direct'), 'written by a worker');
    const missing = 'a'.repeat(64);
    await assert.rejects(ctx.fileSets.register([layerKey(missing)]), code('not_found', `index/${missing}`));
    await assert.rejects(ctx.fileSets.register(['chunks/abc']), code('invalid_argument', 'chunks/abc'));
    // A stored object whose bytes do not hash to its name.
    const bogus = 'b'.repeat(64);
    await ctx.store.put(layerKey(bogus), Buffer.from('not an index page'));
    await assert.rejects(ctx.fileSets.register([layerKey(bogus)]), code('data_loss'));
    assert.equal(parseLayer(root), root);
  });

  it('gets a handle on a commit: a finished tree, or an open commit with its staged writes', async () => {
    const ctx = setup();
    await ctx.files.modifyFile(master, opsOf(put('/a', '1'), put('/b', '2')));
    const { handle, commit: c } = await ctx.fileSets.getForCommit(master);
    assert.equal(c.repo, 'images');
    assert.deepEqual(await walk(ctx, fs(handle.id)), ['/a', '/b']);
    assert.equal(handle.layers[0], c.root);
    const open = ctx.commits.startCommit('images');
    await ctx.files.modifyFile({ repo: 'images', id: open.id }, opsOf(put('/c', '3')));
    const staged = await ctx.fileSets.getForCommit({ repo: 'images', id: open.id });
    assert.deepEqual(await walk(ctx, fs(staged.handle.id)), ['/a', '/b', '/c']);
    await assert.rejects(ctx.fileSets.getForCommit({ repo: 'images', branch: 'nope' }), code('not_found'));
  });

  it('composes handles into one layer, later ones overriding earlier ones', async () => {
    const ctx = setup();
    const h1 = await ctx.fileSets.create(opsOf(put('/a', 'a1'), put('/b', 'b1'), put('/c', 'c1')));
    const h2 = await ctx.fileSets.create(
      opsOf(put('/a', 'a2'), { op: 'delete', path: '/b' }, put('/c', '+', { append: true })),
    );
    const composed = await ctx.fileSets.compose([h1.id, h2.id]);
    assert.equal(composed.layers.length, 1);
    assert.deepEqual(await walk(ctx, fs(composed.id)), ['/a', '/c']);
    assert.equal(await read(ctx, fs(composed.id), '/a'), 'a2');
    assert.equal(await read(ctx, fs(composed.id), '/c'), 'c1+');
    await assert.rejects(ctx.fileSets.compose([]), code('invalid_argument'));
    ctx.clock.advance(DEFAULT_FILE_SET_TTL_MS);
    await assert.rejects(ctx.fileSets.compose([h1.id]), code('not_found', h1.id));
  });

  it('reads a multi-layer handle as its layers applied in order', async () => {
    const ctx = setup();
    const h1 = await ctx.fileSets.create(opsOf(put('/x', 'one'), put('/y', 'y')));
    const h2 = await ctx.fileSets.create(
      opsOf(put('/x', '-two', { append: true }), { op: 'delete', path: '/y' }),
    );
    const both = await ctx.fileSets.register([...h1.layers, ...h2.layers].map(layerKey));
    assert.equal(await read(ctx, fs(both.id), '/x'), 'one-two');
    assert.deepEqual(await walk(ctx, fs(both.id)), ['/x']);
  });

  it('copies from a handle into a commit by reference', async () => {
    const ctx = setup();
    const h = await ctx.fileSets.create(opsOf(put('/out/r', 'result')));
    const chunkPuts = ctx.store.putsUnder('chunks/');
    await ctx.files.modifyFile(
      master,
      opsOf<ModifyOp>({ op: 'copy', src: { source: fs(h.id), path: '/out' }, dst: '/results' }),
    );
    assert.equal(ctx.store.putsUnder('chunks/'), chunkPuts);
    assert.equal(await read(ctx, commit(master), '/results/r'), 'result');
  });

  it('refuses if_not_exists and datum-filtered deletes, which need a commit', async () => {
    const ctx = setup();
    await assert.rejects(
      ctx.fileSets.create(opsOf(put('/a', 'a', { ifNotExists: true }))),
      code('invalid_argument', 'if_not_exists'),
    );
    await assert.rejects(
      ctx.fileSets.create(opsOf<ModifyOp>({ op: 'delete', path: '/a', datum: 'd' })),
      code('invalid_argument', 'datum'),
    );
    assert.equal(ctx.kv.size, 0);
  });

  it('creates no handle when the stream fails midway', async () => {
    const ctx = setup();
    async function* ops(): AsyncGenerator<ModifyOp> {
      yield put('/a', 'a');
      throw new Error('worker crashed');
    }
    await assert.rejects(ctx.fileSets.create(ops()), /worker crashed/);
    assert.equal(ctx.kv.size, 0);
  });
});
