/**
 * The mark phase of garbage collection: every object key reachable from a set of roots
 * (`index/<sha256>` pages and `chunks/<sha256>` chunks). The collector itself lives in pfs.
 *
 * Pages shared between roots (most of them, between versions of one repo) are walked once: a set
 * of visited page hashes grows with the number of distinct pages (about files/2000 per version, plus
 * the pages each commit rewrote). Chunk keys are de-duplicated through a bounded set, so a chunk may
 * be yielded more than once; the collector must tolerate duplicates.
 *
 * Every page read is verified: a missing or corrupt page throws DATA_LOSS, and the collector must
 * then abort the sweep (an incomplete mark would delete live data). Read-only; safe to run while
 * writers are active (objects written after the mark started are protected by the grace rule in
 * content-objects.ts, not by this walk).
 */
import { CHUNK_PREFIX } from './chunks.ts';
import { LruCache } from './lru.ts';
import { EMPTY_ROOT, INDEX_PREFIX, type PageStore, type RootHash } from './page-store.ts';

export interface ReachableOptions {
  signal?: AbortSignal;
  /** Chunk hashes remembered for de-duplication. Default 1,000,000. */
  chunkMemory?: number;
}

export async function* reachableObjects(
  pages: PageStore,
  roots: Iterable<RootHash> | AsyncIterable<RootHash>,
  options: ReachableOptions = {},
): AsyncGenerator<string> {
  const seen = new Set<string>();
  const chunksSeen = new LruCache<true>(options.chunkMemory ?? 1_000_000);
  for await (const root of roots) {
    if (root === EMPTY_ROOT || seen.has(root)) continue;
    seen.add(root);
    const stack: string[] = [root];
    while (stack.length > 0) {
      options.signal?.throwIfAborted();
      const hash = stack.pop()!;
      const page = await pages.read(hash, { signal: options.signal });
      yield INDEX_PREFIX + hash;
      if (page.kind === 'inner') {
        for (let i = page.children.length - 1; i >= 0; i--) {
          const child = page.children[i]!.hash;
          if (!seen.has(child)) {
            seen.add(child);
            stack.push(child);
          }
        }
      } else {
        for (const e of page.entries) {
          for (const r of e.refs) {
            if (chunksSeen.has(r.chunk)) continue;
            chunksSeen.set(r.chunk, true, 1);
            yield CHUNK_PREFIX + r.chunk;
          }
        }
      }
    }
  }
}
