/**
 * Datums: the units of work of a job. A datum is one combination of glob matches from the
 * pipeline's inputs; the user code sees each match under /pfs/<input name>/<path>.
 */
import type { FileSetReader } from '../../pfs/storage/index.ts';

/** Lower-case hex SHA-256 of a datum's (input name, repo, branch, matched path) tuples. */
export type DatumId = string & { readonly __brand: 'DatumId' };
/** Lower-case hex SHA-256 of the datum ID, every input file's path and content hash, and the salt. */
export type DatumHash = string & { readonly __brand: 'DatumHash' };

/** One input file of a datum. */
export interface DatumFile {
  /** Absolute path in the input commit. */
  path: string;
  /** The file's content hash (pfs: SHA-256 of its bytes). */
  hash: string;
  size: number;
}

/** One glob match of a datum: what the user code sees at /pfs/<name>/<path>. */
export interface DatumInput {
  name: string;
  repo: string;
  branch: string;
  /** The input commit's ID. */
  commit: string;
  /** The input's (normalized) glob. */
  glob: string;
  /** The matched path: a file `/a/b.csv`, a directory `/a/` (with its trailing '/'), or the root `/`. */
  path: string;
  kind: 'file' | 'directory';
  /** For a file its content hash; for a directory a hash of the paths and content hashes beneath it. */
  hash: string;
  /** Bytes of the match (for a directory, of every file beneath it). */
  sizeBytes: number;
  /** Files of the match (for a directory, every file beneath it). */
  fileCount: number;
  /**
   * The files in path order, at most `maxFilesPerInput` of them; `filesTruncated` says when the list
   * stops short of `fileCount` (read the rest with `matchFiles`).
   */
  files: DatumFile[];
  filesTruncated: boolean;
  /** The join key (`join_on` expanded), for inputs of a join. */
  joinKey?: string;
  /** The group key (`group_by` expanded), for inputs of a group. */
  groupKey?: string;
  /** `empty_files` / `lazy` / `outer_join` of the input, for the worker. */
  emptyFiles: boolean;
  lazy: boolean;
  outerJoin: boolean;
}

export interface Datum {
  id: DatumId;
  hash: DatumHash;
  /** Its matches, in input-tree order. */
  inputs: DatumInput[];
}

/** The commit a pfs (or cron) input reads in this job. */
export interface InputCommit {
  reader: FileSetReader;
  /** The commit ID (the job's global ID, for inputs that have a commit in it). */
  commit: string;
}

/**
 * Gives the commit an input reads; undefined when the input branch has no commit yet (the input
 * then has no datums, as in Pachyderm). Called once per input leaf per iteration.
 */
export type InputResolver = (input: {
  name: string;
  repo: string;
  branch: string;
  jsonPath: string;
}) => InputCommit | undefined;

export interface DatumIterationOptions {
  resolve: InputResolver;
  /** The pipeline's salt, mixed into every datum hash. Default ''. */
  salt?: string;
  signal?: AbortSignal;
  /** Files listed per match (a directory match may hold millions). Default 10,000. */
  maxFilesPerInput?: number;
  /**
   * Join and group keys sorted in memory before spilling sorted runs to `tmpDir`. Default 100,000
   * records (a record is a key and a path: about 200 bytes).
   */
  sortBufferRecords?: number;
  /**
   * A cross product keeps each input after the first in memory, when its datums hold at most this
   * many files in total, instead of reading it again for every datum of the inputs before it.
   * Default 100,000.
   */
  crossBufferFiles?: number;
  /** Where join / group spill sorted runs. Default the OS temp directory. */
  tmpDir?: string;
}
