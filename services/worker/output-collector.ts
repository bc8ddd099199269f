/**
 * Collects a datum's `/pfs/out` into a file set, every file tagged with the datum ID.
 *
 * Symlinks are resolved by hand, one path component at a time, inside the datum directory (which
 * the user code saw as `/pfs`): a link whose target — absolute (`/pfs/in/a`, mapped onto the datum
 * directory), relative, or through another link — leaves the datum's own files is refused with an
 * error naming the link, so user code cannot smuggle host files into a repo. The host's resolver
 * (realpath) is never trusted, because in a private mount namespace `/pfs` meant something else.
 */
import { createReadStream, type Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import type { FileSetStorage, RootHash } from '../pfs/storage/index.ts';
import { workerErrors } from './errors.ts';

/** What user code sees as the root of its inputs and outputs. */
export const PFS_ROOT = '/pfs';
const MAX_LINK_HOPS = 40;

export interface CollectResult {
  /** The staged file set's root (EMPTY_ROOT when `/pfs/out` is empty). */
  root: RootHash;
  files: number;
  bytes: number;
}

/**
 * A link in /pfs/out that points outside the datum: the datum fails with this message.
 * (A plain Error with a code so the runner can report it as the datum's error verbatim.)
 */
export function symlinkEscapeError(link: string, target: string): Error {
  return workerErrors.failedPrecondition(
    `symlink ${link} points outside the datum (to ${target}); only links to the datum's own files under ${PFS_ROOT} are followed`,
    { details: { link, target } },
  );
}

/**
 * Resolves `rel` (a path relative to the datum directory, e.g. `out/a/link`) following symlinks,
 * and returns the resolved relative path and its stats.
 * @throws FAILED_PRECONDITION naming `shownLink` when any hop leaves the datum directory.
 */
async function resolveInside(
  dir: string,
  rel: string,
  shownLink: string,
): Promise<{ rel: string; stats: Stats }> {
  let hops = 0;
  // Pending components to walk, and the resolved prefix so far (relative to dir, '' = dir).
  const pending = rel.split('/').filter(Boolean);
  let done: string[] = [];
  for (;;) {
    const comp = pending.shift();
    if (comp === undefined) {
      const resolved = done.join('/');
      return { rel: resolved, stats: await lstat(posix.join(dir, resolved)) };
    }
    if (comp === '.') continue;
    if (comp === '..') {
      if (done.length === 0) throw symlinkEscapeError(shownLink, `${PFS_ROOT}/..`);
      done.pop();
      continue;
    }
    const candidate = [...done, comp];
    const host = posix.join(dir, ...candidate);
    const st = await lstat(host);
    if (!st.isSymbolicLink()) {
      done = candidate;
      continue;
    }
    if (++hops > MAX_LINK_HOPS) throw symlinkEscapeError(shownLink, 'a chain of more than 40 links');
    const target = await readlink(host);
    let rest: string[];
    if (target.startsWith('/')) {
      // Absolute targets mean what they meant to the user code: /pfs/... is the datum directory.
      // The datum directory's host path is accepted too (the fallback without a private /pfs).
      const norm = posix.normalize(target);
      let inside: string | undefined;
      if (norm === PFS_ROOT || norm.startsWith(`${PFS_ROOT}/`)) inside = norm.slice(PFS_ROOT.length);
      else if (norm === dir || norm.startsWith(`${dir}/`)) inside = norm.slice(dir.length);
      if (inside === undefined) throw symlinkEscapeError(shownLink, target);
      done = [];
      rest = inside.split('/').filter(Boolean);
    } else {
      rest = target.split('/').filter(Boolean);
    }
    pending.unshift(...rest);
  }
}

/**
 * Uploads every regular file under `<dir>/out` to a new staged file set, tagged with `datumId`.
 * Files are streamed (never held in memory). Paths in the set are relative to out (`/a/b.txt`).
 * @throws FAILED_PRECONDITION naming a symlink that leaves the datum, or a special file (socket,
 *   fifo, device); storage errors as thrown by FileSetWriter.
 */
export async function collectOutputs(
  storage: FileSetStorage,
  dir: string,
  datumId: string,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<CollectResult> {
  const { signal } = options;
  const writer = storage.writer({ signal });
  let files = 0;
  let bytes = 0;
  try {
    // Directories already walked (resolved relative paths), so a link cycle cannot loop forever.
    const walked = new Set<string>();
    const walk = async (resolvedDir: string, outPath: string): Promise<void> => {
      if (walked.has(resolvedDir)) return;
      walked.add(resolvedDir);
      const names = (await readdir(posix.join(dir, resolvedDir))).sort();
      for (const name of names) {
        signal?.throwIfAborted();
        const shown = `${PFS_ROOT}/out${outPath}/${name}`;
        const { rel, stats } = await resolveInside(dir, `${resolvedDir}/${name}`, shown);
        if (stats.isDirectory()) {
          await walk(rel, `${outPath}/${name}`);
        } else if (stats.isFile()) {
          await writer.put(`${outPath}/${name}`, createReadStream(posix.join(dir, rel)), {
            tag: datumId,
            signal,
          });
          files++;
          bytes += stats.size;
        } else {
          throw workerErrors.failedPrecondition(
            `${shown} is neither a regular file nor a directory; only files are collected from ${PFS_ROOT}/out`,
            { details: { path: shown } },
          );
        }
      }
    };
    await walk('out', '');
    const summary = await writer.finish({ signal });
    return { root: summary.root, files, bytes };
  } catch (err) {
    await writer.abort();
    throw err;
  }
}
