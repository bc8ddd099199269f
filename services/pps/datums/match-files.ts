/**
 * The files of one glob match and its content hash. A file match is that file; a directory match is
 * every file beneath it, read as one ordered stream (`entries` under the directory prefix), so a
 * directory of millions of files costs one pass and O(maxFiles) memory.
 *
 * Errors: NOT_FOUND when a file match has disappeared from the reader's file set (the caller gave
 * the wrong commit), FAILED_PRECONDITION when an entry lacks its content hash (a staged, unfinished
 * file set instead of a commit's tree); storage errors (DATA_LOSS…) pass through.
 */
import type { FileSetReader, IndexEntry } from '../../pfs/storage/index.ts';
import { ppsErrors } from '../spec/errors.ts';
import { DirectoryHasher } from './datum-hash.ts';
import type { DatumFile } from './types.ts';

export interface MatchContent {
  hash: string;
  sizeBytes: number;
  fileCount: number;
  files: DatumFile[];
  filesTruncated: boolean;
}

function fileOf(e: IndexEntry): DatumFile {
  if (!e.contentHash) {
    throw ppsErrors.failedPrecondition(
      `input file ${JSON.stringify(e.path)} has no content hash: datums are read from finished commits only`,
    );
  }
  return { path: e.path, hash: e.contentHash, size: e.size };
}

/**
 * Every file of a match in path order: the file itself (`/a.txt`), or every file beneath a
 * directory (`/a/`, or `/` for the whole commit).
 */
export async function* matchFiles(
  reader: FileSetReader,
  path: string,
  options: { signal?: AbortSignal } = {},
): AsyncGenerator<DatumFile> {
  if (!path.endsWith('/')) {
    const e = await reader.get(path, options);
    if (!e || e.op === 'delete' || e.op === 'deletePrefix')
      throw ppsErrors.notFound(`input file ${JSON.stringify(path)} not found in file set ${reader.root}`);
    yield fileOf(e);
    return;
  }
  for await (const e of reader.entries({ prefix: path, includeDeletes: false, signal: options.signal }))
    yield fileOf(e);
}

/** Hash, size, count and (the first `maxFiles`) files of a match. */
export async function matchContent(
  reader: FileSetReader,
  match: { kind: 'file' | 'directory'; path: string; entry?: IndexEntry },
  options: { maxFiles: number; signal?: AbortSignal },
): Promise<MatchContent> {
  if (match.kind === 'file') {
    let file: DatumFile | undefined;
    if (match.entry) file = fileOf(match.entry);
    else for await (const f of matchFiles(reader, match.path, options)) file = f;
    const f = file!;
    const truncated = options.maxFiles < 1;
    return {
      hash: f.hash,
      sizeBytes: f.size,
      fileCount: 1,
      files: truncated ? [] : [f],
      filesTruncated: truncated,
    };
  }
  const hasher = new DirectoryHasher(match.path);
  const files: DatumFile[] = [];
  let size = 0;
  let count = 0;
  for await (const f of matchFiles(reader, match.path, options)) {
    hasher.add(f.path, f.hash);
    size += f.size;
    count++;
    if (files.length < options.maxFiles) files.push(f);
  }
  return {
    hash: hasher.digest(),
    sizeBytes: size,
    fileCount: count,
    files,
    filesTruncated: count > files.length,
  };
}
