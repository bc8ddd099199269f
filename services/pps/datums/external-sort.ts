/**
 * Sorts a stream larger than memory: items are buffered up to `maxInMemory`, each full buffer is
 * sorted and written to a temporary file as a run (one encoded item per line), and the runs are
 * merged with a heap (in passes of `fanIn` runs when there are more). A stream that fits in the
 * buffer never touches the disk.
 *
 * The sort is stable: equal items come out in the order they came in. Memory: `maxInMemory` items
 * while reading, then one item per run being merged. The temporary directory is removed when the
 * generator finishes, fails or is closed early. The signal is checked between items.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface ExternalSortOptions<T> {
  compare: (a: T, b: T) => number;
  /** Items sorted in memory before a run is spilled (at least 1). */
  maxInMemory: number;
  /** Parent of the temporary directory. Default the OS temp directory. */
  tmpDir?: string;
  signal?: AbortSignal;
  /** Runs merged at once. Default 64. */
  fanIn?: number;
  /** One line per item (no newline inside). Default JSON. */
  encode?: (item: T) => string;
  decode?: (line: string) => T;
  /** Filled in as the sort runs (for tests and logs). */
  stats?: { runs: number; passes: number };
}

const WRITE_BATCH_BYTES = 1 << 20;

export async function* externalSort<T>(
  source: AsyncIterable<T>,
  options: ExternalSortOptions<T>,
): AsyncGenerator<T> {
  const { compare, signal } = options;
  const maxInMemory = Math.max(1, options.maxInMemory);
  const fanIn = Math.max(2, options.fanIn ?? 64);
  const encode = options.encode ?? ((x: T) => JSON.stringify(x));
  const decode = options.decode ?? ((line: string) => JSON.parse(line) as T);
  let dir: string | undefined;
  let seq = 0;
  let runs: string[] = [];
  let buffer: T[] = [];

  const newRunPath = async (): Promise<string> => {
    dir ??= await mkdtemp(join(options.tmpDir ?? tmpdir(), 'terrain-sort-'));
    return join(dir, `run-${seq++}`);
  };

  const writeRun = async (items: AsyncIterable<T> | Iterable<T>): Promise<string> => {
    const path = await newRunPath();
    const fh = await open(path, 'w');
    try {
      let batch = '';
      for await (const item of items) {
        batch += `${encode(item)}\n`;
        if (batch.length >= WRITE_BATCH_BYTES) {
          signal?.throwIfAborted();
          await fh.write(batch);
          batch = '';
        }
      }
      if (batch) await fh.write(batch);
    } finally {
      await fh.close();
    }
    if (options.stats) options.stats.runs++;
    return path;
  };

  try {
    for await (const item of source) {
      buffer.push(item);
      if (buffer.length >= maxInMemory) {
        signal?.throwIfAborted();
        buffer.sort(compare);
        runs.push(await writeRun(buffer));
        buffer = [];
      }
    }
    signal?.throwIfAborted();
    buffer.sort(compare);
    if (runs.length === 0) {
      // Fits in memory: no files at all.
      const items = buffer;
      buffer = [];
      for (let i = 0; i < items.length; i++) {
        if ((i & 1023) === 1023) signal?.throwIfAborted();
        yield items[i]!;
      }
      return;
    }
    if (buffer.length > 0) runs.push(await writeRun(buffer));
    buffer = [];
    while (runs.length > fanIn) {
      if (options.stats) options.stats.passes++;
      const next: string[] = [];
      for (let i = 0; i < runs.length; i += fanIn) {
        const group = runs.slice(i, i + fanIn);
        next.push(group.length === 1 ? group[0]! : await writeRun(mergeRuns(group, compare, decode, signal)));
        for (const p of group) if (group.length > 1) await rm(p, { force: true });
      }
      runs = next;
    }
    if (options.stats) options.stats.passes++;
    yield* mergeRuns(runs, compare, decode, signal);
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

interface Head<T> {
  item: T;
  run: number;
  lines: AsyncIterator<string>;
}

async function* mergeRuns<T>(
  paths: readonly string[],
  compare: (a: T, b: T) => number,
  decode: (line: string) => T,
  signal: AbortSignal | undefined,
): AsyncGenerator<T> {
  const readers = paths.map((p) => {
    const stream = createReadStream(p, { encoding: 'utf8', highWaterMark: 64 * 1024 });
    const rl = createInterface({ input: stream, crlfDelay: Infinity });
    return { stream, rl, lines: rl[Symbol.asyncIterator]() };
  });
  // Ties go to the earlier run, which keeps the sort stable.
  const less = (a: Head<T>, b: Head<T>): boolean => {
    const c = compare(a.item, b.item);
    return c < 0 || (c === 0 && a.run < b.run);
  };
  const heap: Head<T>[] = [];
  const push = (h: Head<T>): void => {
    heap.push(h);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  };
  const pop = (): Head<T> => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };
  try {
    for (let run = 0; run < readers.length; run++) {
      const lines = readers[run]!.lines;
      const r = await lines.next();
      if (!r.done) push({ item: decode(r.value), run, lines });
    }
    let n = 0;
    while (heap.length > 0) {
      if ((++n & 1023) === 0) signal?.throwIfAborted();
      const head = pop();
      yield head.item;
      const r = await head.lines.next();
      if (!r.done) push({ item: decode(r.value), run: head.run, lines: head.lines });
    }
  } finally {
    for (const r of readers) {
      r.rl.close();
      r.stream.destroy();
    }
  }
}
