/**
 * The glob matches of one input commit: every file and implied directory whose path matches, in
 * path order (a directory as `/a/`, which sorts right before everything beneath it; the root as
 * `/`). As in Pachyderm, a directory match and matches beneath it are all yielded (`/**` yields
 * `/a/` and `/a/b`), and the root matches only the pattern `/`, and only when the commit has files.
 *
 * Streaming: a depth-first walk over `listDirectory`, one generator per directory level on the
 * stack, starting at the deepest directory the glob's literal prefix names and never descending
 * below the glob's maximum depth, so `/*` over a million files reads one directory level and skips
 * every subtree by seeking. Memory: O(path depth).
 */
import {
  comparePaths,
  validateDirectory,
  type FileSetReader,
  type IndexEntry,
} from '../../pfs/storage/index.ts';
import type { CaptureGlob } from './capture-glob.ts';

export type GlobMatch =
  { kind: 'file'; path: string; entry: IndexEntry } | { kind: 'directory'; path: string };

/** Yields the matches of `glob` in `reader`'s file set, in path order. */
export async function* globMatches(
  reader: FileSetReader,
  glob: CaptureGlob,
  options: { signal?: AbortSignal } = {},
): AsyncGenerator<GlobMatch> {
  const { signal } = options;
  if (glob.pattern === '/') {
    const root = await reader.stat('/', { signal });
    if (root) yield { kind: 'directory', path: '/' };
    return;
  }
  const prefix = glob.prefix;
  const startDir = prefix.slice(0, prefix.lastIndexOf('/') + 1) || '/';
  const startDepth = startDir.split('/').length - 2; // '/' → 0, '/a/' → 1
  const maxDepth = glob.maxDepth;

  async function* walk(dir: string, depth: number): AsyncGenerator<GlobMatch> {
    // Items of `dir` have depth + 1 segments.
    for await (const item of reader.listDirectory(dir, { signal })) {
      const bare = item.kind === 'directory' ? item.path.slice(0, -1) : item.path;
      if (depth === startDepth && !bare.startsWith(prefix)) {
        // Sorted: once past the prefix there is nothing more to find at this level.
        if (comparePaths(bare, prefix) > 0 && !prefix.startsWith(bare)) break;
        continue;
      }
      if (glob.matches(bare)) yield item;
      if (item.kind === 'directory' && (maxDepth === undefined || depth + 1 < maxDepth))
        yield* walk(item.path, depth + 1);
    }
  }

  try {
    validateDirectory(startDir);
  } catch {
    return; // a literal prefix that is no valid directory (it holds "//", say) matches nothing
  }
  yield* walk(startDir, startDepth);
}
