import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { isErrorCode } from '../../platform/errors.ts';
import { ContentHasher } from './content-hasher.ts';
import { randomBytes } from './test-helpers.ts';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('content hasher', () => {
  it('hashes files from slices of chunks on the worker and hands each chunk back intact', async () => {
    const hasher = new ContentHasher();
    try {
      const a = randomBytes(5000, 1);
      const b = randomBytes(7000, 2);
      const stream = Buffer.concat([a, b]);
      const c1 = new Uint8Array(stream.subarray(0, 4000));
      const c2 = new Uint8Array(stream.subarray(4000));
      const [fa, fb] = [hasher.newFile(), hasher.newFile()];
      const r1 = await hasher.process(c1, [{ file: fa, from: 0, to: 4000 }], []);
      assert.equal(c1.length, 0, 'the chunk was transferred to the worker');
      assert.ok(Buffer.from(r1.chunk!).equals(stream.subarray(0, 4000)));
      const r2 = await hasher.process(
        c2,
        [
          { file: fa, from: 0, to: 1000 },
          { file: fb, from: 1000, to: 8000 },
        ],
        [fa, fb],
      );
      assert.deepEqual(
        new Map(r2.digests),
        new Map([
          [fa, sha(a)],
          [fb, sha(b)],
        ]),
      );
    } finally {
      await hasher.close();
    }
  });

  it('fails a file whose hash state died with the worker, and serves new files with a new worker', async () => {
    const hasher = new ContentHasher();
    try {
      const f = hasher.newFile();
      await hasher.process(new Uint8Array(randomBytes(100, 3)), [{ file: f, from: 0, to: 100 }], []);
      await hasher.close();
      await assert.rejects(hasher.process(undefined, [], [f]), (e: unknown) => isErrorCode(e, 'internal'));
      const g = hasher.newFile();
      const bytes = randomBytes(100, 4);
      const r = await hasher.process(new Uint8Array(bytes), [{ file: g, from: 0, to: 100 }], [g]);
      assert.deepEqual(r.digests, [[g, sha(bytes)]]);
    } finally {
      await hasher.close();
    }
  });
});
