/**
 * One page of an S3 object listing over a pfs commit: keys under `prefix`, in UTF-8 byte order,
 * strictly after a marker, grouped into CommonPrefixes by `delimiter`, at most `maxKeys` entries
 * (keys and prefixes together), with IsTruncated telling whether anything follows.
 *
 * How it reads pfs, streaming and lazily (the pfs stream is cancelled as soon as the page is full
 * and one more entry proved truncation):
 * - the walk starts at the deepest directory the prefix names (`photos/20` → `/photos/`), and at
 *   the marker inside it (pfs seeks; nothing before it is read);
 * - with `delimiter=/` it reads one directory level (ListFile): each subdirectory is one
 *   CommonPrefix, however many files it holds;
 * - with no delimiter, or another one, it walks files recursively (WalkFile) and groups.
 * Keys sharing a prefix are contiguous in byte order, so once the walk passes the prefix's range it
 * stops.
 */
import { comparePaths } from '../pfs/storage/paths.ts';
import { pathToKey } from './buckets.ts';
import type { CommitRef, FileEntry, PfsForS3 } from './pfs-port.ts';

export interface ListParams {
  prefix: string;
  delimiter?: string | undefined;
  /** List keys strictly after this one (marker, start-after or continuation). */
  after?: string | undefined;
  /**
   * The marker was a CommonPrefix returned earlier: skip everything beneath it. (Undefined: guess
   * from the marker ending with the delimiter, which is what S3 clients that send back NextMarker
   * rely on.)
   */
  afterIsPrefix?: boolean | undefined;
  maxKeys: number;
}

export interface ListedObject {
  key: string;
  file: FileEntry;
}

export interface ListPage {
  contents: ListedObject[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or prefix of the page (the next marker), with its kind. */
  last?: { value: string; isPrefix: boolean } | undefined;
}

/** Compares keys in UTF-8 byte order. */
export function compareKeys(a: string, b: string): number {
  return comparePaths(a, b);
}

type Item = { kind: 'key'; key: string; file: FileEntry } | { kind: 'prefix'; prefix: string };

export async function listPage(
  pfs: PfsForS3,
  commit: CommitRef | undefined,
  params: ListParams,
  signal?: AbortSignal,
): Promise<ListPage> {
  const page: ListPage = { contents: [], commonPrefixes: [], isTruncated: false };
  if (!commit || params.maxKeys <= 0) return page;
  let count = 0;
  const items = listItems(pfs, commit, params, signal);
  try {
    for await (const item of items) {
      if (count === params.maxKeys) {
        page.isTruncated = true;
        break;
      }
      count++;
      if (item.kind === 'key') {
        page.contents.push({ key: item.key, file: item.file });
        page.last = { value: item.key, isPrefix: false };
      } else {
        page.commonPrefixes.push(item.prefix);
        page.last = { value: item.prefix, isPrefix: true };
      }
    }
  } finally {
    await items.return(undefined);
  }
  return page;
}

async function* listItems(
  pfs: PfsForS3,
  commit: CommitRef,
  params: ListParams,
  signal: AbortSignal | undefined,
): AsyncGenerator<Item, void, undefined> {
  const { prefix, delimiter } = params;
  const dirKey = prefix.slice(0, prefix.lastIndexOf('/') + 1); // "" or "a/b/"
  const dir = `/${dirKey}`;
  const after =
    params.after !== undefined && compareKeys(params.after, prefix) > 0 ? params.after : undefined;
  const afterIsPrefix =
    after !== undefined &&
    (params.afterIsPrefix ?? (delimiter !== undefined && delimiter !== '' && after.endsWith(delimiter)));
  // Start just before the prefix when no marker is further along: pfs resumes strictly after its
  // token, and any string below the prefix that is not far below it will do (the filter below
  // drops what lies between).
  let token: string | undefined;
  if (after !== undefined) token = `/${after}`;
  else if (prefix.length > dirKey.length) token = `/${prefix.slice(0, -1)}`;
  const inRange = (key: string): 'before' | 'in' | 'past' => {
    if (key.startsWith(prefix)) return 'in';
    return compareKeys(key, prefix) < 0 ? 'before' : 'past';
  };

  if (delimiter === '/') {
    for await (const entry of pfs.listDir(commit, dir, { signal, after: token })) {
      const key = pathToKey(entry.path);
      const where = inRange(key);
      if (where === 'before') continue;
      if (where === 'past') return;
      // No marker check here: pfs resumed after the token, and a directory it yields holds at
      // least one file past the marker, which is exactly when S3 rolls the marker's neighbours up
      // into that CommonPrefix.
      if (entry.kind === 'dir') yield { kind: 'prefix', prefix: key };
      else yield { kind: 'key', key, file: entry };
    }
    return;
  }

  let lastPrefix: string | undefined;
  for await (const file of pfs.walkFiles(commit, dir, { signal, after: token })) {
    const key = pathToKey(file.path);
    const where = inRange(key);
    if (where === 'before') continue;
    if (where === 'past') return;
    if (after !== undefined && (compareKeys(key, after) <= 0 || (afterIsPrefix && key.startsWith(after))))
      continue;
    if (delimiter) {
      const at = key.indexOf(delimiter, prefix.length);
      if (at >= 0) {
        const common = key.slice(0, at + delimiter.length);
        if (common !== lastPrefix) {
          lastPrefix = common;
          yield { kind: 'prefix', prefix: common };
        }
        continue;
      }
    }
    yield { kind: 'key', key, file };
  }
}
