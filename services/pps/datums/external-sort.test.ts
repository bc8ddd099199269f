import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { externalSort } from './external-sort.ts';

async function* numbers(n: number, seed = 7): AsyncGenerator<{ k: number; i: number }> {
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    yield { k: x % 1000, i };
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('external sort', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pps-sort-test-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const byKey = (a: { k: number }, b: { k: number }): number => a.k - b.k;

  it('sorts in memory without touching the disk when everything fits', async () => {
    const stats = { runs: 0, passes: 0 };
    const out = await collect(
      externalSort(numbers(500), { compare: byKey, maxInMemory: 1000, tmpDir: dir, stats }),
    );
    assert.equal(out.length, 500);
    assert.equal(stats.runs, 0);
    assert.deepEqual(await readdir(dir), []);
  });

  it('spills sorted runs and merges them into one stable order', async () => {
    const stats = { runs: 0, passes: 0 };
    const out = await collect(
      externalSort(numbers(10_000), { compare: byKey, maxInMemory: 700, tmpDir: dir, stats }),
    );
    const expected = (await collect(numbers(10_000))).sort(byKey); // Array.prototype.sort is stable
    assert.deepEqual(out, expected);
    assert.equal(stats.runs, 15);
    assert.deepEqual(await readdir(dir), [], 'temporary runs are removed');
  });

  it('merges in several passes when there are more runs than the fan-in', async () => {
    const stats = { runs: 0, passes: 0 };
    const out = await collect(
      externalSort(numbers(5_000), { compare: byKey, maxInMemory: 100, fanIn: 4, tmpDir: dir, stats }),
    );
    assert.deepEqual(out, (await collect(numbers(5_000))).sort(byKey));
    assert.ok(stats.passes >= 3, `${stats.passes} passes`);
  });

  it('keeps strings with newlines and unicode intact through the files', async () => {
    async function* words(): AsyncGenerator<string> {
      for (const w of ['b\nline', 'ä', 'a', '😀', 'a"quote', '\u0000x']) yield w;
    }
    const out = await collect(
      externalSort(words(), { compare: (a, b) => (a < b ? -1 : a > b ? 1 : 0), maxInMemory: 2, tmpDir: dir }),
    );
    assert.deepEqual(out, ['\u0000x', 'a', 'a"quote', 'b\nline', 'ä', '😀']);
  });

  it('removes its files when the consumer stops early or the source fails', async () => {
    const early = externalSort(numbers(3_000), { compare: byKey, maxInMemory: 100, tmpDir: dir });
    for await (const _ of early) break;
    assert.deepEqual(await readdir(dir), []);
    async function* failing(): AsyncGenerator<{ k: number }> {
      for (let i = 0; i < 250; i++) yield { k: i };
      throw new Error('source broke');
    }
    await assert.rejects(
      collect(externalSort(failing(), { compare: byKey, maxInMemory: 100, tmpDir: dir })),
      /source broke/,
    );
    assert.deepEqual(await readdir(dir), []);
  });

  it('stops when its signal aborts', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await assert.rejects(
      collect(
        externalSort(numbers(3_000), { compare: byKey, maxInMemory: 100, tmpDir: dir, signal: ac.signal }),
      ),
      /stop/,
    );
    assert.deepEqual(await readdir(dir), []);
  });
});
