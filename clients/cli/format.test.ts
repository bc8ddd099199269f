import assert from 'node:assert/strict';
import { displayWidth, humanDuration, humanSize, parseDuration, relativeTime, truncate } from './format.ts';

describe('human formatting', () => {
  it('writes sizes in binary units with one decimal below 100', () => {
    assert.equal(humanSize(0), '0 B');
    assert.equal(humanSize(1023), '1023 B');
    assert.equal(humanSize(1024), '1.0 KiB');
    assert.equal(humanSize(1536n), '1.5 KiB');
    assert.equal(humanSize(5 * 1024 * 1024), '5.0 MiB');
    assert.equal(humanSize(150 * 1024 * 1024), '150 MiB');
    assert.equal(humanSize(2n ** 40n), '1.0 TiB');
  });

  it('moves to the next unit instead of printing 1024 of a unit', () => {
    assert.equal(humanSize(1024 * 1024 - 1), '1.0 MiB');
  });

  it('says how long ago a time was, in the largest whole unit', () => {
    const now = new Date('2026-01-10T12:00:00Z');
    const ago = (seconds: number) => relativeTime(new Date(now.getTime() - seconds * 1000), now);
    assert.equal(ago(2), 'just now');
    assert.equal(ago(45), '45 seconds ago');
    assert.equal(ago(60), '1 minute ago');
    assert.equal(ago(3 * 60 + 10), '3 minutes ago');
    assert.equal(ago(5 * 3600), '5 hours ago');
    assert.equal(ago(2 * 86400), '2 days ago');
    assert.equal(ago(-300), 'in 5 minutes');
    assert.equal(relativeTime(undefined, now), '-');
  });

  it('writes durations compactly', () => {
    assert.equal(humanDuration(850), '850ms');
    assert.equal(humanDuration(12_300), '12.3s');
    assert.equal(humanDuration(245_000), '4m05s');
    assert.equal(humanDuration(2 * 3600_000 + 3 * 60_000), '2h03m');
  });

  it('reads durations given on the command line', () => {
    assert.equal(parseDuration('90'), 90_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('2m'), 120_000);
    assert.equal(parseDuration('soon'), undefined);
    assert.equal(parseDuration('5x'), undefined);
  });

  it('shortens long descriptions to one line', () => {
    assert.equal(truncate('a\nb', 10), 'a b');
    assert.equal(truncate('abcdefghij', 5), 'abcd…');
  });

  it('counts wide characters as two columns', () => {
    assert.equal(displayWidth('abc'), 3);
    assert.equal(displayWidth('日本'), 4);
    assert.equal(displayWidth('é'), 1);
  });
});
