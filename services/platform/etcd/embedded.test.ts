import assert from 'node:assert/strict';
import { isErrorCode } from '../errors.ts';
import { etcdArgs, findEtcdBinary } from './embedded.ts';

describe('the embedded etcd launcher (pure parts)', function () {
  it('listens on loopback only, with auto-compaction and a quota', function () {
    const args = etcdArgs({
      name: 'n',
      dataDir: '/d',
      clientPort: 1111,
      peerPort: 2222,
      autoCompaction: { mode: 'periodic', retention: '10m' },
      quotaBackendBytes: 2048,
    });
    const flag = (name: string): string | undefined => args[args.indexOf(name) + 1];
    assert.equal(flag('--listen-client-urls'), 'http://127.0.0.1:1111');
    assert.equal(flag('--listen-peer-urls'), 'http://127.0.0.1:2222');
    assert.equal(flag('--initial-cluster'), 'n=http://127.0.0.1:2222');
    assert.equal(flag('--auto-compaction-mode'), 'periodic');
    assert.equal(flag('--auto-compaction-retention'), '10m');
    assert.equal(flag('--quota-backend-bytes'), '2048');
    assert.ok(!args.some((a) => a.includes('0.0.0.0')));
  });

  it('says how to install etcd when it cannot find it', function () {
    const saved = process.env['TERRAIN_ETCD_BIN'];
    delete process.env['TERRAIN_ETCD_BIN'];
    try {
      assert.throws(
        () => findEtcdBinary(undefined, { path: '/nonexistent', fallbacks: ['/nonexistent/etcd'] }),
        (err: unknown) => {
          assert.ok(isErrorCode(err, 'failed_precondition'));
          assert.match((err as Error).message, /apt-get install -y etcd-server/);
          return true;
        },
      );
      assert.throws(() => findEtcdBinary('/nonexistent/etcd'), /"\/nonexistent\/etcd" not found/);
    } finally {
      if (saved !== undefined) process.env['TERRAIN_ETCD_BIN'] = saved;
    }
  });
});
