/**
 * Reads one file set (a committed tree or a staged set) from its root: point lookups, ordered
 * iteration with pagination, one-level directory listings, and file bytes.
 *
 * Everything streams page by page (memory: one page per tree level plus a couple of prefetched
 * leaves), and every page and chunk read is verified (DATA_LOSS on corruption). A reader holds no
 * state between calls, so one reader may serve any number of concurrent calls. Entries it returns
 * are shared with the page cache: treat them as read-only.
 */
import type { ChunkStore } from './chunks.ts';
import { storageErrors } from './errors.ts';
import type { IndexEntry } from './index-page.ts';
import { pageTotals } from './index-page.ts';
import { comparePaths, prefixEnd, validateDirectory, validatePath } from './paths.ts';
import type { PageStore, RootHash } from './page-store.ts';
import { TreeCursor } from './tree.ts';

export interface ReaderContext {
  pages: PageStore;
  chunks: ChunkStore;
}

export interface EntriesOptions {
  signal?: AbortSignal;
  /** Only paths starting with this string (usually a directory, `/a/`). */
  prefix?: string;
  /** Resume after this path (pagination): only paths strictly greater. */
  startAfter?: string;
  /** Include staged deletes (`delete`, `deletePrefix`); default true, as stored. */
  includeDeletes?: boolean;
}

export type DirectoryItem =
  { kind: 'file'; path: string; entry: IndexEntry } | { kind: 'directory'; path: string };

export interface ListDirectoryOptions {
  signal?: AbortSignal;
  /** Resume after this item's path (a file path, or a directory path ending in `/`). */
  startAfter?: string;
}

export interface ReadFileOptions {
  signal?: AbortSignal;
  /** First byte (default 0). A start at or past the end yields nothing. */
  start?: number;
  /** End, exclusive (default: the end of the file; clamped to it). */
  end?: number;
}

const isDelete = (e: IndexEntry): boolean => e.op === 'delete' || e.op === 'deletePrefix';

export class FileSetReader {
  readonly root: RootHash;
  readonly #ctx: ReaderContext;

  constructor(ctx: ReaderContext, root: RootHash) {
    this.#ctx = ctx;
    this.root = root;
  }

  #cursor(signal?: AbortSignal): TreeCursor {
    return new TreeCursor(this.#ctx.pages, this.root, { signal });
  }

  /** The entry at exactly `path`, or undefined. Costs one page per tree level (cached). */
  async get(path: string, options: { signal?: AbortSignal } = {}): Promise<IndexEntry | undefined> {
    const cursor = this.#cursor(options.signal);
    await cursor.seek(path);
    const e = cursor.current;
    return e && e.path === path ? e : undefined;
  }

  /**
   * Whether `path` names a file, an implied directory (some file lies under `path/`), or nothing.
   * Staged deletes are not files.
   */
  async stat(path: string, options: { signal?: AbortSignal } = {}): Promise<DirectoryItem | undefined> {
    validatePath(path);
    const file = path === '/' ? undefined : await this.get(path, options);
    if (file && !isDelete(file)) return { kind: 'file', path, entry: file };
    const dir = path === '/' ? '/' : `${path}/`;
    const under = this.entries({ prefix: dir, includeDeletes: false, signal: options.signal });
    try {
      return (await under.next()).done ? undefined : { kind: 'directory', path: dir };
    } finally {
      await under.return(undefined);
    }
  }

  /** Entries in path order (optionally under a prefix, after a path). */
  async *entries(options: EntriesOptions = {}): AsyncGenerator<IndexEntry> {
    const prefix = options.prefix ?? '';
    const includeDeletes = options.includeDeletes ?? true;
    let from = prefix;
    if (options.startAfter !== undefined && comparePaths(options.startAfter, from) >= 0)
      from = `${options.startAfter}\u0000`;
    const cursor = this.#cursor(options.signal);
    await cursor.seek(from);
    while (cursor.leaf) {
      const leaf = cursor.leaf;
      for (let i = cursor.pos; i < leaf.length; i++) {
        const e = leaf[i]!;
        if (!e.path.startsWith(prefix)) return;
        if (!includeDeletes && isDelete(e)) continue;
        yield e;
      }
      options.signal?.throwIfAborted();
      await cursor.nextLeaf();
    }
  }

  /**
   * One level of a directory (`/` or `/a/`): its files, and each implied subdirectory once (as
   * `/a/b/`), in path order. A subdirectory's contents are skipped by seeking, not scanning.
   */
  async *listDirectory(dir: string, options: ListDirectoryOptions = {}): AsyncGenerator<DirectoryItem> {
    validateDirectory(dir);
    let from = dir;
    if (options.startAfter !== undefined && comparePaths(options.startAfter, from) >= 0) {
      from = options.startAfter.endsWith('/') ? prefixEnd(options.startAfter) : `${options.startAfter}\u0000`;
    }
    const cursor = this.#cursor(options.signal);
    await cursor.seek(from);
    for (;;) {
      const e = cursor.current;
      if (!e || !e.path.startsWith(dir)) return;
      if (isDelete(e)) {
        await cursor.next();
        continue;
      }
      const slash = e.path.indexOf('/', dir.length);
      if (slash < 0) {
        yield { kind: 'file', path: e.path, entry: e };
        await cursor.next();
      } else {
        const sub = e.path.slice(0, slash + 1);
        yield { kind: 'directory', path: sub };
        await cursor.seek(prefixEnd(sub));
      }
    }
  }

  /**
   * The bytes of a file (by path or entry), optionally a range.
   * @throws NOT_FOUND when the path is not a file; DATA_LOSS when a chunk is missing or corrupt.
   */
  async *readFile(file: string | IndexEntry, options: ReadFileOptions = {}): AsyncGenerator<Uint8Array> {
    const entry = typeof file === 'string' ? await this.get(file, options) : file;
    if (!entry || isDelete(entry)) {
      throw storageErrors.notFound(
        `file ${JSON.stringify(typeof file === 'string' ? file : file.path)} not found in file set ${this.root}`,
      );
    }
    yield* this.#ctx.chunks.readRefs(entry.refs, {
      signal: options.signal,
      start: options.start,
      end: Math.min(options.end ?? entry.size, entry.size),
    });
  }

  /** Number of entries and sum of sizes, from the root page alone. */
  async totals(options: { signal?: AbortSignal } = {}): Promise<{ count: number; bytes: number }> {
    return pageTotals(await this.#ctx.pages.read(this.root, options));
  }
}
