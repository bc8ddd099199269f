/**
 * Benchmark data: incompressible, non-repeating bytes from a seeded PRNG (xorshift128), written to
 * files once so that a baseline (`cp`, `cat`, `aws s3 cp`) and pfs read exactly the same bytes.
 * About 1.5 GB/s on one core; memory is one 4 MiB buffer whatever the size.
 */
import { closeSync, copyFileSync, openSync, writeSync } from 'node:fs';

const BLOCK = 4 * 1024 * 1024;

/** A seeded xorshift128 generator that fills buffers (whole 32-bit words; a tail is filled too). */
export class Prng {
  #x: number;
  #y: number;
  #z: number;
  #w: number;

  constructor(seed: number) {
    // splitmix-style scrambling so that nearby seeds give unrelated streams; never all zero.
    let s = seed >>> 0 || 0x9e3779b9;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0 || 1;
    };
    this.#x = next();
    this.#y = next();
    this.#z = next();
    this.#w = next();
  }

  fill(buf: Uint8Array): Uint8Array {
    const words = buf.length >>> 2;
    const u32 = new Uint32Array(buf.buffer, buf.byteOffset, words);
    let x = this.#x,
      y = this.#y,
      z = this.#z,
      w = this.#w;
    for (let i = 0; i < words; i++) {
      const t = x ^ (x << 11);
      x = y;
      y = z;
      z = w;
      w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
      u32[i] = w;
    }
    for (let i = words << 2; i < buf.length; i++) {
      const t = x ^ (x << 11);
      x = y;
      y = z;
      z = w;
      w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
      buf[i] = w & 0xff;
    }
    this.#x = x;
    this.#y = y;
    this.#z = z;
    this.#w = w;
    return buf;
  }

  bytes(n: number): Buffer {
    // Word-aligned backing store for the Uint32Array view.
    const b = Buffer.from(new ArrayBuffer((n + 3) & ~3), 0, n);
    this.fill(b);
    return b;
  }
}

/** Writes `size` PRNG bytes to `path`. */
export function writePrngFile(path: string, size: number, seed: number): void {
  const prng = new Prng(seed);
  const buf = Buffer.from(new ArrayBuffer(BLOCK));
  const fd = openSync(path, 'w');
  try {
    for (let off = 0; off < size; off += BLOCK) {
      const n = Math.min(BLOCK, size - off);
      prng.fill(buf);
      writeSync(fd, buf, 0, n, off);
    }
  } finally {
    closeSync(fd);
  }
}

/** Copies `src` to `dst` and overwrites `length` bytes at `offset` with other PRNG bytes. */
export function writeModifiedCopy(
  src: string,
  dst: string,
  offset: number,
  length: number,
  seed: number,
): void {
  copyFileSync(src, dst);
  const fd = openSync(dst, 'r+');
  try {
    writeSync(fd, new Prng(seed).bytes(length), 0, length, offset);
  } finally {
    closeSync(fd);
  }
}
