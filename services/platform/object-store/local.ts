/**
 * ObjectStore on a local directory: the backend of `terrain up` and of single-machine deployments.
 *
 * Layout: object `a/b/c` is the file `ROOT/objects/a/b/c`; puts are written under `ROOT/.tmp/`
 * (same filesystem), fsynced, and renamed into place, so a reader or a listing sees either the old
 * object or the whole new one, and of concurrent puts of one key the last rename wins whole. Temp
 * files live outside `objects/`, so listings never see them; they are removed when a put fails or
 * is aborted, and ones left by a crash are swept (after a day) when a store opens the directory.
 *
 * Limitation (a directory cannot also be a file): a key cannot be both an object and a "directory"
 * of another object (`a` and `a/b`); such a put fails with FAILED_PRECONDITION naming the key.
 * Terrain's own keys (`chunks/<sha256>`, `index/<sha256>`) never collide this way.
 *
 * Errors: see `ObjectStore`; I/O failures other than the above surface as UNAVAILABLE with the path.
 * Several processes may share one root (rename is atomic across processes).
 */
import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { platformErrors, isTerrainError } from '../errors.ts';
import {
  bodyChunks,
  putFailure,
  compareKeys,
  resolveRange,
  validateKey,
  validatePrefix,
  validateRange,
} from './backend-support.ts';
import type {
  GetOptions,
  ListOptions,
  ObjectBody,
  ObjectInfo,
  ObjectStore,
  PutOptions,
  PutResult,
  SignalOptions,
} from './object-store.ts';

const READ_CHUNK = 1 << 20;
const STALE_TEMP_MS = 24 * 60 * 60 * 1000;
/** A concurrent delete may remove a parent directory between our mkdir and rename; retry that many times. */
const RENAME_ATTEMPTS = 5;

export class LocalObjectStore implements ObjectStore {
  readonly description: string;
  readonly #objects: string;
  readonly #temp: string;
  #ready: Promise<void> | undefined;

  constructor(rootDir: string) {
    const root = resolve(rootDir);
    this.description = `local:${root}`;
    this.#objects = join(root, 'objects');
    this.#temp = join(root, '.tmp');
  }

  async put(key: string, body: ObjectBody, options: PutOptions = {}): Promise<PutResult> {
    const { signal } = options;
    validateKey(key);
    signal?.throwIfAborted();
    await this.#init();
    const tempPath = join(this.#temp, `${randomBytes(12).toString('hex')}.tmp`);
    let handle: FileHandle | undefined;
    let size = 0;
    try {
      handle = await open(tempPath, 'wx', 0o644);
      for await (const chunk of bodyChunks(body, signal)) {
        let offset = 0;
        while (offset < chunk.length) {
          const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
          offset += bytesWritten;
        }
        size += chunk.length;
        signal?.throwIfAborted();
      }
      await handle.sync();
      await handle.close();
      handle = undefined;
      signal?.throwIfAborted();
      await this.#moveIntoPlace(tempPath, key);
      return { size };
    } catch (err) {
      await handle?.close().catch(() => undefined);
      await unlink(tempPath).catch(() => undefined);
      throw putFailure(err, signal, (e) => this.#translate(e, key, 'write'));
    }
  }

  async *get(key: string, options: GetOptions = {}): AsyncIterable<Uint8Array> {
    const { signal, range } = options;
    validateKey(key);
    validateRange(key, range);
    signal?.throwIfAborted();
    let handle: FileHandle;
    try {
      handle = await open(this.#path(key), 'r');
    } catch (err) {
      throw this.#translate(err, key, 'read');
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw platformErrors.notFound(`object "${key}" not found`, { details: { key } });
      const { start, end } = resolveRange(key, range, info.size);
      for (let position = start; position < end;) {
        signal?.throwIfAborted();
        // A fresh buffer per chunk: the consumer may keep the ones it received.
        const buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK, end - position));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        if (bytesRead === 0) break; // cannot shrink (puts replace by rename); defensive only
        position += bytesRead;
        yield buffer.subarray(0, bytesRead);
      }
    } catch (err) {
      throw signal?.aborted ? signal.reason : this.#translate(err, key, 'read');
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  async head(key: string, options: SignalOptions = {}): Promise<ObjectInfo> {
    validateKey(key);
    options.signal?.throwIfAborted();
    try {
      const info = await stat(this.#path(key));
      if (!info.isFile()) throw platformErrors.notFound(`object "${key}" not found`, { details: { key } });
      return { key, size: info.size, lastModified: info.mtime };
    } catch (err) {
      throw this.#translate(err, key, 'stat');
    }
  }

  async delete(key: string, options: SignalOptions = {}): Promise<void> {
    validateKey(key);
    options.signal?.throwIfAborted();
    const path = this.#path(key);
    try {
      await unlink(path);
    } catch (err) {
      const code = errnoCode(err);
      // Missing, or a "directory" of other keys rather than an object: nothing to delete.
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'EPERM') return;
      throw this.#translate(err, key, 'delete');
    }
    await this.#removeEmptyParents(dirname(path));
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    const { signal } = options;
    validatePrefix(prefix);
    signal?.throwIfAborted();
    const startAfter = options.startAfter ?? '';
    // Start at the deepest directory the prefix names; its last partial segment filters names.
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash >= 0 ? prefix.slice(0, slash + 1) : '';
    yield* this.#walk(dirKey, prefix, startAfter, signal);
  }

  /** Depth-first walk of one directory in key order; holds one directory listing per level. */
  async *#walk(
    dirKey: string,
    prefix: string,
    startAfter: string,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<ObjectInfo> {
    signal?.throwIfAborted();
    let entries: Dirent[];
    try {
      entries = await readdir(dirKey === '' ? this.#objects : this.#path(dirKey.slice(0, -1)), {
        withFileTypes: true,
      });
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return; // removed concurrently, or never existed
      throw this.#translate(err, dirKey, 'list');
    }
    // A directory sorts as "name/": "a-x" < "a/b" < "a0", exactly as its keys sort among the files.
    const sorted = entries
      .filter((e) => e.isFile() || e.isDirectory())
      .map((e) => {
        const key = dirKey + e.name + (e.isDirectory() ? '/' : '');
        return { key, bytes: Buffer.from(key, 'utf8'), isDir: e.isDirectory() };
      })
      .sort((a, b) => Buffer.compare(a.bytes, b.bytes));
    for (const entry of sorted) {
      if (entry.isDir) {
        // Skip subtrees outside the prefix, and subtrees entirely at or before startAfter.
        if (!(entry.key.startsWith(prefix) || prefix.startsWith(entry.key))) continue;
        if (!startAfter.startsWith(entry.key) && compareKeys(startAfter, entry.key) > 0) continue;
        yield* this.#walk(entry.key, prefix, startAfter, signal);
      } else {
        if (!entry.key.startsWith(prefix) || compareKeys(entry.key, startAfter) <= 0) continue;
        signal?.throwIfAborted();
        try {
          const info = await lstat(this.#path(entry.key));
          yield { key: entry.key, size: info.size, lastModified: info.mtime };
        } catch (err) {
          if (errnoCode(err) !== 'ENOENT') throw this.#translate(err, entry.key, 'stat');
          // Deleted since the directory was read: not listed, as if listed a moment later.
        }
      }
    }
  }

  #path(key: string): string {
    const path = join(this.#objects, ...key.split('/'));
    // validateKey already rules out escapes; this is the belt to its braces.
    if (!path.startsWith(this.#objects + sep)) {
      throw platformErrors.invalidArgument(`object key "${key}" escapes the store root`, {
        details: { key },
      });
    }
    return path;
  }

  #init(): Promise<void> {
    this.#ready ??= (async () => {
      await mkdir(this.#objects, { recursive: true });
      await mkdir(this.#temp, { recursive: true });
      await this.#sweepStaleTemps();
    })().catch((err: unknown) => {
      this.#ready = undefined; // let a later call retry (the disk may come back)
      throw this.#translate(err, '', 'open');
    });
    return this.#ready;
  }

  async #sweepStaleTemps(): Promise<void> {
    const cutoff = Date.now() - STALE_TEMP_MS;
    for (const name of await readdir(this.#temp)) {
      const path = join(this.#temp, name);
      try {
        if ((await lstat(path)).mtimeMs < cutoff) await unlink(path);
      } catch {
        // Another process swept or finished it.
      }
    }
  }

  async #moveIntoPlace(tempPath: string, key: string): Promise<void> {
    const target = this.#path(key);
    for (let attempt = 1; ; attempt++) {
      try {
        await mkdir(dirname(target), { recursive: true });
        await rename(tempPath, target);
        break;
      } catch (err) {
        const code = errnoCode(err);
        if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR' || code === 'ENOTEMPTY') {
          throw platformErrors.failedPrecondition(
            `object key "${key}" collides with another key in ${this.description}: one key cannot be both an object and a prefix of other keys ("a" and "a/b") in a local store`,
            { cause: err, details: { key } },
          );
        }
        // ENOENT: a concurrent delete removed a now-empty parent directory between mkdir and rename.
        if (code !== 'ENOENT' || attempt >= RENAME_ATTEMPTS) throw err;
      }
    }
    // Make the rename durable: the new directory entry is only on disk once the directory is synced.
    const dir = await open(dirname(target), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  async #removeEmptyParents(dir: string): Promise<void> {
    // Empty directories would otherwise accumulate and block a later put of a key of that name.
    while (dir.startsWith(this.#objects + sep)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (ENOTEMPTY), or already removed
      }
      dir = dirname(dir);
    }
  }

  #translate(err: unknown, key: string, action: string): unknown {
    if (isTerrainError(err) || isAbort(err)) return err;
    const code = errnoCode(err);
    if (
      (action === 'read' || action === 'stat') &&
      (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR')
    ) {
      return platformErrors.notFound(`object "${key}" not found`, { details: { key } });
    }
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      return platformErrors.resourceExhausted(
        `${action} of "${key}" in ${this.description} failed: disk full (${code}); free space`,
        {
          cause: err,
          details: { key },
        },
      );
    }
    const message = err instanceof Error ? err.message : String(err);
    return platformErrors.unavailable(`${action} of "${key}" in ${this.description} failed: ${message}`, {
      cause: err,
      details: { key },
    });
  }
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string'
    ? (err as { code: string }).code
    : undefined;
}

function isAbort(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError';
}
