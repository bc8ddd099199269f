import assert from 'node:assert/strict';
import { isS3Error } from './errors.ts';
import { evaluatePreconditions, parseRange } from './conditions.ts';

describe('s3gateway ranges and preconditions', () => {
  it('resolves closed, open, suffix and clamped ranges', () => {
    assert.deepEqual(parseRange('bytes=0-0', 10), { start: 0, end: 0 });
    assert.deepEqual(parseRange('bytes=3-', 10), { start: 3, end: 9 });
    assert.deepEqual(parseRange('bytes=-4', 10), { start: 6, end: 9 });
    assert.deepEqual(parseRange('bytes=-40', 10), { start: 0, end: 9 });
    assert.deepEqual(parseRange('bytes=5-500', 10), { start: 5, end: 9 });
  });

  it('ignores absent, malformed and multi-range headers, as S3 does', () => {
    for (const value of [undefined, 'bytes=', 'items=0-1', 'bytes=5-2', 'bytes=0-1,3-4', 'bytes=a-b'])
      assert.equal(parseRange(value, 10), undefined, String(value));
  });

  it('refuses unsatisfiable ranges with InvalidRange and Content-Range: bytes */size', () => {
    for (const [value, size] of [
      ['bytes=10-', 10],
      ['bytes=-0', 10],
      ['bytes=0-', 0],
      ['bytes=-1', 0],
    ] as const) {
      assert.throws(
        () => parseRange(value, size),
        (err: unknown) =>
          isS3Error(err) &&
          err.code === 'InvalidRange' &&
          err.status === 416 &&
          err.headers['content-range'] === `bytes */${size}`,
        value,
      );
    }
  });

  it('evaluates conditions in S3 order at second precision', () => {
    const at = new Date('2024-01-01T00:00:00.900Z');
    const etag = '"abc"';
    assert.equal(evaluatePreconditions({}, etag, at), 'ok');
    assert.equal(evaluatePreconditions({ ifMatch: 'abc' }, etag, at), 'ok');
    assert.equal(evaluatePreconditions({ ifMatch: '"x", "abc"' }, etag, at), 'ok');
    assert.equal(evaluatePreconditions({ ifMatch: '*' }, etag, at), 'ok');
    assert.equal(evaluatePreconditions({ ifMatch: '"x"' }, etag, at), 'failed');
    assert.equal(evaluatePreconditions({ ifNoneMatch: '"abc"' }, etag, at), 'not-modified');
    assert.equal(
      evaluatePreconditions({ ifModifiedSince: 'Mon, 01 Jan 2024 00:00:00 GMT' }, etag, at),
      'not-modified',
    );
    assert.equal(evaluatePreconditions({ ifModifiedSince: 'Sun, 31 Dec 2023 23:59:59 GMT' }, etag, at), 'ok');
    assert.equal(
      evaluatePreconditions({ ifUnmodifiedSince: 'Sun, 31 Dec 2023 23:59:59 GMT' }, etag, at),
      'failed',
    );
    assert.equal(
      evaluatePreconditions({ ifUnmodifiedSince: 'Mon, 01 Jan 2024 00:00:00 GMT' }, etag, at),
      'ok',
    );
    // If-Match that holds overrides a failing If-Unmodified-Since; If-None-Match that fails overrides If-Modified-Since.
    assert.equal(
      evaluatePreconditions({ ifMatch: etag, ifUnmodifiedSince: 'Sun, 31 Dec 2023 00:00:00 GMT' }, etag, at),
      'ok',
    );
    assert.equal(
      evaluatePreconditions(
        { ifNoneMatch: '"x"', ifModifiedSince: 'Tue, 02 Jan 2024 00:00:00 GMT' },
        etag,
        at,
      ),
      'ok',
    );
    assert.equal(
      evaluatePreconditions({ ifNoneMatch: 'garbage-date-ignored', ifModifiedSince: 'not a date' }, etag, at),
      'ok',
    );
  });
});
