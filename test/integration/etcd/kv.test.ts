import assert from 'node:assert/strict';
import { Kv, CAS_DELETE, CAS_KEEP, freeLoopbackPort } from '../../../services/platform/etcd/index.ts';
import { isErrorCode, isTerrainError } from '../../../services/platform/errors.ts';
import { testEnv, uniquePrefix } from '../../harness/index.ts';

function text(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8');
}

describe('etcd KV', function () {
  let kv: Kv;

  before(function () {
    kv = Kv.connect({ endpoints: testEnv().etcd.endpoint, prefix: uniquePrefix('kv') });
  });

  after(function () {
    kv.close();
  });

  it('reads back what it wrote with its create and mod revisions', async function () {
    const first = await kv.put('a', 'one');
    const second = await kv.put('a', new Uint8Array([0, 1, 2, 255]));
    const entry = await kv.get('a');
    assert.ok(entry);
    assert.deepEqual([...entry.value], [0, 1, 2, 255]);
    assert.equal(entry.createRevision, first);
    assert.equal(entry.modRevision, second);
    assert.equal(entry.version, 2);
    assert.equal(text((await kv.get('a', { revision: first }))?.value), 'one');
    assert.equal(await kv.get('missing'), undefined);
    assert.deepEqual(await kv.delete('a'), { deleted: true, revision: second + 1 });
    assert.equal((await kv.delete('a')).deleted, false);
  });

  it('keeps namespaces apart', async function () {
    const other = kv.child('other/');
    await other.put('x', '1');
    await kv.put('x', '2');
    assert.equal(await other.getString('x'), '1');
    assert.equal(await kv.getString('x'), '2');
    assert.equal(await kv.getString('other/x'), '1');
  });

  it('lists a prefix page by page in key order, as one snapshot', async function () {
    const names = Array.from({ length: 23 }, (_, i) => `list/k${String(i).padStart(2, '0')}`);
    for (const name of [...names].reverse()) await kv.put(name, name);
    await kv.put('listing-not-under-prefix', 'x');
    const seen: string[] = [];
    for await (const entry of kv.list('list/', { pageSize: 4 })) {
      seen.push(entry.key);
      assert.equal(text(entry.value), entry.key);
      // Writes made during the scan are not part of its snapshot.
      if (seen.length === 5) {
        await kv.put('list/k00-added-during-scan', 'late');
        await kv.put('list/zz-added-during-scan', 'late');
        await kv.delete('list/k20');
      }
    }
    assert.deepEqual(seen, names);
    const keysOnly = [];
    for await (const entry of kv.list('list/', { pageSize: 7, keysOnly: true })) keysOnly.push(entry);
    assert.equal(keysOnly.length, 24);
    assert.equal(keysOnly[0]?.value.length, 0);
  });

  it('commits a transaction only when every compare holds', async function () {
    const created = await kv.txn().ifAbsent('txn/a').put('txn/a', 'v1').put('txn/b', 'b').commit();
    assert.equal(created.succeeded, true);
    const again = await kv.txn().ifAbsent('txn/a').put('txn/a', 'v2').commit();
    assert.equal(again.succeeded, false);
    assert.equal(again.revision, created.revision);
    assert.equal(await kv.getString('txn/a'), 'v1');

    const stale = await kv
      .txn()
      .ifModRevision('txn/a', created.revision - 1)
      .put('txn/a', 'stale')
      .commit();
    assert.equal(stale.succeeded, false);
    const fresh = await kv
      .txn()
      .ifModRevision('txn/a', created.revision)
      .ifCreateRevision('txn/b', created.revision)
      .ifValue('txn/b', 'b')
      .put('txn/a', 'v3')
      .delete('txn/b')
      .commit();
    assert.equal(fresh.succeeded, true);
    assert.equal(await kv.getString('txn/a'), 'v3');
    assert.equal(await kv.get('txn/b'), undefined);
    assert.equal((await kv.txn().ifValue('txn/b', 'b').put('txn/c', 'c').commit()).succeeded, false);
  });

  it('loses no update when two compare-and-swap writers race for 1,000 rounds each', async function () {
    this.timeout(60_000);
    // Two connections, as two processes would have.
    const other = Kv.connect({ endpoints: testEnv().etcd.endpoint, prefix: kv.prefix });
    let retries = 0;
    const writer = async (client: Kv): Promise<void> => {
      for (let round = 0; round < 1000; round++) {
        const result = await client.casUpdate('counter', (old) =>
          String(Number(text(old?.value) ?? '0') + 1),
        );
        retries += result.attempts - 1;
      }
    };
    try {
      await Promise.all([writer(kv), writer(other)]);
    } finally {
      other.close();
    }
    assert.equal(await kv.getString('counter'), '2000');
    const entry = await kv.get('counter');
    assert.equal(entry?.version, 2000, 'every round wrote exactly once');
    // Not asserted (it depends on scheduling), but shows the writers did collide.
    this.test!.title += ` (${retries} retries after conflicts)`;
  });

  it('deletes or keeps a key as the update function says', async function () {
    await kv.put('cas/k', 'x');
    const kept = await kv.casUpdate('cas/k', () => CAS_KEEP);
    assert.equal(kept.changed, false);
    assert.equal(text(kept.entry?.value), 'x');
    const deleted = await kv.casUpdate('cas/k', () => CAS_DELETE);
    assert.equal(deleted.changed, true);
    assert.equal(await kv.get('cas/k'), undefined);
    const created = await kv.casUpdate('cas/k', (old) => (old ? 'exists' : 'created'));
    assert.equal(text(created.entry?.value), 'created');
    assert.equal(created.entry?.modRevision, (await kv.get('cas/k'))?.modRevision);
  });

  it('gives up with ABORTED naming the key when the key keeps changing', async function () {
    let calls = 0;
    await assert.rejects(
      kv.casUpdate(
        'cas/contended',
        async (old) => {
          calls++;
          // Another writer changes the key between our read and our write, every time.
          await kv.put('cas/contended', `interference ${calls}`);
          return `${text(old?.value) ?? ''}+`;
        },
        { maxAttempts: 3 },
      ),
      (err: unknown) => {
        assert.ok(isErrorCode(err, 'aborted'), String(err));
        assert.match((err as Error).message, /cas\/contended/);
        assert.match((err as Error).message, /3 attempts/);
        return true;
      },
    );
    assert.equal(calls, 3);
    assert.equal(await kv.getString('cas/contended'), 'interference 3');
  });

  it('refuses a record over the size limit with a clear error and keeps working at once', async function () {
    const tooBig = new Uint8Array(1024 * 1024 + 1);
    await assert.rejects(kv.put('big/record', tooBig), (err: unknown) => {
      assert.ok(isErrorCode(err, 'resource_exhausted'), String(err));
      const message = (err as Error).message;
      assert.match(message, /big\/record/);
      assert.match(message, /1048577 bytes/);
      assert.match(message, /1048576 bytes/);
      assert.deepEqual((err as { details?: unknown }).details, {
        key: `${kv.prefix}big/record`,
        size: '1048577',
        limit: '1048576',
      });
      return true;
    });
    assert.equal(await kv.get('big/record'), undefined, 'nothing was written');
    assert.throws(
      () => kv.txn().put('big/in-txn', tooBig),
      (err: unknown) => isErrorCode(err, 'resource_exhausted'),
    );
    await assert.rejects(
      kv.casUpdate('big/cas', () => tooBig),
      (err: unknown) => isErrorCode(err, 'resource_exhausted'),
    );

    const started = Date.now();
    await kv.put('big/next', 'small');
    assert.equal(await kv.getString('big/next'), 'small');
    assert.ok(Date.now() - started < 1000, `the next put and get took ${Date.now() - started} ms`);
  });

  it('survives etcd itself refusing an oversized request (no 5-second circuit breaker)', async function () {
    // Raise our own limit so the value reaches etcd, which refuses anything over ~2 MiB at the gRPC layer.
    const loose = Kv.connect({
      endpoints: testEnv().etcd.endpoint,
      prefix: kv.prefix,
      maxRecordBytes: 8 * 1024 * 1024,
      maxRequestBytes: 8 * 1024 * 1024,
    });
    try {
      for (const size of [1.6 * 1024 * 1024, 3 * 1024 * 1024]) {
        await assert.rejects(loose.put('big/raw', new Uint8Array(Math.floor(size))), (err: unknown) => {
          assert.ok(isErrorCode(err, 'resource_exhausted'), String(err));
          return true;
        });
      }
      const started = Date.now();
      await loose.put('big/after-refusal', 'ok');
      assert.equal(await loose.getString('big/after-refusal'), 'ok');
      assert.ok(Date.now() - started < 1000, `the next put and get took ${Date.now() - started} ms`);
    } finally {
      loose.close();
    }
  });

  it('refuses a transaction of more than 128 operations before sending it', async function () {
    const txn = kv.txn();
    for (let i = 0; i < 129; i++) txn.put(`many/${i}`, 'x');
    await assert.rejects(txn.commit(), (err: unknown) => {
      assert.ok(isErrorCode(err, 'resource_exhausted'), String(err));
      assert.match((err as Error).message, /129 operations/);
      return true;
    });
    const ok = kv.txn();
    for (let i = 0; i < 128; i++) ok.put(`many/${i}`, 'x');
    assert.equal((await ok.commit()).succeeded, true);
    let count = 0;
    for await (const _ of kv.list('many/', { keysOnly: true })) count++;
    assert.equal(count, 128);
  });

  it('reports UNAVAILABLE quickly when etcd is unreachable', async function () {
    const port = await freeLoopbackPort();
    const nowhere = Kv.connect({ endpoints: `http://127.0.0.1:${port}`, callTimeoutMs: 3000 });
    try {
      const started = Date.now();
      await assert.rejects(nowhere.get('x'), (err: unknown) => {
        assert.ok(isTerrainError(err) && err.code === 'unavailable', String(err));
        assert.match((err as Error).message, /etcd/);
        return true;
      });
      assert.ok(Date.now() - started < 3000);
    } finally {
      nowhere.close();
    }
  });

  it('stops a call when its signal aborts', async function () {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(kv.get('x', { signal: controller.signal }), (err: unknown) =>
      isErrorCode(err, 'cancelled'),
    );
    const listing = kv.list('', { signal: controller.signal });
    await assert.rejects(listing.next(), (err: unknown) => isErrorCode(err, 'cancelled'));
  });
});
