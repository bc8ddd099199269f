import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { isErrorCode } from '../../platform/errors.ts';
import { Chunker, chunkStream, chunkingParams, DEFAULT_CHUNKING, GEAR_TABLE } from './chunker.ts';
import { pieces, randomBytes, toArray } from './test-helpers.ts';

const small = { minSize: 2048, avgSize: 8192, maxSize: 32768 };
const digest = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('chunker', () => {
  it('cuts a stream into chunks whose concatenation is the input, within min and max', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17, 3);
    const chunks = await toArray(chunkStream(pieces(data, 100_000), small));
    assert.ok(Buffer.concat(chunks).equals(data));
    chunks
      .slice(0, -1)
      .forEach((c) =>
        assert.ok(c.length >= small.minSize && c.length <= small.maxSize, `chunk of ${c.length}`),
      );
    assert.ok(chunks.at(-1)!.length <= small.maxSize);
    const avg = data.length / chunks.length;
    assert.ok(avg > small.avgSize * 0.7 && avg < small.avgSize * 1.6, `average ${avg}`);
  });

  it('finds the same boundaries however the input is split into buffers', async () => {
    for (const [length, size] of [
      [200_000, 1],
      [1024 * 1024, 777],
      [1024 * 1024, 8192],
      [1024 * 1024, 65_536],
    ] as const) {
      const data = randomBytes(length, 4);
      const whole = (await toArray(chunkStream([data], small))).map(digest);
      const split = (await toArray(chunkStream(pieces(data, size), small))).map(digest);
      assert.deepEqual(split, whole, `input split into ${size}-byte buffers`);
    }
  });

  it('is deterministic: the gear table and the boundaries it gives are pinned', async () => {
    // Pinned so that an accidental change to the format (table, masks, cut-point skipping) fails
    // loudly: it would silently stop new data from deduplicating against stored chunks.
    assert.equal(
      digest(new Uint8Array(GEAR_TABLE.buffer)),
      '3db51c6b315adbeff0aef6d856008ec98943349029d92be511023265d104969e',
    );
    const lengths = (await toArray(chunkStream([randomBytes(256 * 1024, 5)], small))).map((c) => c.length);
    assert.deepEqual(lengths.slice(0, 8), [3477, 9474, 8537, 3241, 10020, 8292, 12071, 11019]);
  });

  it('changes only the chunks around an insertion in the middle of a stream', async () => {
    const data = randomBytes(4 * 1024 * 1024, 6);
    const edited = Buffer.concat([
      data.subarray(0, 2_000_000),
      Buffer.from('inserted bytes!'),
      data.subarray(2_000_000),
    ]);
    const before = new Set((await toArray(chunkStream([data], small))).map(digest));
    const after = (await toArray(chunkStream([edited], small))).map(digest);
    const fresh = after.filter((h) => !before.has(h));
    assert.ok(fresh.length >= 1 && fresh.length <= 3, `${fresh.length} of ${after.length} chunks changed`);
  });

  it('cuts low-entropy data at the maximum size', () => {
    const c = new Chunker(small);
    const out = c.push(new Uint8Array(100_000));
    const last = c.flush();
    assert.deepEqual(
      out.map((x) => x.length),
      [32768, 32768, 32768],
    );
    assert.equal(last!.length, 100_000 - 3 * 32768);
    assert.equal(c.flush(), undefined);
  });

  it('hands out chunks that later input does not overwrite', () => {
    const c = new Chunker(small);
    const input = randomBytes(200_000, 8);
    const copy = Buffer.from(input);
    const out = c.push(input);
    input.fill(0);
    c.push(randomBytes(100_000, 9));
    assert.ok(Buffer.concat(out).equals(copy.subarray(0, Buffer.concat(out).length)));
  });

  it('defaults to 256 KiB / 1 MiB / 4 MiB and rejects inconsistent parameters', () => {
    assert.deepEqual(chunkingParams(), { ...DEFAULT_CHUNKING });
    assert.deepEqual(chunkingParams({ avgSize: 65536 }), { minSize: 16384, avgSize: 65536, maxSize: 262144 });
    assert.throws(
      () => chunkingParams({ minSize: 10, avgSize: 5, maxSize: 100 }),
      (e: unknown) => isErrorCode(e, 'invalid_argument'),
    );
    assert.throws(
      () => chunkingParams({ avgSize: 1 << 20, maxSize: 1000 }),
      (e: unknown) => isErrorCode(e, 'invalid_argument'),
    );
  });
});
