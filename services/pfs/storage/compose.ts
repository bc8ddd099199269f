/**
 * Composition of staged changes: several sorted change sets, applied in order, folded into one
 * normalized sorted change set with at most one entry per path.
 *
 * Semantics of one change set applied to a base: first every `deletePrefix` range removes the base
 * files under it, then each point entry applies (put replaces, append extends the base file if one
 * survives, delete removes). Folding set B after set A:
 *   - ranges: the union (nested ranges collapse into the outer one);
 *   - a point entry of A under a range of B disappears (B's range deleted it);
 *   - point entries of one path compose: X·put = put, X·delete = delete, delete·append = put,
 *     put·append = put of the concatenation, append·append = append of the concatenation.
 * The same fold serves the file-set writer (sources are operation sequence numbers) and the merge of
 * staged sets (sources are set positions): input is any stream sorted by (path, source).
 */
import { concatRefs } from './chunks.ts';
import { storageErrors } from './errors.ts';
import type { IndexEntry } from './index-page.ts';
import { comparePaths, prefixEnd } from './paths.ts';
import type { PageStore, RootHash } from './page-store.ts';
import { TreeBuilder, treeEntries, type TreeParams } from './tree.ts';

export interface SourcedEntry {
  entry: IndexEntry;
  /** Larger sources were applied later. */
  source: number;
}

/** Composes two changes to one path, `b` applied after `a`. */
export function composeOps(a: IndexEntry | undefined, b: IndexEntry): IndexEntry {
  if (!a || b.op === 'put' || b.op === 'delete') return b;
  if (b.op !== 'append') throw storageErrors.internal(`cannot compose ${b.op} at ${b.path}`);
  if (a.op === 'delete') return { ...b, op: 'put' };
  // The hash of the concatenation is known only when one side is empty; merge computes the rest.
  return {
    path: b.path,
    op: a.op === 'put' ? 'put' : 'append',
    size: a.size + b.size,
    contentHash: b.size === 0 ? a.contentHash : a.size === 0 ? b.contentHash : '',
    refs: concatRefs(a.refs, b.refs),
    tag: b.tag || a.tag,
  };
}

/** Folds a stream sorted by (path, source) into normalized changes (see the module comment). */
export async function* composeSorted(
  items: AsyncIterable<SourcedEntry> | Iterable<SourcedEntry>,
): AsyncGenerator<IndexEntry> {
  let kills: { end: string; source: number }[] = [];
  let emittedEnd: string | undefined;
  let group: SourcedEntry[] = [];

  function* fold(): Generator<IndexEntry> {
    const key = group[0]!.entry.path;
    if (kills.length > 0) kills = kills.filter((k) => comparePaths(key, k.end) < 0);
    if (emittedEnd !== undefined && comparePaths(key, emittedEnd) >= 0) emittedEnd = undefined;
    if (key.endsWith('/')) {
      let source = -1;
      for (const g of group) {
        if (g.entry.op !== 'deletePrefix')
          throw storageErrors.internal(`entry ${key} ends with "/" but is a ${g.entry.op}`);
        source = Math.max(source, g.source);
      }
      const end = prefixEnd(key);
      kills.push({ end, source });
      if (emittedEnd === undefined) {
        emittedEnd = end;
        yield group[group.length - 1]!.entry;
      }
      return;
    }
    let killedBelow = -1;
    for (const k of kills) if (k.source > killedBelow) killedBelow = k.source;
    let acc: IndexEntry | undefined;
    for (const g of group) {
      if (g.entry.op === 'deletePrefix')
        throw storageErrors.internal(`deletePrefix entry ${key} must end with "/"`);
      if (g.source < killedBelow) continue;
      acc = composeOps(acc, g.entry);
    }
    if (acc) yield acc;
  }

  for await (const item of items) {
    if (group.length > 0 && group[0]!.entry.path !== item.entry.path) {
      yield* fold();
      group = [];
    }
    group.push(item);
  }
  if (group.length > 0) yield* fold();
}

/** Merges sorted entry streams into one stream sorted by (path, source index). */
export async function* mergeSorted(sources: AsyncIterable<IndexEntry>[]): AsyncGenerator<SourcedEntry> {
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  // A binary min-heap of the sources' current heads.
  const heap: { entry: IndexEntry; source: number }[] = [];
  const less = (a: SourcedEntry, b: SourcedEntry): boolean => {
    const c = comparePaths(a.entry.path, b.entry.path);
    return c < 0 || (c === 0 && a.source < b.source);
  };
  const push = (item: SourcedEntry): void => {
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  };
  const pop = (): SourcedEntry => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };
  try {
    for (let s = 0; s < iterators.length; s++) {
      const r = await iterators[s]!.next();
      if (!r.done) push({ entry: r.value, source: s });
    }
    while (heap.length > 0) {
      const top = pop();
      yield top;
      const r = await iterators[top.source]!.next();
      if (!r.done) push({ entry: r.value, source: top.source });
    }
  } finally {
    await Promise.all(iterators.map(async (it) => await it.return?.()));
  }
}

/** How many staged sets are read at once; more are folded in rounds (bounded memory). */
export const COMPOSE_FAN_IN = 32;

export interface ComposeContext {
  pages: PageStore;
  tree: TreeParams;
}

/**
 * The normalized changes of staged sets applied in order. With more than COMPOSE_FAN_IN sets, groups
 * are first folded into intermediate staged sets (written to the store; garbage once unreferenced).
 */
export async function* composeStaged(
  ctx: ComposeContext,
  roots: readonly RootHash[],
  options: { signal?: AbortSignal } = {},
): AsyncGenerator<IndexEntry> {
  let level = roots.slice();
  while (level.length > COMPOSE_FAN_IN) {
    const next: RootHash[] = [];
    for (let i = 0; i < level.length; i += COMPOSE_FAN_IN) {
      next.push(await writeComposed(ctx, level.slice(i, i + COMPOSE_FAN_IN), options));
    }
    level = next;
  }
  if (level.length === 1) {
    yield* treeEntries(ctx.pages, level[0]!, options);
    return;
  }
  yield* composeSorted(mergeSorted(level.map((r) => treeEntries(ctx.pages, r, options))));
}

/** Folds staged sets into one staged set and returns its root. */
export async function writeComposed(
  ctx: ComposeContext,
  roots: readonly RootHash[],
  options: { signal?: AbortSignal } = {},
): Promise<RootHash> {
  if (roots.length === 1) return roots[0]!;
  const builder = new TreeBuilder(ctx.pages, ctx.tree, options.signal);
  for await (const e of composeStaged(ctx, roots, options)) await builder.addEntry(e);
  return await builder.finish();
}
