/**
 * Rules every ObjectStore backend applies the same way, so that a store can move from one backend
 * to another without a key, range or listing order changing meaning: key validation, byte-range
 * validation, key order (UTF-8 bytes, as S3 sorts), and iteration of a put body that an abort
 * interrupts even while the body is waiting for data. Internal to the object-store folder.
 */
import { platformErrors } from '../errors.ts';
import type { ByteRange, ObjectBody } from './object-store.ts';

/** S3's limit on a key's length in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/**
 * Throws INVALID_ARGUMENT unless `key` is a non-empty '/'-separated relative path: no leading '/',
 * no empty, '.' or '..' segment, no NUL, at most 1,024 UTF-8 bytes. The local backend maps keys to
 * paths, so these rules are what keeps every key inside its root; the others apply them too.
 */
export function validateKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw platformErrors.invalidArgument(
      `object key ${JSON.stringify(key)} is empty; use a relative path such as "chunks/<sha256>"`,
    );
  }
  const problem = keyProblem(key);
  if (problem) {
    throw platformErrors.invalidArgument(`object key ${JSON.stringify(key)} ${problem}`, {
      details: { key },
    });
  }
}

function keyProblem(key: string): string | undefined {
  if (key.includes('\0')) return 'contains a NUL character';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `is longer than ${MAX_KEY_BYTES} bytes`;
  if (key.startsWith('/')) return 'starts with "/"; keys are relative paths';
  for (const segment of key.split('/')) {
    if (segment === '') return 'has an empty path segment ("//" or a trailing "/")';
    if (segment === '.' || segment === '..') return `has a "${segment}" path segment`;
  }
  return undefined;
}

/**
 * Throws INVALID_ARGUMENT unless `prefix` could begin a valid key: '' or a string whose complete
 * segments (those followed by '/') are valid. The last, partial segment is only a filter.
 */
export function validatePrefix(prefix: string): void {
  if (typeof prefix !== 'string')
    throw platformErrors.invalidArgument(`list prefix ${String(prefix)} is not a string`);
  if (prefix === '') return;
  const lastSlash = prefix.lastIndexOf('/');
  const problem = prefix.includes('\0')
    ? 'contains a NUL character'
    : lastSlash >= 0
      ? keyProblem(prefix.slice(0, lastSlash))
      : undefined;
  if (problem) {
    throw platformErrors.invalidArgument(`list prefix ${JSON.stringify(prefix)} ${problem}`, {
      details: { prefix },
    });
  }
}

/** Throws INVALID_ARGUMENT for a range that no object could satisfy (negative, fractional, end < start). */
export function validateRange(key: string, range: ByteRange | undefined): void {
  if (!range) return;
  const { start, end } = range;
  if (
    !Number.isSafeInteger(start) ||
    start < 0 ||
    (end !== undefined && (!Number.isSafeInteger(end) || end < start))
  ) {
    throw platformErrors.invalidArgument(
      `byte range ${JSON.stringify(range)} for "${key}" is invalid; use integers with 0 <= start <= end`,
      { details: { key } },
    );
  }
}

/**
 * Resolves a validated range against an object's size: [start, end) clamped to the size. A start at
 * or past the end is INVALID_ARGUMENT (as S3's 416), except start 0, which reads an empty object.
 */
export function resolveRange(
  key: string,
  range: ByteRange | undefined,
  size: number,
): { start: number; end: number } {
  const start = range?.start ?? 0;
  const end = Math.min(range?.end ?? size, size);
  if (start > 0 && start >= size) {
    throw platformErrors.invalidArgument(
      `byte range start ${start} is past the end of "${key}" (${size} bytes)`,
      {
        details: { key },
      },
    );
  }
  return { start, end: Math.max(start, end) };
}

/** Orders keys by their UTF-8 bytes, as S3 lists them (JS `<` compares UTF-16 units, which differs above U+FFFF). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * An error thrown by a put's body itself (the caller's generator), as opposed to by the backend.
 * Backends rethrow `cause` untouched instead of mapping it to a storage error: the body's failure
 * is the caller's to interpret.
 */
export class BodyError extends Error {
  constructor(cause: unknown) {
    super('object body failed', { cause });
    this.name = 'BodyError';
  }
}

/**
 * What a failed put should throw: the signal's reason when aborted, the body's own error when the
 * body failed, else `translate(err)`.
 */
export function putFailure(
  err: unknown,
  signal: AbortSignal | undefined,
  translate: (err: unknown) => unknown,
): unknown {
  if (signal?.aborted) return signal.reason;
  if (err instanceof BodyError) return err.cause;
  return translate(err);
}

/**
 * Iterates a put body as Uint8Array chunks. An abort rejects the pending `next()` at once (even
 * while the body is blocked waiting for data) and asks the body to stop (`return()`), so the
 * generator's `finally` runs and it is never drained.
 */
export async function* bodyChunks(
  body: ObjectBody,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array> {
  signal?.throwIfAborted();
  if (body instanceof Uint8Array) {
    yield body;
    return;
  }
  const iterator = body[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      let result: IteratorResult<Uint8Array>;
      try {
        result = await nextOrAbort(iterator, signal);
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        finished = true; // a generator that threw is done; there is nothing to return()
        throw new BodyError(err);
      }
      if (result.done) {
        finished = true;
        return;
      }
      if (!(result.value instanceof Uint8Array)) {
        throw platformErrors.invalidArgument(
          `object body yielded a ${typeof result.value}; yield Uint8Array chunks`,
        );
      }
      yield result.value;
    }
  } finally {
    if (!finished && iterator.return) {
      // Not awaited when aborted: a generator blocked in an await processes return() only once it
      // yields again, and the caller must not wait for that.
      const returned = Promise.resolve(iterator.return()).catch(() => undefined);
      if (!signal?.aborted) await returned;
    }
  }
}

function nextOrAbort<T>(
  iterator: AsyncIterator<T>,
  signal: AbortSignal | undefined,
): Promise<IteratorResult<T>> {
  if (!signal) return iterator.next();
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    iterator.next().then(
      (r) => {
        signal.removeEventListener('abort', onAbort);
        resolve(r);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
