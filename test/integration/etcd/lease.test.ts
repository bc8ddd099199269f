import assert from 'node:assert/strict';
import { Kv, grantLease, watchKey } from '../../../services/platform/etcd/index.ts';
import { isErrorCode } from '../../../services/platform/errors.ts';
import { testEnv, uniquePrefix } from '../../harness/index.ts';
import { privateEtcd, runFixture, waitUntil } from './helpers.ts';

async function untilAborted(signal: AbortSignal, timeoutMs: number): Promise<number> {
  const started = Date.now();
  await waitUntil('the signal aborts', timeoutMs, () => signal.aborted);
  return Date.now() - started;
}

describe('etcd leases', function () {
  let kv: Kv;

  before(function () {
    kv = Kv.connect({ endpoints: testEnv().etcd.endpoint, prefix: uniquePrefix('lease') });
  });

  after(function () {
    kv.close();
  });

  it('loses the key of a holder killed with SIGKILL within TTL + 2 s', async function () {
    this.timeout(20_000);
    const ttl = 3;
    const holder = await runFixture('lease-holder.ts', [
      testEnv().etcd.endpoint,
      kv.prefix,
      'members/holder',
      String(ttl),
    ]);
    try {
      const entry = await kv.get('members/holder');
      assert.ok(entry, 'the holder wrote its key');
      assert.equal(`ready ${entry.lease}`, holder.firstLine, 'the key is attached to the lease');
      const deleted = watchKey(kv, 'members/holder', { fromRevision: entry.modRevision + 1 });
      const next = deleted.next();
      await holder.kill();
      const killedAt = Date.now();
      const ev = await next;
      const elapsed = Date.now() - killedAt;
      assert.equal(ev.value?.type, 'delete');
      assert.ok(elapsed <= (ttl + 2) * 1000, `key deleted ${elapsed} ms after the kill`);
      assert.equal(await kv.get('members/holder'), undefined);
      await deleted.return(undefined);
    } finally {
      await holder.kill();
    }
  });

  it('keeps its key past the TTL while the holder lives, and deletes it on close', async function () {
    const lease = await grantLease(kv, { ttlSeconds: 1 });
    await lease.put('members/alive', 'me');
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(await kv.getString('members/alive'), 'me');
    assert.equal(lease.alive, true);
    await lease.close();
    assert.equal(await kv.get('members/alive'), undefined, 'revoking deleted the key');
    assert.ok(
      lease.lost.aborted && isErrorCode(lease.lost.reason, 'cancelled'),
      'work under a closed lease stops',
    );
    await lease.close(); // idempotent
  });

  it('aborts its lost signal when etcd says the lease is gone', async function () {
    const lease = await grantLease(kv, { ttlSeconds: 3 });
    await lease.put('members/revoked', 'me');
    // Someone else (an operator, a fencing process) revokes it.
    await kv.client.leaseClient.leaseRevoke({ ID: lease.id });
    const elapsed = await untilAborted(lease.lost, 3000);
    assert.ok(isErrorCode(lease.lost.reason, 'failed_precondition'), String(lease.lost.reason));
    assert.ok(elapsed < 3000);
    await assert.rejects(lease.put('members/revoked', 'again'), (err: unknown) =>
      isErrorCode(err, 'failed_precondition'),
    );
    await lease.close();
  });

  it('aborts its lost signal when etcd has not answered for a full TTL', async function () {
    this.timeout(20_000);
    const own = await privateEtcd('lease-down');
    const kv2 = Kv.connect({ endpoints: own.etcd.endpoint, callTimeoutMs: 1000 });
    try {
      const lease = await grantLease(kv2, { ttlSeconds: 2 });
      await lease.put('k', 'v');
      await own.etcd.kill('SIGKILL');
      const elapsed = await untilAborted(lease.lost, 4000);
      assert.ok(isErrorCode(lease.lost.reason, 'unavailable'), String(lease.lost.reason));
      assert.ok(elapsed <= 2000 + 200, `lost after ${elapsed} ms, TTL 2000 ms`);
      await lease.close();
    } finally {
      kv2.close();
      await own.dispose();
    }
  });
});
