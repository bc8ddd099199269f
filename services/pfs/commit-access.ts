/**
 * CommitAccess: what the file layer (files.ts, file sets, GC) needs from the commit layer, and no
 * more. Implemented by `Commits` (commits.ts).
 *
 * Concurrency: every method is safe to call concurrently; writes are etcd transactions that
 * compare the revisions they read, so racing writers either both succeed (in some order) or one
 * gets ABORTED after retries — never a lost update.
 */
import type { CommitRecord } from '../../proto/gen/terrain/pfs/internal/v1/records.ts';
import type { RootHash } from './storage/index.ts';

export type { CommitRecord };

/** A reference to a commit as clients send it: `repo@branch`, `repo@id`, `repo@branch^N`. */
export interface CommitRef {
  repo: string;
  /** A branch name, or empty when `id` is given. */
  branch?: string;
  /** A 32-hex global ID; when both are given the ID wins and the branch is informational. */
  id?: string;
  /** Walk this many parents back from the resolved commit (`^N`). */
  ancestors?: number;
}

export interface SignalOptions {
  signal?: AbortSignal;
}

export interface CommitAccess {
  /**
   * Resolves a ref to a commit record. Throws INVALID_ARGUMENT for malformed names or IDs and
   * NOT_FOUND naming the missing repo, branch (or a branch with no commits) or commit.
   */
  resolve(ref: CommitRef, options?: SignalOptions): Promise<CommitRecord>;

  /**
   * The tree a read of `commit` sees: its root when FINISHED; for an open commit, its parent's
   * tree with the commit's staged file sets applied (so reads of an open commit see staged writes).
   */
  readableRoot(commit: CommitRecord, options?: SignalOptions): Promise<RootHash>;

  /**
   * Checks, before any bytes move, that `ref` can be written: an open commit, or a branch (which
   * need not exist yet) without provenance. Throws NOT_FOUND for a missing repo or commit and
   * FAILED_PRECONDITION naming a finished commit or an output branch.
   */
  checkWritable(ref: CommitRef, options?: SignalOptions): Promise<void>;

  /**
   * Atomically adds staged file sets (written beforehand, in order) to `ref`:
   * - an open commit (by ID, or a branch whose head is open): the roots join its staged sets;
   * - a branch whose head is finished, or that has no commits (it is created if missing): a new
   *   commit is started with the roots already staged, and finished — one commit per call, and
   *   nothing is visible until the call succeeds.
   * Returns the commit written. Errors as `checkWritable`.
   */
  writeStaged(ref: CommitRef, roots: readonly RootHash[], options?: SignalOptions): Promise<CommitRecord>;

  /**
   * Every root the commit layer keeps alive: finished commits' trees and open commits' staged
   * sets. For the GC mark phase; streamed, in no particular order.
   */
  liveRoots(options?: SignalOptions): AsyncIterable<RootHash>;
}
