/**
 * Differences between two file sets, in path order, skipping every subtree the two share (equal
 * page hashes). Because page boundaries depend only on keys (tree.ts), unchanged regions of two
 * versions consist of the same pages, so a diff of two 1M-file trees that differ in one file reads
 * a handful of pages.
 *
 * A file is "changed" when its size or content hash differs (a file rewritten with identical bytes
 * is unchanged, whatever chunks hold it). Both sides should be committed trees; for staged sets the
 * entries are compared as stored, deletes included. Read-only; safe to run concurrently.
 */
import type { IndexEntry, IndexPage } from './index-page.ts';
import { comparePaths, prefixEnd, validateDirectory } from './paths.ts';
import type { PageStore, RootHash } from './page-store.ts';
import type { ChildRef } from './index-page.ts';
import { lowerBound } from './tree.ts';

export type DiffItem =
  | { kind: 'added'; path: string; after: IndexEntry }
  | { kind: 'deleted'; path: string; before: IndexEntry }
  | { kind: 'changed'; path: string; before: IndexEntry; after: IndexEntry };

export interface DiffOptions {
  signal?: AbortSignal;
  /** Only paths under this directory (`/a/`; must end with `/`). */
  prefix?: string;
}

export interface DiffStats {
  pagesVisited: number;
  subtreesSkipped: number;
}

type Head = { kind: 'page'; ref: ChildRef; level: number } | { kind: 'entry'; entry: IndexEntry };

interface Frame {
  page: IndexPage;
  index: number;
}

/** A forward-only walk over a tree that can skip a whole subtree without reading it. */
class DiffCursor {
  readonly #pages: PageStore;
  readonly #signal: AbortSignal | undefined;
  readonly #stats: DiffStats;
  #frames: Frame[] = [];

  constructor(pages: PageStore, stats: DiffStats, signal: AbortSignal | undefined) {
    this.#pages = pages;
    this.#stats = stats;
    this.#signal = signal;
  }

  async #read(hash: string): Promise<IndexPage> {
    this.#stats.pagesVisited++;
    return await this.#pages.read(hash, { signal: this.#signal });
  }

  /** Positions at the first item ≥ key; subtrees after the seek path stay unread. */
  async init(root: RootHash, key: string): Promise<void> {
    let page = await this.#read(root);
    for (;;) {
      if (page.kind === 'leaf') {
        this.#frames.push({ page, index: lowerBound(page.entries, key, 0) });
        return;
      }
      const children = page.children;
      let lo = 0;
      let hi = children.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (comparePaths(children[mid]!.firstKey, key) <= 0) lo = mid;
        else hi = mid - 1;
      }
      if (key === '' || (lo === 0 && comparePaths(children[0]!.firstKey, key) >= 0)) {
        // Nothing to skip inside: keep the whole page as heads so equal subtrees can be skipped.
        this.#frames.push({ page, index: 0 });
        return;
      }
      this.#frames.push({ page, index: lo + 1 });
      page = await this.#read(children[lo]!.hash);
    }
  }

  head(): Head | undefined {
    for (;;) {
      const top = this.#frames[this.#frames.length - 1];
      if (!top) return undefined;
      if (top.page.kind === 'leaf') {
        const e = top.page.entries[top.index];
        if (e) return { kind: 'entry', entry: e };
      } else {
        const c = top.page.children[top.index];
        if (c) return { kind: 'page', ref: c, level: top.page.level - 1 };
      }
      this.#frames.pop();
    }
  }

  skip(): void {
    this.#frames[this.#frames.length - 1]!.index++;
  }

  /** Replaces the current head (a page) by its contents. */
  async descend(): Promise<void> {
    const top = this.#frames[this.#frames.length - 1]!;
    if (top.page.kind !== 'inner') return;
    const child = top.page.children[top.index]!;
    top.index++;
    this.#frames.push({ page: await this.#read(child.hash), index: 0 });
  }
}

const keyOf = (h: Head): string => (h.kind === 'page' ? h.ref.firstKey : h.entry.path);

function changed(a: IndexEntry, b: IndexEntry): boolean {
  if (a.op !== b.op || a.size !== b.size) return true;
  if (a.contentHash && b.contentHash) return a.contentHash !== b.contentHash;
  if (a.refs.length !== b.refs.length) return true;
  return a.refs.some(
    (r, i) =>
      r.chunk !== b.refs[i]!.chunk || r.offset !== b.refs[i]!.offset || r.length !== b.refs[i]!.length,
  );
}

/**
 * Streams what changed from `before` to `after`. `stats` (optional) receives how many pages were
 * visited and subtrees skipped.
 * @throws DATA_LOSS when a page is missing or corrupt.
 */
export async function* diffTrees(
  pages: PageStore,
  before: RootHash,
  after: RootHash,
  options: DiffOptions & { stats?: DiffStats } = {},
): AsyncGenerator<DiffItem> {
  const stats = options.stats ?? { pagesVisited: 0, subtreesSkipped: 0 };
  if (before === after) return;
  const prefix = options.prefix ?? '';
  if (prefix !== '') validateDirectory(prefix);
  const end = prefix === '' ? undefined : prefixEnd(prefix);
  // Both cursors start at the prefix, so everything before `end` is under it.
  const past = (h: Head | undefined): boolean =>
    h === undefined || (end !== undefined && comparePaths(keyOf(h), end) >= 0);
  const A = new DiffCursor(pages, stats, options.signal);
  const B = new DiffCursor(pages, stats, options.signal);
  await A.init(before, prefix);
  await B.init(after, prefix);
  for (;;) {
    options.signal?.throwIfAborted();
    let a = A.head();
    let b = B.head();
    if (past(a)) a = undefined;
    if (past(b)) b = undefined;
    if (!a && !b) return;
    if (a && b && a.kind === 'page' && b.kind === 'page' && a.ref.hash === b.ref.hash) {
      stats.subtreesSkipped++;
      A.skip();
      B.skip();
      continue;
    }
    const c = a && b ? comparePaths(keyOf(a), keyOf(b)) : a ? -1 : 1;
    if (c < 0) {
      if (a!.kind === 'page') await A.descend();
      else {
        A.skip();
        yield { kind: 'deleted', path: a!.entry.path, before: a!.entry };
      }
    } else if (c > 0) {
      if (b!.kind === 'page') await B.descend();
      else {
        B.skip();
        yield { kind: 'added', path: b!.entry.path, after: b!.entry };
      }
    } else if (a!.kind === 'entry' && b!.kind === 'entry') {
      A.skip();
      B.skip();
      if (changed(a!.entry, b!.entry)) {
        yield { kind: 'changed', path: a!.entry.path, before: a!.entry, after: b!.entry };
      }
    } else if (a!.kind === 'page' && b!.kind === 'page') {
      // Same first key, different content: open the taller one (both when equally tall).
      if (a!.level >= b!.level) await A.descend();
      if (b!.level >= a!.level) await B.descend();
    } else if (a!.kind === 'page') {
      await A.descend();
    } else {
      await B.descend();
    }
  }
}
