import assert from 'node:assert/strict';
import {
  ClientClosedError,
  EtcdError,
  EtcdLeaseInvalidError,
  GRPCDeadlineExceededError,
  GRPCOutOfRangeError,
  GRPCResourceExhastedError,
  GRPCUnavailableError,
} from 'etcd3';
import { isErrorCode, platformErrors } from '../errors.ts';
import { etcdCall, parseRevision, sleep, toTerrainError } from './client.ts';

describe('etcd error mapping', function () {
  const cases: [string, Error, string][] = [
    [
      'an unreachable etcd',
      new GRPCUnavailableError('14 UNAVAILABLE: No connection established'),
      'unavailable',
    ],
    ['a closed client', new ClientClosedError('KV'), 'unavailable'],
    ['a missed deadline', new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED'), 'unavailable'],
    [
      'a compacted revision',
      new GRPCOutOfRangeError('11 OUT_OF_RANGE: etcdserver: mvcc: required revision has been compacted'),
      'failed_precondition',
    ],
    ['an expired lease', new EtcdLeaseInvalidError('123'), 'failed_precondition'],
    ['an oversized request', new EtcdError('etcdserver: request is too large'), 'resource_exhausted'],
    [
      'an oversized gRPC message',
      new GRPCResourceExhastedError('8 RESOURCE_EXHAUSTED: received message larger than max'),
      'resource_exhausted',
    ],
    ['too many txn ops', new EtcdError('etcdserver: too many operations in txn request'), 'invalid_argument'],
    [
      'a future revision',
      new EtcdError('etcdserver: mvcc: required revision is a future revision'),
      'invalid_argument',
    ],
    ['anything else', new Error('boom'), 'internal'],
  ];
  for (const [what, err, code] of cases) {
    it(`maps ${what} to ${code}`, function () {
      const mapped = toTerrainError(err, 'get "/t/k"');
      assert.equal(mapped.code, code);
      assert.equal(mapped.cause, err);
      assert.match(mapped.message, /^platform: etcd: get "\/t\/k": /);
    });
  }

  it('marks a compacted read so callers can re-list', function () {
    const mapped = toTerrainError(
      new GRPCOutOfRangeError('etcdserver: mvcc: required revision has been compacted'),
      'list',
    );
    assert.equal(mapped.details['reason'], 'compacted');
  });

  it('passes Terrain errors through unchanged', function () {
    const original = platformErrors.aborted('x');
    assert.equal(toTerrainError(original, 'y'), original);
  });

  it('rejects a call with CANCELLED when its signal aborts, without waiting for it', async function () {
    const controller = new AbortController();
    const never = new Promise<never>(() => undefined);
    const call = etcdCall('get "k"', controller.signal, () => never);
    controller.abort();
    await assert.rejects(call, (err: unknown) => isErrorCode(err, 'cancelled'));
    await assert.rejects(
      etcdCall('get "k"', controller.signal, () => Promise.resolve(1)),
      (err: unknown) => isErrorCode(err, 'cancelled'),
    );
  });

  it('parses revisions and refuses garbage', function () {
    assert.equal(parseRevision('42'), 42);
    assert.equal(parseRevision(undefined), 0);
    assert.throws(
      () => parseRevision('x'),
      (err: unknown) => isErrorCode(err, 'internal'),
    );
    assert.throws(
      () => parseRevision('99999999999999999999'),
      (err: unknown) => isErrorCode(err, 'internal'),
    );
  });

  it('stops sleeping when its signal aborts', async function () {
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    controller.abort();
    await assert.rejects(slept, (err: unknown) => isErrorCode(err, 'cancelled'));
  });
});
