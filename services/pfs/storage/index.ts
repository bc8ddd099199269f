/**
 * pfs storage: the data-plane library (chunking, chunk store, index pages, file sets). The worker,
 * the S3 gateway and the mount may import this; it imports nothing else from pfs.
 *
 * @example
 * ```ts
 * import { FileSetStorage, EMPTY_ROOT } from './services/pfs/storage/index.ts';
 *
 * const storage = new FileSetStorage(objectStore);
 * const w = storage.writer({ signal });
 * await w.put('/images/cat.png', fs.createReadStream('cat.png'));  // any AsyncIterable<Uint8Array>
 * await w.delete('/old');                                          // the file /old and all of /old/
 * const { root: staged } = await w.finish();
 *
 * const { root } = await storage.applyStaged(EMPTY_ROOT, [staged]);  // the new commit tree
 * const r = storage.reader(root);
 * for await (const item of r.listDirectory('/images/')) console.log(item.kind, item.path);
 * for await (const bytes of r.readFile('/images/cat.png', { start: 0, end: 1024 })) process.stdout.write(bytes);
 * for await (const d of storage.diff(EMPTY_ROOT, root)) console.log(d.kind, d.path);
 * for await (const key of storage.reachable([root])) marked.add(key);  // GC mark phase
 * ```
 */
export { FileSetStorage, type FileSetStorageOptions } from './storage.ts';
export {
  FileSetWriter,
  type FileSetWriterOptions,
  type FileSetSummary,
  type WriteFileOptions,
} from './fileset-writer.ts';
export {
  FileSetReader,
  type DirectoryItem,
  type EntriesOptions,
  type ListDirectoryOptions,
  type ReadFileOptions,
} from './fileset-reader.ts';
export { applyStaged, type MergeResult } from './merge.ts';
export { diffTrees, type DiffItem, type DiffOptions, type DiffStats } from './diff.ts';
export { reachableObjects, type ReachableOptions } from './reachable.ts';
export { composeStaged, writeComposed, COMPOSE_FAN_IN } from './compose.ts';
export {
  Chunker,
  chunkStream,
  chunkingParams,
  DEFAULT_CHUNKING,
  GEAR_TABLE,
  type ChunkingOptions,
  type ChunkingParams,
} from './chunker.ts';
export {
  ChunkStore,
  CHUNK_PREFIX,
  concatRefs,
  refsSize,
  type ChunkRef,
  type ChunkStoreOptions,
  type ReadRefsOptions,
} from './chunks.ts';
export {
  PageStore,
  EMPTY_ROOT,
  INDEX_PREFIX,
  type RootHash,
  type PageStoreOptions,
  type PageCounters,
} from './page-store.ts';
export {
  encodePage,
  decodePage,
  pageTotals,
  PAGE_FORMAT_VERSION,
  type IndexEntry,
  type EntryOp,
  type ChildRef,
  type IndexPage,
  type LeafPage,
  type InnerPage,
} from './index-page.ts';
export {
  TreeBuilder,
  TreeCursor,
  treeEntries,
  treeParams,
  keyHash,
  type TreeOptions,
  type TreeParams,
} from './tree.ts';
export { DEFAULT_REFRESH_AFTER_MS, type ContentCounters } from './content-objects.ts';
export {
  validatePath,
  validateDirectory,
  comparePaths,
  prefixEnd,
  parentDirectories,
  MAX_PATH_BYTES,
  MAX_SEGMENT_BYTES,
} from './paths.ts';
export { EMPTY_SHA256, isSha256Hex, type Sha256Hex } from './hash.ts';
