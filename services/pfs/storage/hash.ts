/**
 * SHA-256 helpers. Chunk and page hashes run through WebCrypto, which Node executes on the libuv
 * thread pool: hashing chunk N overlaps with chunking chunk N+1 on the main thread, which is what
 * lets a put run near the speed of the slower of the two instead of their sum.
 */
import { createHash, webcrypto } from 'node:crypto';

/** 64 lowercase hex characters. */
export type Sha256Hex = string;

const HEX_RE = /^[0-9a-f]{64}$/;

export function isSha256Hex(value: string): boolean {
  return HEX_RE.test(value);
}

/** Hashes on the thread pool; the bytes must not change until the promise settles. */
export async function sha256Async(bytes: Uint8Array): Promise<Sha256Hex> {
  const digest = await webcrypto.subtle.digest('SHA-256', bytes);
  return Buffer.from(digest).toString('hex');
}

export function sha256Sync(bytes: Uint8Array): Sha256Hex {
  return createHash('sha256').update(bytes).digest('hex');
}

/** SHA-256 of nothing: the content hash of an empty file. */
export const EMPTY_SHA256: Sha256Hex = sha256Sync(new Uint8Array(0));
