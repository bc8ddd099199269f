/**
 * Key arithmetic for the namespaced KV: UTF-8 keys under a namespace prefix, and the exclusive end
 * of a prefix range. Pure functions, no I/O.
 */
import { platformErrors } from '../errors.ts';

export type Bytes = Uint8Array;

/** Bytes of a value given as bytes or as a string (UTF-8). */
export function toBytes(value: Uint8Array | string): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/**
 * The smallest key greater than every key starting with `prefix` (etcd's `range_end` for a prefix):
 * drop trailing 0xff bytes and increment the last remaining one. A prefix of only 0xff bytes (or the
 * empty prefix) has no such key; etcd's convention for "to the end of the keyspace" is `\0`.
 */
export function prefixEnd(prefix: Uint8Array): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** The key that sorts immediately after `key` (used to start the next page of a listing). */
export function keyAfter(key: Uint8Array): Buffer {
  return Buffer.concat([key, Buffer.from([0])]);
}

/** Checks a namespace prefix: absolute, ends with `/`. */
export function checkNamespace(prefix: string): string {
  if (!prefix.startsWith('/') || !prefix.endsWith('/')) {
    throw platformErrors.invalidArgument(
      `etcd namespace "${prefix}" must start and end with "/" (like "/terrain/")`,
    );
  }
  return prefix;
}

/** Checks a key relative to a namespace: not empty (for single-key operations), no NUL. */
export function checkKey(key: string, { allowEmpty = false }: { allowEmpty?: boolean } = {}): string {
  if (!allowEmpty && key.length === 0) throw platformErrors.invalidArgument('etcd key must not be empty');
  if (key.includes('\0'))
    throw platformErrors.invalidArgument(`etcd key ${JSON.stringify(key)} contains a NUL byte`);
  return key;
}
