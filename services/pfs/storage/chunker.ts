/**
 * Content-defined chunking: FastCDC (Xia et al., 2016/2020) with a gear rolling hash and
 * normalized chunking.
 *
 * A cut point is placed after byte i when the gear hash of the bytes before it, masked, is zero.
 * The first `minSize` bytes of a chunk are never hashed (cut-point skipping, which also makes
 * chunking faster); between `minSize` and `avgSize` a stricter mask (2 more bits) is used, after
 * `avgSize` a looser one (2 fewer bits), which pulls chunk sizes towards `avgSize`; at `maxSize`
 * the chunk is cut regardless. Because the hash depends only on the last 32 bytes, boundaries
 * re-synchronize shortly after an edit, so inserting bytes in the middle of a stream changes only
 * the chunks around the edit.
 *
 * The gear table is derived from SHA-256 of a fixed string, so boundaries are identical across
 * runs, machines and versions. Changing the table or masks would not corrupt anything (a file's
 * references name the chunks it uses) but would stop new writes from deduplicating against old
 * chunks: treat them as part of the storage format.
 *
 * `Chunker` is synchronous and push-based (the file-set writer pushes bytes as they arrive);
 * `chunkStream` wraps it for an async iterable. Memory: one working buffer of `maxSize` bytes plus
 * the chunks handed out.
 */
import { createHash } from 'node:crypto';
import { storageErrors } from './errors.ts';

export interface ChunkingOptions {
  /** No chunk is shorter than this, except the last one of a stream. Default 256 KiB. */
  minSize?: number;
  /** The size chunks are pulled towards (normalized chunking). Default 1 MiB. */
  avgSize?: number;
  /** No chunk is longer than this. Default 4 MiB. */
  maxSize?: number;
}

export interface ChunkingParams {
  minSize: number;
  avgSize: number;
  maxSize: number;
}

export const DEFAULT_CHUNKING: Readonly<ChunkingParams> = Object.freeze({
  minSize: 256 * 1024,
  avgSize: 1024 * 1024,
  maxSize: 4 * 1024 * 1024,
});

/** 256 signed 32-bit gear values, fixed forever (see the module comment). */
export const GEAR_TABLE: Int32Array = (() => {
  const table = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    table[i] = createHash('sha256').update(`terrain gear v1 ${i}`).digest().readInt32BE(0);
  }
  return table;
})();

/** Fills in defaults and checks the parameters; INVALID_ARGUMENT when they are inconsistent. */
export function chunkingParams(options: ChunkingOptions = {}): ChunkingParams {
  // Given only an average, the bounds follow it (avg/4, avg×4) as FastCDC's paper suggests.
  const avgGiven = options.avgSize !== undefined;
  const avgSize = options.avgSize ?? DEFAULT_CHUNKING.avgSize;
  const p: ChunkingParams = {
    minSize: options.minSize ?? (avgGiven ? Math.floor(avgSize / 4) : DEFAULT_CHUNKING.minSize),
    avgSize,
    maxSize: options.maxSize ?? (avgGiven ? avgSize * 4 : DEFAULT_CHUNKING.maxSize),
  };
  const ok =
    Number.isSafeInteger(p.minSize) &&
    Number.isSafeInteger(p.avgSize) &&
    Number.isSafeInteger(p.maxSize) &&
    p.minSize >= 1 &&
    p.avgSize >= 64 &&
    p.avgSize <= 2 ** 30 &&
    p.minSize <= p.avgSize &&
    p.avgSize <= p.maxSize &&
    p.maxSize <= 2 ** 31;
  if (!ok) {
    throw storageErrors.invalidArgument(
      `invalid chunking parameters min=${p.minSize} avg=${p.avgSize} max=${p.maxSize}: need 1 ≤ min ≤ avg ≤ max ≤ 2 GiB and 64 ≤ avg ≤ 1 GiB`,
    );
  }
  return p;
}

/** A mask of the top `bits` bits of a 32-bit hash: the top bits depend on the most input bytes. */
function topBitsMask(bits: number): number {
  const b = Math.max(1, Math.min(31, bits));
  return (0xffffffff << (32 - b)) | 0;
}

// The hash value after the last gearScan, returned through a module variable to keep the hot loop
// free of allocations.
let scanHash = 0;

/**
 * Rolls the gear hash over d[i..end) starting from `h`; returns the index just after the first
 * byte where `(h & mask) === 0`, or -1 (with `scanHash` holding the hash) when there is none.
 */
function gearScan(d: Uint8Array, i: number, end: number, mask: number, h: number): number {
  const g = GEAR_TABLE;
  // Unrolled by 8: a little faster, and too large for V8 to inline into `push` (an inlined copy in
  // Maglev-compiled code measured at a third of the speed of this function compiled on its own).
  const end8 = end - 8;
  while (i <= end8) {
    h = ((h << 1) + g[d[i]!]!) | 0;
    if ((h & mask) === 0) return cut(h, i + 1);
    h = ((h << 1) + g[d[i + 1]!]!) | 0;
    if ((h & mask) === 0) return cut(h, i + 2);
    h = ((h << 1) + g[d[i + 2]!]!) | 0;
    if ((h & mask) === 0) return cut(h, i + 3);
    h = ((h << 1) + g[d[i + 3]!]!) | 0;
    if ((h & mask) === 0) return cut(h, i + 4);
    h = ((h << 1) + g[d[i + 4]!]!) | 0;
    if ((h & mask) === 0) return cut(h, i + 5);
    h = ((h << 1) + g[d[i + 5]!]!) | 0;
    if ((h & mask) === 0) return cut(h, i + 6);
    h = ((h << 1) + g[d[i + 6]!]!) | 0;
    if ((h & mask) === 0) return cut(h, i + 7);
    h = ((h << 1) + g[d[i + 7]!]!) | 0;
    if ((h & mask) === 0) return cut(h, i + 8);
    i += 8;
  }
  while (i < end) {
    h = ((h << 1) + g[d[i++]!]!) | 0;
    if ((h & mask) === 0) return cut(h, i);
  }
  scanHash = h;
  return -1;
}

function cut(h: number, at: number): number {
  scanHash = h;
  return at;
}

/**
 * Push-based chunker. `push` returns the chunks completed by the new bytes (each a fresh buffer
 * the caller owns); `flush` returns the partial last chunk. Not safe for concurrent use (it is
 * synchronous, so there is nothing to interleave).
 */
export class Chunker {
  readonly params: ChunkingParams;
  readonly #maskS: number;
  readonly #maskL: number;
  #work: Uint8Array | undefined;
  #len = 0;
  #hash = 0;

  constructor(options: ChunkingOptions = {}) {
    this.params = chunkingParams(options);
    const bits = Math.round(Math.log2(this.params.avgSize));
    this.#maskS = topBitsMask(bits + 2);
    this.#maskL = topBitsMask(bits - 2);
  }

  /** Bytes received but not yet part of a returned chunk. */
  get pendingBytes(): number {
    return this.#len;
  }

  /** Consumes `data` (which the caller may reuse afterwards); returns completed chunks. */
  push(data: Uint8Array): Uint8Array[] {
    const { minSize, avgSize, maxSize } = this.params;
    const out: Uint8Array[] = [];
    const work = (this.#work ??= new Uint8Array(maxSize));
    let i = 0;
    const n = data.length;
    while (i < n) {
      let p = this.#len;
      const take = Math.min(n - i, maxSize - p);
      const end = i + take;
      let j = i;
      let cut = -1;
      if (p < minSize) {
        const skip = Math.min(minSize - p, take);
        j += skip;
        p += skip;
      }
      let h = this.#hash;
      if (j < end && p < avgSize) {
        const stop = j + Math.min(avgSize - p, end - j);
        cut = gearScan(data, j, stop, this.#maskS, h);
        h = scanHash;
        p += stop - j;
        j = stop;
      }
      if (cut < 0 && j < end) {
        cut = gearScan(data, j, end, this.#maskL, h);
        h = scanHash;
      }
      if (cut < 0 && this.#len + take === maxSize) cut = end;
      if (cut < 0) {
        work.set(data.subarray(i, end), this.#len);
        this.#len += take;
        this.#hash = h;
        i = end;
      } else {
        const chunk = new Uint8Array(this.#len + (cut - i));
        chunk.set(work.subarray(0, this.#len), 0);
        chunk.set(data.subarray(i, cut), this.#len);
        out.push(chunk);
        this.#len = 0;
        this.#hash = 0;
        i = cut;
      }
    }
    return out;
  }

  /** Ends the current chunk early (end of stream, or a forced cut); undefined when nothing is pending. */
  flush(): Uint8Array | undefined {
    if (this.#len === 0) return undefined;
    const chunk = this.#work!.slice(0, this.#len);
    this.#len = 0;
    this.#hash = 0;
    return chunk;
  }
}

/**
 * Cuts a byte stream into content-defined chunks. Holds at most one chunk under construction plus
 * the input buffer being consumed.
 */
export async function* chunkStream(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: ChunkingOptions & { signal?: AbortSignal } = {},
): AsyncGenerator<Uint8Array> {
  const chunker = new Chunker(options);
  for await (const data of source) {
    options.signal?.throwIfAborted();
    for (const chunk of chunker.push(data)) yield chunk;
  }
  const last = chunker.flush();
  if (last) yield last;
}
