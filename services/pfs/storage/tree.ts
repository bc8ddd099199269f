/**
 * The shape of a file set: a prolly tree (a B-tree whose page boundaries are chosen by content).
 *
 * Boundary rule. A level-0 (leaf) page ends after an entry whose key hashes, with the level as salt,
 * to a value whose low `leafBits` bits are zero; a level-k page (k ≥ 1) ends after a child whose first
 * key does the same with `innerBits`. The rule depends only on the key, so every such "natural"
 * boundary is a boundary in every tree that contains the key: an insert or delete changes only the
 * page it lands in (and the pages above it), and two versions of a tree share every other page.
 * A page also ends when its estimated size reaches `maxPageBytes` (a large file's refs can be large);
 * that forced rule depends only on the entries since the page's start, so a tree is still a pure
 * function of its entries (history-independent), which merge.ts relies on.
 *
 * The key hash is FNV-1a over UTF-16 code units with a murmur3 finalizer: cheap, and fixed as part
 * of the format (changing it loses page sharing with old trees, not correctness).
 */
import { storageErrors } from './errors.ts';
import type { Sha256Hex } from './hash.ts';
import type { ChildRef, IndexEntry, IndexPage, InnerPage } from './index-page.ts';
import { comparePaths } from './paths.ts';
import { EMPTY_ROOT, type PageStore, type RootHash } from './page-store.ts';

export interface TreeOptions {
  /** Leaves hold about 2^leafBits entries on average. Default 11 (≈2048 entries, ≈100–150 KiB). */
  leafBits?: number;
  /** Inner pages hold about 2^innerBits children on average. Default 10. */
  innerBits?: number;
  /** A page is cut when its estimated encoding reaches this size. Default 1 MiB. */
  maxPageBytes?: number;
}

export interface TreeParams {
  leafBits: number;
  innerBits: number;
  maxPageBytes: number;
}

export function treeParams(options: TreeOptions = {}): TreeParams {
  const p = {
    leafBits: options.leafBits ?? 11,
    innerBits: options.innerBits ?? 10,
    maxPageBytes: options.maxPageBytes ?? 1024 * 1024,
  };
  if (!(
    p.leafBits >= 1 &&
    p.leafBits <= 24 &&
    p.innerBits >= 1 &&
    p.innerBits <= 24 &&
    p.maxPageBytes >= 1024
  )) {
    throw storageErrors.invalidArgument(
      `invalid tree parameters leafBits=${p.leafBits} innerBits=${p.innerBits} maxPageBytes=${p.maxPageBytes}: need 1–24 bits and at least 1 KiB pages`,
    );
  }
  return p;
}

/** The boundary hash of a key at a level (see the module comment). */
export function keyHash(key: string, level: number): number {
  let h = (0x811c9dc5 ^ Math.imul(level + 1, 0x9e3779b9)) | 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Estimated encoded size of a leaf entry: deterministic, an upper bound of the real encoding. */
export function entryWeight(e: IndexEntry): number {
  return 44 + e.path.length * 3 + e.tag.length * 3 + e.refs.length * 46;
}

function childWeight(c: ChildRef): number {
  return 56 + c.firstKey.length * 3;
}

interface Level {
  items: (IndexEntry | ChildRef)[];
  weight: number;
}

/**
 * Builds a tree bottom-up from entries in strictly increasing path order, writing each page as soon
 * as it is complete, so memory holds one unfinished page per level. `addPage` inserts an existing
 * subtree (merge.ts reuses unchanged pages this way); it is only valid when `emptyThrough(level)`.
 *
 * Not safe for concurrent use: await each call before the next.
 */
export class TreeBuilder {
  readonly #pages: PageStore;
  readonly #params: TreeParams;
  readonly #signal: AbortSignal | undefined;
  readonly #levels: Level[] = [{ items: [], weight: 0 }];
  #lastKey: string | undefined;
  /** Pages written by this builder (new or not). */
  pagesWritten = 0;

  constructor(pages: PageStore, params: TreeParams, signal?: AbortSignal) {
    this.#pages = pages;
    this.#params = params;
    this.#signal = signal;
  }

  /** True when no level up to `level` holds unfinished items (the builder is "in sync" there). */
  emptyThrough(level: number): boolean {
    for (let k = 0; k <= level && k < this.#levels.length; k++)
      if (this.#levels[k]!.items.length > 0) return false;
    return true;
  }

  async addEntry(e: IndexEntry): Promise<void> {
    if (this.#lastKey !== undefined && comparePaths(this.#lastKey, e.path) >= 0) {
      throw storageErrors.internal(
        `tree entries out of order: ${JSON.stringify(e.path)} after ${JSON.stringify(this.#lastKey)}`,
      );
    }
    this.#lastKey = e.path;
    const level = this.#levels[0]!;
    level.items.push(e);
    level.weight += entryWeight(e);
    if (
      (keyHash(e.path, 0) & ((1 << this.#params.leafBits) - 1)) === 0 ||
      level.weight >= this.#params.maxPageBytes
    ) {
      await this.#flush(0);
    }
  }

  /** Appends an existing page of level `level` (its subtree must follow everything added so far). */
  async addPage(level: number, child: ChildRef, lastKey?: string): Promise<void> {
    if (!this.emptyThrough(level))
      throw storageErrors.internal(`cannot reuse a level-${level} page while lower levels are unfinished`);
    if (this.#lastKey !== undefined && comparePaths(this.#lastKey, child.firstKey) >= 0) {
      throw storageErrors.internal(
        `tree pages out of order: ${JSON.stringify(child.firstKey)} after ${JSON.stringify(this.#lastKey)}`,
      );
    }
    // The subtree's last key is unknown without reading it; its first key keeps the order check honest.
    this.#lastKey = lastKey ?? child.firstKey;
    await this.#push(level + 1, child);
  }

  async #push(k: number, child: ChildRef): Promise<void> {
    while (this.#levels.length <= k) this.#levels.push({ items: [], weight: 0 });
    const level = this.#levels[k]!;
    level.items.push(child);
    level.weight += childWeight(child);
    if (
      (keyHash(child.firstKey, k) & ((1 << this.#params.innerBits) - 1)) === 0 ||
      level.weight >= this.#params.maxPageBytes
    ) {
      await this.#flush(k);
    }
  }

  async #flush(k: number): Promise<void> {
    const level = this.#levels[k]!;
    const items = level.items;
    level.items = [];
    level.weight = 0;
    const ref = await this.#writePage(k, items);
    await this.#push(k + 1, ref);
  }

  async #writePage(k: number, items: (IndexEntry | ChildRef)[]): Promise<ChildRef> {
    let page: IndexPage;
    let count = 0;
    let bytes = 0;
    let firstKey: string;
    if (k === 0) {
      const entries = items as IndexEntry[];
      for (const e of entries) bytes += e.size;
      count = entries.length;
      page = { kind: 'leaf', level: 0, entries };
      firstKey = entries[0]?.path ?? '';
    } else {
      const children = items as ChildRef[];
      for (const c of children) {
        count += c.count;
        bytes += c.bytes;
      }
      page = { kind: 'inner', level: k, children } satisfies InnerPage;
      firstKey = children[0]!.firstKey;
    }
    this.#signal?.throwIfAborted();
    const hash = await this.#pages.write(page, { signal: this.#signal });
    this.pagesWritten++;
    return { firstKey, hash, count, bytes };
  }

  /** Writes the unfinished pages and returns the root (EMPTY_ROOT when nothing was added). */
  async finish(): Promise<RootHash> {
    for (let k = 0; k < this.#levels.length; k++) {
      const level = this.#levels[k]!;
      const isTop = k === this.#levels.length - 1;
      if (isTop) {
        if (k === 0)
          return level.items.length === 0 ? EMPTY_ROOT : (await this.#writePage(0, level.items)).hash;
        // A root with a single child is that child.
        if (level.items.length === 1) return (level.items[0] as ChildRef).hash;
        return (await this.#writePage(k, level.items)).hash;
      }
      if (level.items.length > 0) await this.#flush(k);
    }
    throw storageErrors.internal('tree builder ended without a root');
  }
}

/**
 * A position in a tree: the path of pages from the root to one leaf entry. Moves forward only
 * (seek may jump anywhere). Holds one page per level; prefetches the next leaves while the current
 * one is consumed.
 */
export class TreeCursor {
  readonly #pages: PageStore;
  readonly #root: RootHash;
  readonly #signal: AbortSignal | undefined;
  readonly #readahead: number;
  /** Inner pages from the root down, with the index of the child being visited. */
  #frames: { page: InnerPage; index: number }[] = [];
  /** Entries of the current leaf, or undefined when past the end. */
  leaf: IndexEntry[] | undefined = undefined;
  /** Index of the current entry in `leaf`. */
  pos = 0;

  constructor(pages: PageStore, root: RootHash, options: { signal?: AbortSignal; readahead?: number } = {}) {
    this.#pages = pages;
    this.#root = root;
    this.#signal = options.signal;
    this.#readahead = options.readahead ?? 2;
  }

  /** The current entry, or undefined at the end. */
  get current(): IndexEntry | undefined {
    return this.leaf?.[this.pos];
  }

  async #read(hash: Sha256Hex): Promise<IndexPage> {
    return await this.#pages.read(hash, { signal: this.#signal });
  }

  /** Moves to the first entry whose path is ≥ key. */
  async seek(key: string): Promise<void> {
    const leaf = this.leaf;
    const cur = leaf?.[this.pos];
    // Forward within the current leaf: no I/O.
    if (
      leaf &&
      cur &&
      comparePaths(cur.path, key) <= 0 &&
      comparePaths(key, leaf[leaf.length - 1]!.path) <= 0
    ) {
      this.pos = lowerBound(leaf, key, this.pos);
      return;
    }
    this.#frames = [];
    let page = await this.#read(this.#root);
    while (page.kind === 'inner') {
      const children = page.children;
      let lo = 0;
      let hi = children.length - 1;
      // The last child whose first key is ≤ key (or the first child).
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (comparePaths(children[mid]!.firstKey, key) <= 0) lo = mid;
        else hi = mid - 1;
      }
      this.#frames.push({ page, index: lo });
      page = await this.#read(children[lo]!.hash);
    }
    this.leaf = page.entries;
    this.pos = lowerBound(page.entries, key, 0);
    this.#prefetch();
    if (this.pos >= this.leaf.length) await this.nextLeaf();
  }

  /** Moves to the first entry of the tree. */
  async start(): Promise<void> {
    await this.seek('');
  }

  /** Moves one entry forward. */
  async next(): Promise<void> {
    if (!this.leaf) return;
    this.pos++;
    if (this.pos >= this.leaf.length) await this.nextLeaf();
  }

  /** Moves to the first entry of the next non-empty leaf (or the end). */
  async nextLeaf(): Promise<void> {
    for (;;) {
      let depth = this.#frames.length - 1;
      while (depth >= 0 && this.#frames[depth]!.index + 1 >= this.#frames[depth]!.page.children.length)
        depth--;
      if (depth < 0) {
        this.leaf = undefined;
        this.pos = 0;
        this.#frames = [];
        return;
      }
      this.#frames.length = depth + 1;
      const frame = this.#frames[depth]!;
      frame.index++;
      let page = await this.#read(frame.page.children[frame.index]!.hash);
      while (page.kind === 'inner') {
        this.#frames.push({ page, index: 0 });
        page = await this.#read(page.children[0]!.hash);
      }
      this.leaf = page.entries;
      this.pos = 0;
      this.#prefetch();
      if (this.leaf.length > 0) return;
    }
  }

  #prefetch(): void {
    const frame = this.#frames[this.#frames.length - 1];
    if (!frame) return;
    for (let i = 1; i <= this.#readahead; i++) {
      const child = frame.page.children[frame.index + i];
      if (!child) break;
      this.#pages.prefetch(child.hash, { signal: this.#signal });
    }
  }
}

/** The first index ≥ from whose entry path is ≥ key. */
export function lowerBound(entries: readonly IndexEntry[], key: string, from: number): number {
  let lo = from;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (comparePaths(entries[mid]!.path, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Every entry of a tree in path order, from `from` (inclusive) when given. Streams page by page;
 * stops early without further I/O when the consumer returns.
 */
export async function* treeEntries(
  pages: PageStore,
  root: RootHash,
  options: { from?: string; signal?: AbortSignal } = {},
): AsyncGenerator<IndexEntry> {
  const cursor = new TreeCursor(pages, root, { signal: options.signal });
  await cursor.seek(options.from ?? '');
  while (cursor.leaf) {
    const leaf = cursor.leaf;
    for (let i = cursor.pos; i < leaf.length; i++) yield leaf[i]!;
    options.signal?.throwIfAborted();
    await cursor.nextLeaf();
  }
}
