import assert from 'node:assert/strict';
import { reconnectDelayMs } from './watch.ts';

describe('etcd watch reconnect backoff', function () {
  it('starts near 100 ms, doubles, and stays at or below 1 s', function () {
    const low = (): number => 0;
    const high = (): number => 1;
    assert.deepEqual(
      [1, 2, 3, 4, 5, 10].map((n) => reconnectDelayMs(n, high)),
      [100, 200, 400, 800, 1000, 1000],
    );
    assert.deepEqual(
      [1, 2, 5].map((n) => reconnectDelayMs(n, low)),
      [50, 100, 500],
    );
  });
});
