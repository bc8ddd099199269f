/**
 * Applies staged file sets to a parent tree, producing the new commit tree, in
 * O(changes × tree height) page reads and writes.
 *
 * The walk goes down the parent tree only where the (composed, sorted) changes land. A TreeBuilder
 * re-chunks the entries of touched leaves; every subtree whose key range holds no change is handed
 * to the builder by reference (its hash, without reading it) whenever the builder is "in sync" at
 * that level, i.e. has no unfinished page below it. Because page boundaries depend only on keys
 * (tree.ts), the builder falls back in sync at the first natural boundary after an edit, usually the
 * end of the touched leaf, so the result is exactly the tree a from-scratch build would produce,
 * sharing every untouched page with the parent. A `deletePrefix` that covers whole subtrees drops
 * them without reading them.
 *
 * File contents: a put keeps its refs; an append becomes the parent's refs followed by the appended
 * refs. The content hash of such a concatenation is not derivable from its parts, so merge reads the
 * file's bytes (verified) to compute it: appends cost time proportional to the appended file's size.
 *
 * Concurrency: a pure function of its inputs; any number may run at once (they may write the same
 * pages, which is harmless for content-addressed objects).
 */
import { createHash } from 'node:crypto';
import { concatRefs, type ChunkStore } from './chunks.ts';
import { composeStaged, type ComposeContext } from './compose.ts';
import type { ChildRef, IndexEntry, InnerPage } from './index-page.ts';
import { comparePaths, prefixEnd } from './paths.ts';
import type { RootHash } from './page-store.ts';
import { TreeBuilder } from './tree.ts';

export interface MergeContext extends ComposeContext {
  chunks: ChunkStore;
}

export interface MergeResult {
  root: RootHash;
  /** Pages this merge wrote (or found already present). */
  pagesWritten: number;
  /** Pages of the parent tree this merge visited (read from cache or store). */
  pagesVisited: number;
  /** Parent subtrees reused by reference. */
  subtreesReused: number;
  /** Change entries applied. */
  changes: number;
  /** Files whose bytes were read to compute a content hash (appends). */
  filesRehashed: number;
}

class Peekable<T> {
  readonly #it: AsyncIterator<T>;
  #head: T | undefined;
  #buffered = false;
  #done = false;

  constructor(source: AsyncIterable<T>) {
    this.#it = source[Symbol.asyncIterator]();
  }

  async peek(): Promise<T | undefined> {
    if (this.#buffered || this.#done) return this.#head;
    const r = await this.#it.next();
    this.#buffered = true;
    if (r.done) {
      this.#done = true;
      this.#head = undefined;
    } else {
      this.#head = r.value;
    }
    return this.#head;
  }

  take(): void {
    if (!this.#done) this.#buffered = false;
  }

  async close(): Promise<void> {
    await this.#it.return?.();
  }
}

/**
 * The tree of `parentRoot` with `staged` (in order) applied. With no staged sets, or only empty
 * ones, returns `parentRoot` itself.
 * @throws DATA_LOSS when a page or chunk it needs is missing or corrupt.
 */
export async function applyStaged(
  ctx: MergeContext,
  parentRoot: RootHash,
  staged: readonly RootHash[],
  options: { signal?: AbortSignal } = {},
): Promise<MergeResult> {
  const result: MergeResult = {
    root: parentRoot,
    pagesWritten: 0,
    pagesVisited: 0,
    subtreesReused: 0,
    changes: 0,
    filesRehashed: 0,
  };
  if (staged.length === 0) return result;
  const changes = new Peekable(composeStaged(ctx, staged, options));
  try {
    if ((await changes.peek()) === undefined) return result;
    const merger = new Merger(ctx, changes, result, options.signal);
    await merger.run(parentRoot);
    return result;
  } finally {
    await changes.close();
  }
}

class Merger {
  readonly #ctx: MergeContext;
  readonly #changes: Peekable<IndexEntry>;
  readonly #result: MergeResult;
  readonly #signal: AbortSignal | undefined;
  readonly #builder: TreeBuilder;
  /** The end of the deletePrefix range being applied, if any (ranges arrive disjoint). */
  #rangeEnd: string | undefined;

  constructor(
    ctx: MergeContext,
    changes: Peekable<IndexEntry>,
    result: MergeResult,
    signal: AbortSignal | undefined,
  ) {
    this.#ctx = ctx;
    this.#changes = changes;
    this.#result = result;
    this.#signal = signal;
    this.#builder = new TreeBuilder(ctx.pages, ctx.tree, signal);
  }

  async run(parentRoot: RootHash): Promise<void> {
    const page = await this.#read(parentRoot);
    if (page.kind === 'leaf') await this.#mergeLeaf(page.entries, undefined);
    else await this.#walk(page, undefined);
    this.#result.root = await this.#builder.finish();
    this.#result.pagesWritten = this.#builder.pagesWritten;
  }

  async #read(hash: RootHash) {
    this.#result.pagesVisited++;
    return await this.#ctx.pages.read(hash, { signal: this.#signal });
  }

  #expireRange(key: string): void {
    if (this.#rangeEnd !== undefined && comparePaths(key, this.#rangeEnd) >= 0) this.#rangeEnd = undefined;
  }

  /** Whether the next change lies before `upper` (undefined: no bound). */
  async #touches(upper: string | undefined): Promise<boolean> {
    const next = await this.#changes.peek();
    return next !== undefined && (upper === undefined || comparePaths(next.path, upper) < 0);
  }

  async #walk(page: InnerPage, upper: string | undefined): Promise<void> {
    const children = page.children;
    for (let i = 0; i < children.length; i++) {
      this.#signal?.throwIfAborted();
      const childUpper = i + 1 < children.length ? children[i + 1]!.firstKey : upper;
      await this.#visit(children[i]!, page.level - 1, childUpper);
    }
  }

  async #visit(child: ChildRef, level: number, upper: string | undefined): Promise<void> {
    this.#expireRange(child.firstKey);
    if (!(await this.#touches(upper))) {
      if (this.#rangeEnd !== undefined) {
        // A delete range covers the start of this subtree; if it covers all of it, drop it unread.
        if (upper !== undefined && comparePaths(this.#rangeEnd, upper) >= 0) return;
      } else if (this.#builder.emptyThrough(level)) {
        this.#result.subtreesReused++;
        await this.#builder.addPage(level, child);
        return;
      }
    }
    const page = await this.#read(child.hash);
    if (page.kind === 'leaf') await this.#mergeLeaf(page.entries, upper);
    else await this.#walk(page, upper);
  }

  async #mergeLeaf(entries: readonly IndexEntry[], upper: string | undefined): Promise<void> {
    let i = 0;
    for (;;) {
      const c = (await this.#touches(upper)) ? (await this.#changes.peek())! : undefined;
      const e = entries[i];
      if (!c && !e) return;
      if (c && (!e || comparePaths(c.path, e.path) <= 0)) {
        this.#changes.take();
        this.#result.changes++;
        if (c.op === 'deletePrefix') {
          this.#rangeEnd = prefixEnd(c.path);
          continue;
        }
        this.#expireRange(c.path);
        let base: IndexEntry | undefined;
        if (e && e.path === c.path) {
          i++;
          if (this.#rangeEnd === undefined) base = e;
        }
        const out = await this.#applyPoint(base, c);
        if (out) await this.#builder.addEntry(out);
      } else {
        this.#expireRange(e!.path);
        if (this.#rangeEnd === undefined) await this.#builder.addEntry(e!);
        i++;
      }
    }
  }

  async #applyPoint(base: IndexEntry | undefined, c: IndexEntry): Promise<IndexEntry | undefined> {
    let out: IndexEntry;
    if (c.op === 'delete') return undefined;
    if (c.op === 'put' || !base) {
      out = c.op === 'put' ? c : { ...c, op: 'put' };
    } else {
      out = {
        path: c.path,
        op: 'put',
        size: base.size + c.size,
        contentHash: c.size === 0 ? base.contentHash : base.size === 0 ? c.contentHash : '',
        refs: concatRefs(base.refs, c.refs),
        tag: c.tag || base.tag,
      };
    }
    if (out.contentHash === '') {
      const hasher = createHash('sha256');
      for await (const bytes of this.#ctx.chunks.readRefs(out.refs, { signal: this.#signal }))
        hasher.update(bytes);
      out = { ...out, contentHash: hasher.digest('hex') };
      this.#result.filesRehashed++;
    }
    return out;
  }
}
