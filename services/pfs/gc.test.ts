import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { isErrorCode } from '../platform/errors.ts';
import { MemoryObjectStore } from '../platform/object-store/memory.ts';
import type { ObjectStore } from '../platform/object-store/object-store.ts';
import type { CommitRef } from './commit-access.ts';
import { FileSetHandles, FileSets } from './file-sets.ts';
import {
  ClockObjectStore,
  FakeCommitAccess,
  MemoryKv,
  TestClock,
  collectBytes,
  keysUnder,
  opsOf,
} from './file-test-helpers.ts';
import { Files, type ModifyOp } from './files.ts';
import { GarbageCollector, type GcReport } from './gc.ts';
import { FileSetStorage } from './storage/index.ts';

const master: CommitRef = { repo: 'images', branch: 'master' };
const HOUR = 3_600_000;

function setup(store?: ObjectStore) {
  const clock = new TestClock();
  const objects = store ?? new ClockObjectStore(clock);
  const storage = new FileSetStorage(objects, {
    chunking: { minSize: 1024, avgSize: 4096, maxSize: 16_384 },
    tree: { leafBits: 2, innerBits: 2 },
  });
  const commits = new FakeCommitAccess(storage);
  commits.createRepo('images');
  const kv = new MemoryKv();
  const handles = new FileSetHandles({ kv, now: clock.now });
  const files = new Files({ commits, storage, handles, now: clock.now });
  const fileSets = new FileSets({ handles, files, commits, storage });
  const gc = new GarbageCollector({ storage, commits, handles, now: clock.now });
  return { clock, store: objects, storage, commits, kv, handles, files, fileSets, gc };
}

type Ctx = ReturnType<typeof setup>;

function bytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function put(path: string, data: Uint8Array | string): ModifyOp {
  return { op: 'put', path, data: typeof data === 'string' ? Buffer.from(data) : data };
}

async function allObjects(store: ObjectStore): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const prefix of ['chunks/', 'index/'])
    for await (const info of store.list(prefix)) out.set(info.key, info.size);
  return out;
}

/** Writes files through a ModifyFile that fails at the end: its chunks and pages become garbage. */
async function strayUpload(ctx: Ctx, seed: number): Promise<void> {
  async function* ops(): AsyncGenerator<ModifyOp> {
    yield put(`/stray-${seed}`, bytes(60_000, seed));
    throw new Error('upload killed');
  }
  await assert.rejects(ctx.files.modifyFile(master, ops()), /upload killed/);
}

/** An unreachable chunk-like object written straight to the store. */
async function orphan(store: ObjectStore, seed: number): Promise<string> {
  const data = bytes(5000, seed);
  const key = `chunks/${createHash('sha256').update(data).digest('hex')}`;
  await store.put(key, data);
  return key;
}

async function readAll(ctx: Ctx, paths: Record<string, Buffer>): Promise<void> {
  for (const [path, data] of Object.entries(paths)) {
    assert.ok(
      (await collectBytes(ctx.files.getFile({ source: { kind: 'commit', ref: master }, path }))).equals(data),
      path,
    );
  }
}

describe('garbage collector', () => {
  it('keeps every reachable object and deletes unreachable old ones, reporting counts and bytes', async () => {
    const ctx = setup();
    const clock = ctx.clock;
    const store = ctx.store as ClockObjectStore;
    const live = { '/a': bytes(40_000, 1), '/b': bytes(30_000, 2) };
    clock.advance(-3 * HOUR);
    await ctx.files.modifyFile(master, opsOf(put('/a', live['/a']), put('/b', live['/b'])));
    const reachableBefore = await allObjects(store);
    await strayUpload(ctx, 3);
    await orphan(store, 4);
    const all = await allObjects(store);
    const garbage = [...all].filter(([k]) => !reachableBefore.has(k));
    assert.ok(garbage.length >= 2, 'the stray upload left objects behind');
    clock.advance(3 * HOUR);

    const report = await ctx.gc.run({ graceMs: HOUR });
    assert.equal(report.objectsScanned, all.size);
    assert.equal(report.objectsReachable, reachableBefore.size);
    assert.equal(report.objectsDeleted, garbage.length);
    assert.equal(
      report.bytesFreed,
      garbage.reduce((n, [, size]) => n + size, 0),
    );
    assert.equal(report.dryRun, false);
    assert.deepEqual([...(await allObjects(store)).keys()].sort(), [...reachableBefore.keys()].sort());
    assert.deepEqual(await keysUnder(store, 'gc/'), [], 'the marker object is removed');
    await readAll(ctx, live);
  });

  it('never deletes an object written after the mark began, even with zero grace', async () => {
    const ctx = setup();
    const store = ctx.store as ClockObjectStore;
    ctx.clock.advance(-2 * HOUR);
    await ctx.files.modifyFile(master, opsOf(put('/a', 'a')));
    const old = await orphan(store, 1);
    ctx.clock.advance(2 * HOUR);
    let during: string | undefined;
    ctx.commits.duringLiveRoots = async () => {
      during = await orphan(store, 2);
    };
    const report = await ctx.gc.run({ graceMs: 0 });
    assert.ok(during);
    const left = await allObjects(store);
    assert.ok(left.has(during), 'an object written during the mark survives');
    assert.ok(!left.has(old), 'an old unreachable object is deleted');
    assert.equal(report.objectsDeleted, 1);
  });

  it('never deletes an object written during the mark on a real-time store either', async () => {
    const ctx = setup(new MemoryObjectStore());
    await ctx.files.modifyFile(master, opsOf(put('/a', 'a')));
    let during: string | undefined;
    ctx.commits.duringLiveRoots = async () => {
      during = await orphan(ctx.store, 9);
    };
    await ctx.gc.run({ graceMs: 0 });
    assert.ok(during && (await allObjects(ctx.store)).has(during));
    await readAll(ctx, { '/a': Buffer.from('a') });
  });

  it('keeps unreachable objects younger than the grace period', async () => {
    const ctx = setup();
    const store = ctx.store as ClockObjectStore;
    await ctx.files.modifyFile(master, opsOf(put('/a', 'a')));
    ctx.clock.advance(-30 * 60_000);
    const young = await orphan(store, 5);
    ctx.clock.advance(30 * 60_000);
    const report = await ctx.gc.run({ graceMs: HOUR });
    assert.equal(report.objectsDeleted, 0);
    assert.ok((await allObjects(store)).has(young));
    ctx.clock.advance(2 * HOUR);
    assert.equal((await ctx.gc.run({ graceMs: HOUR })).objectsDeleted, 1);
  });

  it('deletes nothing in a dry run but reports what it would delete', async () => {
    const ctx = setup();
    const store = ctx.store as ClockObjectStore;
    ctx.clock.advance(-3 * HOUR);
    await strayUpload(ctx, 1);
    ctx.clock.advance(3 * HOUR);
    const before = await allObjects(store);
    const report = await ctx.gc.run({ graceMs: HOUR, dryRun: true });
    assert.equal(report.objectsDeleted, before.size);
    assert.equal(
      report.bytesFreed,
      [...before.values()].reduce((a, b) => a + b, 0),
    );
    assert.deepEqual(await allObjects(store), before);
  });

  it('protects the objects of live handles (and of handles expired within the grace), not of long-expired ones', async () => {
    const ctx = setup();
    const store = ctx.store as ClockObjectStore;
    ctx.clock.advance(-5 * HOUR);
    const liveHandle = await ctx.fileSets.create(opsOf(put('/live', bytes(20_000, 1))), { ttlMs: 24 * HOUR });
    const expiredLong = await ctx.fileSets.create(opsOf(put('/expired', bytes(20_000, 2))), {
      ttlMs: 60_000,
    });
    const expiredRecently = await ctx.fileSets.create(opsOf(put('/recent', bytes(20_000, 3))), {
      ttlMs: 4.5 * HOUR,
    });
    ctx.clock.advance(5 * HOUR);
    const report = await ctx.gc.run({ graceMs: HOUR });
    assert.ok(report.objectsDeleted > 0);
    assert.equal(report.handlesRemoved, 1);
    assert.equal(ctx.kv.size, 2);
    const left = await allObjects(store);
    assert.ok(left.has(`index/${liveHandle.layers[0]!}`));
    assert.ok(
      left.has(`index/${expiredRecently.layers[0]!}`),
      'a handle expired less than a grace ago still protects its objects',
    );
    assert.ok(!left.has(`index/${expiredLong.layers[0]!}`));
    assert.equal(
      (
        await collectBytes(
          ctx.files.getFile({ source: { kind: 'fileSet', id: liveHandle.id }, path: '/live' }),
        )
      ).length,
      20_000,
    );
    await assert.rejects(ctx.handles.get(expiredLong.id), (e: unknown) => isErrorCode(e, 'not_found'));
    assert.equal(report.objectsReachable + report.objectsDeleted, report.objectsScanned);
  });

  it('aborts the run with DATA_LOSS, deleting nothing, when the mark meets a missing page', async () => {
    const ctx = setup();
    const store = ctx.store as ClockObjectStore;
    ctx.clock.advance(-3 * HOUR);
    const { commit } = await ctx.files.modifyFile(master, opsOf(put('/a', bytes(10_000, 1))));
    await strayUpload(ctx, 2);
    ctx.clock.advance(3 * HOUR);
    await store.delete(`index/${commit.root}`);
    // A fresh storage: the deleted root page must not be served from the page cache.
    const storage = new FileSetStorage(store, { tree: { leafBits: 2, innerBits: 2 } });
    const gc = new GarbageCollector({ storage, commits: ctx.commits, handles: ctx.handles });
    const before = await allObjects(store);
    await assert.rejects(gc.run({ graceMs: HOUR }), (e: unknown) => isErrorCode(e, 'data_loss'));
    assert.deepEqual(await allObjects(store), before);
  });

  it('shares one collection between concurrent calls', async () => {
    const ctx = setup();
    await ctx.files.modifyFile(master, opsOf(put('/a', 'a')));
    let marks = 0;
    ctx.commits.duringLiveRoots = async () => {
      marks++;
    };
    const [r1, r2] = await Promise.all([ctx.gc.run(), ctx.gc.run()]);
    assert.equal(marks, 1);
    assert.equal(r1, r2);
    await ctx.gc.run();
    assert.equal(marks, 2);
  });

  it('refuses a default grace that does not exceed the storage refresh age, and a negative grace', async () => {
    const ctx = setup();
    assert.throws(
      () =>
        new GarbageCollector({
          storage: ctx.storage,
          commits: ctx.commits,
          handles: ctx.handles,
          refreshAfterMs: HOUR,
          graceMs: HOUR,
        }),
      (e: unknown) => isErrorCode(e, 'invalid_argument') && /refreshAfterMs/.test((e as Error).message),
    );
    assert.equal(
      new GarbageCollector({
        storage: ctx.storage,
        commits: ctx.commits,
        handles: ctx.handles,
        refreshAfterMs: 10 * 60_000,
      }).graceMs,
      70 * 60_000,
    );
    await assert.rejects(ctx.gc.run({ graceMs: -1 }), (e: unknown) => isErrorCode(e, 'invalid_argument'));
  });

  it('runs periodically, logging failures instead of throwing, until stopped', async () => {
    const ctx = setup();
    await ctx.files.modifyFile(master, opsOf(put('/a', 'a')));
    let calls = 0;
    ctx.commits.duringLiveRoots = async () => {
      calls++;
      if (calls === 1) throw new Error('etcd unavailable');
    };
    const results: (GcReport | Error)[] = [];
    let done!: () => void;
    const twoRuns = new Promise<void>((resolve) => (done = resolve));
    const periodic = ctx.gc.startPeriodic(1, {
      onResult: (r) => {
        results.push(r);
        if (results.length === 2) done();
      },
    });
    await twoRuns;
    await periodic.stop();
    await periodic.stop();
    assert.ok(results[0] instanceof Error && /etcd unavailable/.test(results[0].message));
    assert.ok(!(results[1] instanceof Error));
    const after = calls;
    // Stopped: no further run may start; the next scheduled tick was cleared.
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(calls, after);
  });
});
