import assert from 'node:assert/strict';
import { isErrorCode } from '../errors.ts';
import { DEFAULT_LIMITS, checkRecordSize, checkTxnLimits, resolveLimits } from './records.ts';

describe('etcd record limits', function () {
  it('accepts a record of exactly the limit and refuses one byte more, naming key, size and limit', function () {
    checkRecordSize('/t/k', new Uint8Array(DEFAULT_LIMITS.maxRecordBytes), DEFAULT_LIMITS);
    assert.throws(
      () => checkRecordSize('/t/k', new Uint8Array(DEFAULT_LIMITS.maxRecordBytes + 1), DEFAULT_LIMITS),
      (err: unknown) => {
        assert.ok(isErrorCode(err, 'resource_exhausted'));
        assert.match(
          (err as Error).message,
          /"\/t\/k" is 1\.00 MiB \(1048577 bytes\), over the limit of 1\.00 MiB \(1048576 bytes\)/,
        );
        assert.deepEqual((err as { details: unknown }).details, {
          key: '/t/k',
          size: '1048577',
          limit: '1048576',
        });
        return true;
      },
    );
  });

  it('keeps the default record limit well below etcd’s 1.5 MiB request limit', function () {
    assert.ok(DEFAULT_LIMITS.maxRecordBytes < DEFAULT_LIMITS.maxRequestBytes);
    assert.ok(DEFAULT_LIMITS.maxRequestBytes < 1.5 * 1024 * 1024);
  });

  it('refuses transactions with more than 128 compares or operations, or too many bytes', function () {
    const shape = { compares: 128, successOps: 128, failureOps: 0, estimatedBytes: 1000, firstKey: '/t/a' };
    checkTxnLimits(shape, DEFAULT_LIMITS);
    for (const over of [
      { compares: 129 },
      { successOps: 129 },
      { failureOps: 129 },
      { estimatedBytes: DEFAULT_LIMITS.maxRequestBytes + 1 },
    ]) {
      assert.throws(
        () => checkTxnLimits({ ...shape, ...over }, DEFAULT_LIMITS),
        (err: unknown) => isErrorCode(err, 'resource_exhausted') && (err as Error).message.includes('/t/a'),
        JSON.stringify(over),
      );
    }
  });

  it('takes limits from configuration and refuses nonsense', function () {
    assert.equal(resolveLimits({ maxRecordBytes: 10 }).maxRecordBytes, 10);
    assert.equal(resolveLimits({}).maxTxnOps, 128);
    assert.throws(
      () => resolveLimits({ maxTxnOps: 0 }),
      (e: unknown) => isErrorCode(e, 'invalid_argument'),
    );
    assert.throws(
      () => resolveLimits({ maxRecordBytes: 1.5 }),
      (e: unknown) => isErrorCode(e, 'invalid_argument'),
    );
  });
});
