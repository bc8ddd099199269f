import assert from 'node:assert/strict';
import { isErrorCode } from '../../platform/errors.ts';
import { durationMs, formatGoDuration, parseGoDuration } from './duration.ts';

const ns = (text: string): bigint => {
  const r = parseGoDuration(text);
  if ('error' in r) throw new Error(r.error);
  return r.ns;
};

describe('Go durations', () => {
  it('parses every unit, fractions and sequences the way Go does', () => {
    assert.equal(ns('30s'), 30_000_000_000n);
    assert.equal(ns('1h5m'), 3_900_000_000_000n);
    assert.equal(ns('1.5h'), 5_400_000_000_000n);
    assert.equal(ns('300ms'), 300_000_000n);
    assert.equal(ns('2us'), 2_000n);
    assert.equal(ns('2µs'), 2_000n);
    assert.equal(ns('7ns'), 7n);
    assert.equal(ns('.5s'), 500_000_000n);
    assert.equal(ns('3600s'), 3_600_000_000_000n); // protojson's Duration form
    assert.equal(ns('0'), 0n);
    assert.equal(ns('-1m'), -60_000_000_000n);
  });

  it('refuses text that is not a duration, saying why', () => {
    for (const bad of ['', '1', '1 h', '1d', 'h', '.s', '1h-5m', 'abc']) {
      const r = parseGoDuration(bad);
      assert.ok('error' in r, `${JSON.stringify(bad)} should be refused`);
    }
    const r = parseGoDuration('5d');
    assert.ok('error' in r && r.error.includes('unknown unit "d"'));
    assert.ok('error' in parseGoDuration('9999999999h'), 'overflow of int64 nanoseconds is refused');
  });

  it("prints Go's canonical form", () => {
    assert.equal(formatGoDuration(0n), '0s');
    assert.equal(formatGoDuration(ns('1h5m')), '1h5m0s');
    assert.equal(formatGoDuration(ns('90s')), '1m30s');
    assert.equal(formatGoDuration(ns('1.5s')), '1.5s');
    assert.equal(formatGoDuration(ns('1500ms')), '1.5s');
    assert.equal(formatGoDuration(ns('1.5ms')), '1.5ms');
    assert.equal(formatGoDuration(ns('100us')), '100µs');
    assert.equal(formatGoDuration(ns('42ns')), '42ns');
    assert.equal(formatGoDuration(ns('26h')), '26h0m0s');
    assert.equal(formatGoDuration(-ns('2m')), '-2m0s');
  });

  it('converts to milliseconds and throws INVALID_ARGUMENT on bad input', () => {
    assert.equal(durationMs('1m30s'), 90_000);
    assert.throws(
      () => durationMs('soon'),
      (e: unknown) => isErrorCode(e, 'invalid_argument'),
    );
  });
});
