/**
 * Materializes a datum's inputs as plain files: every file of every glob match lands at
 * `<datum dir>/<input name>/<path>`, read straight from the object store (the data plane), never
 * through pfs. pfs is asked only for the root of each input commit's tree (`CommitRoots`).
 */
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileSetStorage, IndexEntry, RootHash } from '../pfs/storage/index.ts';
import type { DatumInput, InputFile } from '../../proto/gen/terrain/pps/v1/datum.ts';
import { workerErrors } from './errors.ts';

/** The identity of an input commit, as a DatumInput carries it (fully resolved by pps). */
export interface InputCommit {
  repo: string;
  id: string;
  branch: string;
}

/**
 * Resolves an input commit to the root of its tree in the object store.
 * @throws NOT_FOUND when the commit does not exist. Safe to call concurrently.
 */
export interface CommitRoots {
  root(commit: InputCommit, options: { signal?: AbortSignal | undefined }): Promise<RootHash>;
}

export interface MaterializeResult {
  /** Every file written, with its content hash (file-level lineage). */
  inputFiles: InputFile[];
  bytes: number;
}

/** The commit named by a DatumInput. @throws INVALID_ARGUMENT when pps sent no commit. */
export function inputCommit(input: DatumInput): InputCommit {
  const c = input.file?.commit;
  if (!c?.repo?.name || !c.id) {
    throw workerErrors.invalidArgument(
      `datum input ${JSON.stringify(input.name)} names no resolved commit (repo and id are required)`,
    );
  }
  return { repo: c.repo.name, id: c.id, branch: c.branch };
}

/** The matched path without a trailing slash ("/" stays "/"). */
export function matchedPath(input: DatumInput): string {
  const p = input.file?.path ?? '/';
  if (p === '' || p === '/') return '/';
  return p.endsWith('/') ? p.slice(0, -1) : p;
}

/** Files at or under `path` in the tree `root`, in path order (streamed). */
export async function* filesUnder(
  storage: FileSetStorage,
  root: RootHash,
  path: string,
  signal?: AbortSignal,
): AsyncGenerator<IndexEntry> {
  const reader = storage.reader(root);
  if (path !== '/') {
    const exact = await reader.get(path, { signal });
    if (exact && exact.op !== 'delete' && exact.op !== 'deletePrefix') {
      yield exact;
      return;
    }
  }
  yield* reader.entries({ prefix: path === '/' ? '/' : `${path}/`, includeDeletes: false, signal });
}

/**
 * Writes the datum's inputs under `dir`. Concurrent calls must use different directories.
 * @throws NOT_FOUND when a commit or file is gone; DATA_LOSS on a corrupt chunk; any I/O error.
 */
export async function materializeInputs(
  storage: FileSetStorage,
  roots: CommitRoots,
  inputs: readonly DatumInput[],
  dir: string,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<MaterializeResult> {
  const { signal } = options;
  const inputFiles: InputFile[] = [];
  let bytes = 0;
  const made = new Set<string>();
  const ensureDir = async (d: string): Promise<void> => {
    if (made.has(d)) return;
    await mkdir(d, { recursive: true });
    made.add(d);
  };
  for (const input of inputs) {
    const commit = inputCommit(input);
    const root = await roots.root(commit, { signal });
    const base = join(dir, input.name);
    await ensureDir(base);
    const reader = storage.reader(root);
    for await (const entry of filesUnder(storage, root, matchedPath(input), signal)) {
      const target = join(base, entry.path);
      await ensureDir(dirname(target));
      if (input.emptyFiles) {
        await writeFile(target, '');
      } else if (entry.size === 0) {
        await writeFile(target, '');
      } else {
        await pipeline(Readable.from(reader.readFile(entry, { signal })), createWriteStream(target), {
          signal,
        });
        bytes += entry.size;
      }
      inputFiles.push({
        inputName: input.name,
        file: {
          commit: { repo: { name: commit.repo }, id: commit.id, branch: commit.branch, ancestors: 0 },
          path: entry.path,
          fileSetId: '',
        },
        hash: entry.contentHash,
        sizeBytes: BigInt(entry.size),
      });
    }
  }
  return { inputFiles, bytes };
}
