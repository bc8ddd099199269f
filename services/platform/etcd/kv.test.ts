import assert from 'node:assert/strict';
import { isErrorCode } from '../errors.ts';
import { connectEtcd } from './client.ts';
import { electionPrefix } from './election.ts';
import { Kv } from './kv.ts';

// The client below points at a port nothing listens on: every check here must fail before a request
// is sent, so these tests need no etcd (a request that did go out would fail with UNAVAILABLE instead).
describe('etcd KV checks made before sending', function () {
  let kv: Kv;
  before(function () {
    kv = new Kv(connectEtcd({ endpoints: '127.0.0.1:1' }), { prefix: '/unit/', maxRecordBytes: 8 });
  });
  after(function () {
    kv.client.close();
  });

  it('refuses a record over the configured limit', async function () {
    await assert.rejects(kv.put('k', '123456789'), (err: unknown) => isErrorCode(err, 'resource_exhausted'));
    assert.throws(
      () => kv.txn().put('k', '123456789'),
      (err: unknown) => isErrorCode(err, 'resource_exhausted'),
    );
  });

  it('refuses a transaction with more than 128 operations', async function () {
    const txn = kv.txn();
    for (let i = 0; i < 129; i++) txn.delete(`k${i}`);
    assert.equal(txn.size.ops, 129);
    await assert.rejects(txn.commit(), (err: unknown) => isErrorCode(err, 'resource_exhausted'));
  });

  it('maps keys into and out of its namespace', function () {
    assert.equal(kv.fullKey('a/b').toString(), '/unit/a/b');
    assert.equal(kv.relativeKey(Buffer.from('/unit/a/b')), 'a/b');
    assert.equal(kv.child('pfs/').prefix, '/unit/pfs/');
    assert.equal(kv.child('pfs/').limits.maxRecordBytes, 8);
    assert.throws(
      () => new Kv(kv.client, { prefix: 'nope' }),
      (err: unknown) => isErrorCode(err, 'invalid_argument'),
    );
  });

  it('accepts only plain election names', function () {
    assert.equal(electionPrefix('pps-scheduler'), 'elections/pps-scheduler/');
    for (const bad of ['', 'a/b', 'x'.repeat(201), 'sp ace']) {
      assert.throws(
        () => electionPrefix(bad),
        (err: unknown) => isErrorCode(err, 'invalid_argument'),
        bad,
      );
    }
  });
});
