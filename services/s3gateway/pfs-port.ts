/**
 * PfsForS3: the narrow slice of pfs the S3 gateway uses, in the gateway's own types.
 *
 * Two implementations: `pfs-grpc.ts` (the real one, over pfs's gRPC API) and `pfs-fake.ts`
 * (in memory, for unit tests). Handlers depend only on this interface.
 *
 * Error contract (every method): failures are Terrain errors told apart by `code` —
 * `not_found` (repo, branch, commit, file or file set missing), `already_exists`,
 * `invalid_argument` (bad name or path), `failed_precondition` (e.g. a finished commit, a
 * create-only put over an existing file, a pipeline output repo), `unavailable`/`aborted`
 * (retryable), `cancelled` (the signal fired). Streams may fail midway with the same codes.
 *
 * Concurrency: every call is independent and safe to run concurrently. `modify` is atomic: all of
 * its operations become visible in one commit, or none do (also when the operation source
 * throws midway — that is how the gateway refuses a body that fails verification).
 */

export interface SignalOptions {
  signal?: AbortSignal | undefined;
}

/** A commit: the head of a branch, or a commit ID (with its branch as a disambiguator). */
export interface CommitRef {
  repo: string;
  branch?: string | undefined;
  id?: string | undefined;
}

/** Where to read a file from: a commit, or a file-set handle. */
export type FileSource =
  { commit: CommitRef; fileSetId?: undefined } | { fileSetId: string; commit?: undefined };

export interface RepoEntry {
  name: string;
  created: Date;
  /** Branch names, sorted. */
  branches: string[];
  /** Pipeline output repos are written by pps only. */
  type: 'user' | 'pipeline';
}

export interface BranchEntry {
  repo: string;
  name: string;
  /** Head commit ID; undefined for a branch without commits. */
  head?: string | undefined;
}

export interface CommitEntry {
  repo: string;
  id: string;
  branch: string;
  parent?: string | undefined;
  state: 'started' | 'finishing' | 'finished';
  started: Date;
  finished?: Date | undefined;
  /** Non-empty when the commit finished with an error. */
  error: string;
}

export interface FileEntry {
  /** pfs path; directories end with "/". */
  path: string;
  kind: 'file' | 'dir';
  size: number;
  /** Content hash (lower-case hex); empty for directories. */
  hash: string;
  committed: Date;
  metadata: Record<string, string>;
  /** The commit the entry was read from, fully resolved (empty when read from a file set). */
  commitId: string;
}

export interface DiffEntry {
  change: 'added' | 'changed' | 'deleted';
  path: string;
  /** The file in the new tree (unset when deleted). */
  newFile?: FileEntry | undefined;
  /** The file in the old tree (unset when added). */
  oldFile?: FileEntry | undefined;
}

/** One write of a `modify` or `createFileSet` stream, applied in order. */
export type WriteOp =
  | {
      op: 'put';
      path: string;
      /** The bytes, pulled lazily; if the iterable throws, nothing of the stream is applied. */
      data: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
      metadata: Record<string, string>;
      append?: boolean | undefined;
      /** Create only: fail the whole stream with `failed_precondition` when the path exists. */
      ifNotExists?: boolean | undefined;
    }
  | { op: 'delete'; path: string }
  | { op: 'copy'; src: FileSource & { path: string }; dst: string; append?: boolean | undefined };

export interface FileSetHandle {
  id: string;
  expires: Date;
}

export interface PfsForS3 {
  /** Every repo, sorted by name, with its branches. */
  listRepos(options?: SignalOptions): AsyncGenerator<RepoEntry, void, undefined>;
  /** @throws not_found */
  inspectRepo(name: string, options?: SignalOptions): Promise<RepoEntry>;
  /** @throws already_exists, invalid_argument */
  createRepo(name: string, options?: SignalOptions): Promise<void>;
  /** @throws not_found, failed_precondition (others depend on it) */
  deleteRepo(name: string, options?: SignalOptions): Promise<void>;
  /** Every branch of every repo, sorted by repo then name. */
  listBranches(options?: SignalOptions): AsyncGenerator<BranchEntry, void, undefined>;
  /** @throws not_found (repo or branch) */
  inspectBranch(repo: string, branch: string, options?: SignalOptions): Promise<BranchEntry>;
  /** Creates an empty branch (or leaves an existing one alone). @throws not_found (repo) */
  createBranch(repo: string, branch: string, options?: SignalOptions): Promise<void>;
  /** @throws not_found, failed_precondition */
  deleteBranch(repo: string, branch: string, options?: SignalOptions): Promise<void>;
  /** @throws not_found */
  inspectCommit(ref: CommitRef, options?: SignalOptions): Promise<CommitEntry>;
  /** A branch's history from `to` back to the first commit, newest first. @throws not_found */
  listCommits(to: CommitRef, options?: SignalOptions): AsyncGenerator<CommitEntry, void, undefined>;

  /** One file or directory. @throws not_found */
  inspectFile(src: FileSource, path: string, options?: SignalOptions): Promise<FileEntry>;
  /** A file's bytes, or `length` bytes from `offset` (0: to the end). @throws not_found, data_loss */
  readFile(
    src: FileSource,
    path: string,
    range: { offset: number; length: number },
    options?: SignalOptions,
  ): AsyncGenerator<Uint8Array, void, undefined>;
  /** Files (not directories) beneath `dir` (ending with "/"), recursively, in UTF-8 byte order of their paths, strictly after `after` when given. A missing directory yields nothing. */
  walkFiles(
    commit: CommitRef,
    dir: string,
    options?: SignalOptions & { after?: string | undefined },
  ): AsyncGenerator<FileEntry, void, undefined>;
  /** One level of `dir`: files and subdirectories (paths ending with "/"), in path order, strictly after `after` when given. A missing directory yields nothing. */
  listDir(
    commit: CommitRef,
    dir: string,
    options?: SignalOptions & { after?: string | undefined },
  ): AsyncGenerator<FileEntry, void, undefined>;
  /** Files under `path` that differ between a commit and its parent (everything is added for a first commit). */
  diffWithParent(
    commit: CommitRef,
    path: string,
    options?: SignalOptions,
  ): AsyncGenerator<DiffEntry, void, undefined>;

  /**
   * Applies `ops` atomically in one ModifyFile stream to `commit` (a branch: a new commit holding
   * exactly these writes) and returns once that commit is finished, so reads that follow see it.
   * @throws failed_precondition (create-only put over an existing file, a finished commit, a
   *   pipeline repo), not_found, invalid_argument, or whatever the op source threw.
   */
  modify(
    commit: CommitRef,
    ops: AsyncIterable<WriteOp> | Iterable<WriteOp>,
    options?: SignalOptions,
  ): Promise<{ commitId: string }>;
  /** Writes a file set outside any commit and returns a handle that lives `ttlMs` unless renewed. */
  createFileSet(
    ops: AsyncIterable<WriteOp> | Iterable<WriteOp>,
    ttlMs: number,
    options?: SignalOptions,
  ): Promise<FileSetHandle>;
  /** Extends (or, with a short TTL, shortens) a handle's life. @throws not_found when it expired */
  renewFileSet(id: string, ttlMs: number, options?: SignalOptions): Promise<FileSetHandle>;
}
