import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Kv, watchKey, watchPrefix, type WatchEvent } from '../../../services/platform/etcd/index.ts';
import { isErrorCode } from '../../../services/platform/errors.ts';
import { createLogger } from '../../../services/platform/logging.ts';
import { testEnv, uniquePrefix } from '../../harness/index.ts';
import { privateEtcd, take } from './helpers.ts';

/** A compact, comparable form of an event: "put k=v@rev", "delete k@rev", "reset@rev", … */
function show(ev: WatchEvent): string {
  switch (ev.type) {
    case 'put':
      return `put ${ev.key}=${Buffer.from(ev.value).toString()}`;
    case 'delete':
      return `delete ${ev.key}`;
    default:
      return ev.type;
  }
}

describe('etcd watch', function () {
  let kv: Kv;

  before(function () {
    kv = Kv.connect({ endpoints: testEnv().etcd.endpoint, prefix: uniquePrefix('watch') });
  });

  after(function () {
    kv.close();
  });

  it('delivers the puts and deletes under a prefix in revision order, from a given revision', async function () {
    await kv.put('w/a', '0');
    const from = await kv.put('w/a', '1');
    await kv.put('elsewhere', 'not watched');
    await kv.txn().put('w/b', '2').put('w/c', '3').commit();
    await kv.delete('w/a');
    const controller = new AbortController();
    const watch = watchPrefix(kv, 'w/', { fromRevision: from, signal: controller.signal });
    const early = await take(watch, 4, 5000);
    await kv.put('w/d', '4');
    const late = await take(watch, 1, 5000);
    const events = [...early, ...late];
    assert.deepEqual(events.map(show), ['put w/a=1', 'put w/b=2', 'put w/c=3', 'delete w/a', 'put w/d=4']);
    const revisions = events.map((e) => (e.type === 'put' || e.type === 'delete' ? e.modRevision : -1));
    assert.equal(revisions[0], from);
    assert.equal(revisions[1], revisions[2], 'one transaction, one revision');
    assert.ok(revisions[3]! > revisions[2]! && revisions[4]! > revisions[3]!);
    controller.abort();
    await assert.rejects(watch.next(), (err: unknown) => isErrorCode(err, 'cancelled'));
  });

  it('watches from now when no revision is given, and one key only with watchKey', async function () {
    await kv.put('one/k', 'before');
    const all = watchPrefix(kv, 'one/');
    const single = watchKey(kv, 'one/k');
    // Both watches are established lazily on the first next(); start them, then write.
    const first = all.next();
    const firstSingle = single.next();
    await new Promise((r) => setTimeout(r, 200));
    await kv.put('one/k2', 'other key');
    await kv.put('one/k', 'after');
    assert.equal(show((await first).value as WatchEvent), 'put one/k2=other key');
    assert.equal(show((await firstSingle).value as WatchEvent), 'put one/k=after');
    await all.return(undefined);
    await single.return(undefined);
  });

  it('delivers the current state and every later event when its start revision was compacted', async function () {
    const old = await kv.put('c/a', 'a1');
    await kv.put('c/b', 'b1');
    await kv.put('c/a', 'a2');
    await kv.delete('c/b');
    await kv.put('c/c', 'c1');
    const compactedTo = await kv.revision();
    await kv.compact(compactedTo);
    await assert.rejects(kv.get('c/a', { revision: old }), (err: unknown) =>
      isErrorCode(err, 'failed_precondition'),
    );

    const watch = watchPrefix(kv, 'c/', { fromRevision: old });
    const recovered = await take(watch, 4, 5000);
    assert.deepEqual(recovered.map(show), ['reset', 'put c/a=a2', 'put c/c=c1', 'reset-end']);
    const reset = recovered[0]!;
    assert.ok(reset.type === 'reset' && reset.revision >= compactedTo);
    assert.deepEqual(recovered[3], { type: 'reset-end', revision: reset.revision });

    await kv.put('c/d', 'd1');
    await kv.delete('c/a');
    await kv.txn().put('c/e', 'e1').put('c/c', 'c2').commit();
    const later = await take(watch, 4, 5000);
    assert.deepEqual(later.map(show), ['put c/d=d1', 'delete c/a', 'put c/e=e1', 'put c/c=c2']);
    await watch.return(undefined);
  });

  it('reports progress on a quiet prefix so a consumer can persist an up-to-date resume point', async function () {
    this.timeout(20_000);
    const own = await privateEtcd('watch-progress', undefined, [
      '--experimental-watch-progress-notify-interval',
      '300ms',
    ]);
    const quiet = Kv.connect({ endpoints: own.etcd.endpoint });
    try {
      const watch = watchPrefix(quiet, 'quiet/', { progress: true });
      const first = watch.next();
      await new Promise((r) => setTimeout(r, 100));
      const busy = await quiet.put('busy/k', 'elsewhere');
      let progress = (await first).value as WatchEvent;
      while (progress.type === 'progress' && progress.revision < busy) {
        progress = (await take(watch, 1, 5000))[0]!;
      }
      assert.deepEqual(progress, { type: 'progress', revision: busy });
      await quiet.put('quiet/k', 'news');
      const [next] = await take(watch, 1, 5000);
      assert.equal(show(next!), 'put quiet/k=news');
      await watch.return(undefined);
    } finally {
      quiet.close();
      await own.dispose();
    }
  });

  describe('on an etcd that is killed and restarted', function () {
    let own: Awaited<ReturnType<typeof privateEtcd>>;
    let kv2: Kv;

    before(async function () {
      own = await privateEtcd('watch-restart');
      kv2 = Kv.connect({
        endpoints: own.etcd.endpoint,
        prefix: uniquePrefix('restart'),
        callTimeoutMs: 2000,
      });
    });

    after(async function () {
      kv2?.close();
      await own?.dispose();
    });

    /** Put-if-absent, retried until etcd answers: a retry after an unknown outcome cannot write twice. */
    async function putEventually(key: string, value: string): Promise<void> {
      for (;;) {
        try {
          await kv2.txn().ifAbsent(key).put(key, value).commit();
          return;
        } catch (err) {
          if (!isErrorCode(err, 'unavailable')) throw err;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }

    it('continues after etcd is killed with SIGKILL and restarted, missing no event and repeating none', async function () {
      this.timeout(30_000);
      const from = await kv2.revision();
      const logged: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          logged.push(chunk.toString());
          done();
        },
      });
      const logger = createLogger({ level: 'warn', destination: sink });
      const watch = watchPrefix(kv2, 'seq/', { fromRevision: from + 1, logger });
      const key = (i: number): string => `seq/${String(i).padStart(2, '0')}`;

      for (let i = 0; i < 5; i++) await putEventually(key(i), `v${i}`);
      const before = await take(watch, 3, 5000); // two of them are still unread when etcd dies

      await own.etcd.kill('SIGKILL');
      // Writes while etcd is down fail and are retried; etcd comes back while they wait.
      const during = (async () => {
        for (let i = 5; i < 10; i++) await putEventually(key(i), `v${i}`);
      })();
      await new Promise((r) => setTimeout(r, 700));
      await own.etcd.restart();
      await during;
      for (let i = 10; i < 15; i++) await putEventually(key(i), `v${i}`);
      await putEventually('seq/zz-marker', 'end');

      const after = await take(watch, 13, 15_000);
      const events = [...before, ...after];
      const expected = [
        ...Array.from({ length: 15 }, (_, i) => `put ${key(i)}=v${i}`),
        'put seq/zz-marker=end',
      ];
      assert.deepEqual(events.map(show), expected);
      const revisions = events.map((e) => (e.type === 'put' ? e.modRevision : 0));
      for (let i = 1; i < revisions.length; i++)
        assert.ok(revisions[i]! > revisions[i - 1]!, `revisions increase: ${revisions.join(',')}`);
      assert.ok(
        logged.some((line) => line.includes('reconnecting')),
        'the watch did lose its connection',
      );
      await watch.return(undefined);
    });
  });
});
