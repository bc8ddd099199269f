/**
 * The additional checksums S3 clients send with uploads (`x-amz-checksum-{crc32,crc32c,crc64nvme,
 * sha1,sha256}`, as a header or as an aws-chunked trailer), computed incrementally as the body
 * streams. Values are base64 of the big-endian digest, as S3 writes them.
 */
import { createHash, type Hash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';

export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export function isChecksumAlgorithm(value: string): value is ChecksumAlgorithm {
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(value);
}

/** An incremental checksum. Not safe to share between concurrent streams. */
export interface Checksum {
  update(data: Uint8Array): void;
  /** base64 of the big-endian digest. */
  digestBase64(): string;
}

export function createChecksum(algorithm: ChecksumAlgorithm): Checksum {
  switch (algorithm) {
    case 'crc32':
      return new Crc32();
    case 'crc32c':
      return new Crc32c();
    case 'crc64nvme':
      return new Crc64Nvme();
    case 'sha1':
    case 'sha256':
      return new HashChecksum(createHash(algorithm));
  }
}

class HashChecksum implements Checksum {
  readonly #hash: Hash;
  constructor(hash: Hash) {
    this.#hash = hash;
  }
  update(data: Uint8Array): void {
    this.#hash.update(data);
  }
  digestBase64(): string {
    return this.#hash.digest('base64');
  }
}

function uint32Base64(value: number): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out.toString('base64');
}

class Crc32 implements Checksum {
  #value = 0;
  update(data: Uint8Array): void {
    this.#value = zlibCrc32(data, this.#value);
  }
  digestBase64(): string {
    return uint32Base64(this.#value);
  }
}

// CRC-32C (Castagnoli), reflected polynomial 0x82F63B78.
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

class Crc32c implements Checksum {
  #crc = 0xffffffff;
  update(data: Uint8Array): void {
    let crc = this.#crc;
    for (let i = 0; i < data.length; i++) crc = CRC32C_TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
    this.#crc = crc >>> 0;
  }
  digestBase64(): string {
    return uint32Base64((this.#crc ^ 0xffffffff) >>> 0);
  }
}

// CRC-64/NVME, reflected polynomial 0x9A6C9329AC4BC9B5, held as two 32-bit halves (BigInt per byte
// would be far too slow).
const CRC64_TABLE_HI = new Uint32Array(256);
const CRC64_TABLE_LO = new Uint32Array(256);
(() => {
  const polyHi = 0x9a6c9329;
  const polyLo = 0xac4bc9b5;
  for (let n = 0; n < 256; n++) {
    let hi = 0;
    let lo = n;
    for (let k = 0; k < 8; k++) {
      const lsb = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (lsb) {
        hi = (hi ^ polyHi) >>> 0;
        lo = (lo ^ polyLo) >>> 0;
      }
    }
    CRC64_TABLE_HI[n] = hi;
    CRC64_TABLE_LO[n] = lo;
  }
})();

class Crc64Nvme implements Checksum {
  #hi = 0xffffffff;
  #lo = 0xffffffff;
  update(data: Uint8Array): void {
    let hi = this.#hi;
    let lo = this.#lo;
    for (let i = 0; i < data.length; i++) {
      const idx = (lo ^ data[i]!) & 0xff;
      // crc = table[idx] ^ (crc >>> 8)
      const shiftedLo = ((lo >>> 8) | ((hi & 0xff) << 24)) >>> 0;
      const shiftedHi = hi >>> 8;
      lo = (CRC64_TABLE_LO[idx]! ^ shiftedLo) >>> 0;
      hi = (CRC64_TABLE_HI[idx]! ^ shiftedHi) >>> 0;
    }
    this.#hi = hi;
    this.#lo = lo;
  }
  digestBase64(): string {
    const out = Buffer.alloc(8);
    out.writeUInt32BE((this.#hi ^ 0xffffffff) >>> 0, 0);
    out.writeUInt32BE((this.#lo ^ 0xffffffff) >>> 0, 4);
    return out.toString('base64');
  }
}
