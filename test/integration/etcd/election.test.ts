import assert from 'node:assert/strict';
import {
  Kv,
  campaign,
  currentLeader,
  observeLeader,
  type LeaderInfo,
} from '../../../services/platform/etcd/index.ts';
import { isErrorCode } from '../../../services/platform/errors.ts';
import { testEnv, uniquePrefix } from '../../harness/index.ts';
import { runFixture, take, waitUntil } from './helpers.ts';

describe('etcd elections', function () {
  let kv: Kv;

  before(function () {
    kv = Kv.connect({ endpoints: testEnv().etcd.endpoint, prefix: uniquePrefix('election') });
  });

  after(function () {
    kv.close();
  });

  it('passes leadership to the other candidate within TTL + 2 s when the leader is killed', async function () {
    this.timeout(20_000);
    const ttl = 3;
    const leader = await runFixture('election-candidate.ts', [
      testEnv().etcd.endpoint,
      kv.prefix,
      'scheduler',
      'candidate-a',
      String(ttl),
    ]);
    try {
      assert.match(leader.firstLine, /^leader elections\/scheduler\//);
      assert.equal((await currentLeader(kv, 'scheduler'))?.candidateId, 'candidate-a');

      let electedAt = 0;
      const second = campaign(kv, 'scheduler', 'candidate-b', { ttlSeconds: ttl }).then((l) => {
        electedAt = Date.now();
        return l;
      });
      // B waits behind A for as long as A lives.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(electedAt, 0, 'candidate-b does not lead while candidate-a lives');

      await leader.kill();
      const killedAt = Date.now();
      const leadership = await second;
      const elapsed = electedAt - killedAt;
      assert.ok(elapsed <= (ttl + 2) * 1000, `candidate-b led ${elapsed} ms after the kill`);
      assert.equal((await currentLeader(kv, 'scheduler'))?.candidateId, 'candidate-b');
      assert.equal(leadership.lost.aborted, false);
      await leadership.resign();
      assert.equal(await currentLeader(kv, 'scheduler'), undefined);
    } finally {
      await leader.kill();
    }
  });

  it('passes leadership in campaign order on resign, and observers see each leader', async function () {
    const controller = new AbortController();
    const observer = observeLeader(kv, 'ordered', { signal: controller.signal });
    assert.equal((await take(observer, 1, 5000))[0], undefined, 'nobody leads at first');

    const a = await campaign(kv, 'ordered', 'a', { ttlSeconds: 5 });
    const bPending = campaign(kv, 'ordered', 'b', { ttlSeconds: 5 });
    await waitUntil('b has queued', 5000, async () => {
      let n = 0;
      for await (const _ of kv.list('elections/ordered/', { keysOnly: true })) n++;
      return n === 2;
    });
    const cPending = campaign(kv, 'ordered', 'c', { ttlSeconds: 5 });
    assert.equal((await currentLeader(kv, 'ordered'))?.candidateId, 'a');

    await a.resign();
    assert.ok(a.lost.aborted, 'a resigned, so work under its leadership stops');
    const b = await bPending;
    assert.equal(b.candidateId, 'b');
    await b.resign();
    const c = await cPending;
    await c.resign();

    const seen = (await take(observer, 4, 5000)).map((l: LeaderInfo | undefined) => l?.candidateId);
    assert.deepEqual(seen, ['a', 'b', 'c', undefined]);
    controller.abort();
  });

  it('abandons a campaign whose signal aborts and leaves the queue', async function () {
    const a = await campaign(kv, 'abandon', 'a', { ttlSeconds: 5 });
    const controller = new AbortController();
    const b = campaign(kv, 'abandon', 'b', { ttlSeconds: 5, signal: controller.signal });
    await new Promise((r) => setTimeout(r, 200));
    controller.abort();
    await assert.rejects(b, (err: unknown) => isErrorCode(err, 'cancelled'));
    let keys = 0;
    for await (const _ of kv.list('elections/abandon/', { keysOnly: true })) keys++;
    assert.equal(keys, 1, 'only the leader remains');
    await a.resign();
  });

  it('signals lost when the leader key is deleted by someone else', async function () {
    const a = await campaign(kv, 'fenced', 'a', { ttlSeconds: 5 });
    await kv.delete(a.key);
    await waitUntil('leadership is lost', 3000, () => a.lost.aborted);
    assert.ok(isErrorCode(a.lost.reason, 'aborted'), String(a.lost.reason));
    await a.resign();
  });
});
