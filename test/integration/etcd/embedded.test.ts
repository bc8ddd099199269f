import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Kv, startEtcd } from '../../../services/platform/etcd/index.ts';
import { isErrorCode } from '../../../services/platform/errors.ts';
import { privateEtcd, runFixture, scratchDir, waitUntil } from './helpers.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the embedded etcd', function () {
  it('compacts old revisions automatically', async function () {
    this.timeout(30_000);
    const own = await privateEtcd('compaction', { mode: 'periodic', retention: '1s' });
    const kv = Kv.connect({ endpoints: own.etcd.endpoint });
    try {
      const first = await kv.put('history', 'v0');
      for (let i = 1; i < 50; i++) await kv.put('history', `v${i}`);
      assert.equal(
        await kv.getString('history', { revision: first }),
        'v0',
        'the old revision is readable at first',
      );
      const started = Date.now();
      await waitUntil('revision ' + first + ' is compacted', 15_000, async () => {
        await kv.put('tick', String(Date.now())); // the periodic compactor needs revisions to move on
        try {
          await kv.get('history', { revision: first });
          return false;
        } catch (err) {
          if (
            isErrorCode(err, 'failed_precondition') &&
            (err as { details: Record<string, string> }).details['reason'] === 'compacted'
          )
            return true;
          throw err;
        }
      });
      this.test!.title += ` (after ${Date.now() - started} ms)`;
      assert.equal(await kv.getString('history'), 'v49', 'compaction keeps the current value');
    } finally {
      kv.close();
      await own.dispose();
    }
  });

  it('restarts on the same data dir and ports with every key kept', async function () {
    this.timeout(30_000);
    const own = await privateEtcd('restart');
    const kv = Kv.connect({ endpoints: own.etcd.endpoint });
    try {
      const revision = await kv.put('kept', 'yes');
      const { endpoint, pid } = own.etcd;
      await own.etcd.restart();
      assert.equal(own.etcd.endpoint, endpoint);
      assert.notEqual(own.etcd.pid, pid);
      assert.equal(alive(pid), false, 'the old process is gone');
      assert.equal(await kv.getString('kept'), 'yes');
      assert.equal(await kv.revision(), revision);

      await own.etcd.stop();
      assert.equal(own.etcd.running, false);
      await assert.rejects(kv.get('kept'), (err: unknown) => isErrorCode(err, 'unavailable'));
      await own.etcd.stop(); // idempotent
    } finally {
      kv.close();
      await own.dispose();
    }
  });

  it('is killed when the process that started it exits', async function () {
    this.timeout(30_000);
    const dir = scratchDir('exit-hook');
    try {
      const fixture = await runFixture('etcd-then-exit.ts', [join(dir, 'data')]);
      const pid = Number(fixture.firstLine.replace('pid ', ''));
      assert.ok(pid > 0, fixture.firstLine);
      await waitUntil(`etcd ${pid} has exited`, 5000, () => !alive(pid));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports an etcd that cannot start, with its own last words', async function () {
    const own = await privateEtcd('port-taken');
    try {
      // A second etcd on the same client port must fail to bind.
      await assert.rejects(
        startEtcd({
          dataDir: join(own.etcd.dataDir, '..', 'second'),
          clientPort: own.etcd.clientPort,
          peerPort: own.etcd.peerPort + 1,
        }),
        (err: unknown) => {
          assert.ok(isErrorCode(err, 'unavailable'), String(err));
          assert.match((err as Error).message, /exited during startup/);
          assert.match((err as Error).message, /address already in use/);
          return true;
        },
      );
    } finally {
      await own.dispose();
    }
  });
});
