/**
 * FileSetStorage: the data plane of pfs composed over one ObjectStore — chunk store, page store and
 * the format parameters — with the operations pfs, the worker, the S3 gateway and the mount use.
 *
 * One instance per process and object store is the intended use: its caches (verified chunks,
 * decoded pages, known-present hashes) are shared by every reader and writer it creates. All
 * methods are safe to call concurrently; each writer is single-operation-at-a-time (see
 * fileset-writer.ts).
 *
 * The format parameters (chunking, tree) should be the same for every process sharing a store:
 * different parameters never corrupt anything, but chunks and pages then stop being shared between
 * writers that use different ones.
 */
import type { ObjectStore } from '../../platform/object-store/object-store.ts';
import { chunkingParams, type ChunkingOptions, type ChunkingParams } from './chunker.ts';
import { ChunkStore } from './chunks.ts';
import { ContentHasher, sharedContentHasher } from './content-hasher.ts';
import { writeComposed } from './compose.ts';
import { diffTrees, type DiffItem, type DiffOptions, type DiffStats } from './diff.ts';
import { FileSetReader } from './fileset-reader.ts';
import { FileSetWriter, type FileSetWriterOptions } from './fileset-writer.ts';
import { applyStaged, type MergeResult } from './merge.ts';
import { EMPTY_ROOT, PageStore, type RootHash } from './page-store.ts';
import { reachableObjects, type ReachableOptions } from './reachable.ts';
import { treeParams, type TreeOptions, type TreeParams } from './tree.ts';

export interface FileSetStorageOptions {
  chunking?: ChunkingOptions;
  tree?: TreeOptions;
  /** Verified chunk bytes cached in memory. Default 32 MiB. */
  chunkCacheBytes?: number;
  /** Decoded index pages cached in memory (estimated bytes). Default 64 MiB. */
  pageCacheBytes?: number;
  /**
   * Dedup hits on objects older than this rewrite them (see content-objects.ts); the GC grace
   * period must exceed it. Default 1 hour.
   */
  refreshAfterMs?: number;
  /**
   * Compute files' content hashes on the process's hash worker thread (default true); false hashes on
   * the main thread (slower puts; for environments without worker threads).
   */
  hashWorker?: boolean;
}

export class FileSetStorage {
  readonly store: ObjectStore;
  readonly chunks: ChunkStore;
  readonly pages: PageStore;
  readonly hasher: ContentHasher;
  readonly chunking: ChunkingParams;
  readonly tree: TreeParams;

  constructor(store: ObjectStore, options: FileSetStorageOptions = {}) {
    this.store = store;
    this.chunking = chunkingParams(options.chunking);
    this.tree = treeParams(options.tree);
    this.chunks = new ChunkStore(store, {
      cacheBytes: options.chunkCacheBytes,
      refreshAfterMs: options.refreshAfterMs,
    });
    this.pages = new PageStore(store, {
      cacheBytes: options.pageCacheBytes,
      refreshAfterMs: options.refreshAfterMs,
    });
    // One hash worker per process; it keeps the process alive only while a request is out.
    this.hasher =
      options.hashWorker === false ? new ContentHasher({ useWorker: false }) : sharedContentHasher();
  }

  /** A new staged file set. */
  writer(options: FileSetWriterOptions = {}): FileSetWriter {
    return new FileSetWriter(this, options);
  }

  /** Reads the file set (tree or staged set) rooted at `root`. */
  reader(root: RootHash): FileSetReader {
    return new FileSetReader(this, root);
  }

  /** The new tree: `parent` with `staged` applied in order (see merge.ts). */
  async applyStaged(
    parent: RootHash,
    staged: readonly RootHash[],
    options: { signal?: AbortSignal } = {},
  ): Promise<MergeResult> {
    return await applyStaged(this, parent, staged, options);
  }

  /** Folds several staged sets into one staged set (e.g. many datum outputs into one handle). */
  async compose(staged: readonly RootHash[], options: { signal?: AbortSignal } = {}): Promise<RootHash> {
    if (staged.length === 0) return EMPTY_ROOT;
    return await writeComposed(this, staged, options);
  }

  /** What changed from `before` to `after` (see diff.ts). */
  diff(
    before: RootHash,
    after: RootHash,
    options: DiffOptions & { stats?: DiffStats } = {},
  ): AsyncGenerator<DiffItem> {
    return diffTrees(this.pages, before, after, options);
  }

  /** Every object key reachable from `roots` (the GC mark; see reachable.ts). */
  reachable(
    roots: Iterable<RootHash> | AsyncIterable<RootHash>,
    options: ReachableOptions = {},
  ): AsyncGenerator<string> {
    return reachableObjects(this.pages, roots, options);
  }
}
