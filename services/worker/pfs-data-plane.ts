/**
 * What the worker asks pfs for over gRPC: the tree root of an input commit (GetFileSet, cached
 * while the handle lives) and a handle for an output file set written straight to the object store
 * (RegisterFileSet).
 */
import { EMPTY_ROOT, INDEX_PREFIX, isSha256Hex, type RootHash } from '../pfs/storage/index.ts';
import type { CommitRoots, InputCommit } from './input-materializer.ts';
import type { RegisterFileSet } from './datum-runner.ts';
import { workerErrors } from './errors.ts';
import type { PfsStub } from './rpc-clients.ts';

/** Input handles live this long; roots are reused until shortly before they expire. */
const INPUT_HANDLE_TTL_MS = 30 * 60 * 1000;
/** Output handles must outlive the shard until pps adds them to the output commit. */
export const OUTPUT_HANDLE_TTL_MS = 2 * 60 * 60 * 1000;
const MAX_CACHED_COMMITS = 1024;

function layerRoot(layer: string): RootHash {
  const hash = layer.startsWith(INDEX_PREFIX) ? layer.slice(INDEX_PREFIX.length) : layer;
  if (!isSha256Hex(hash))
    throw workerErrors.dataLoss(`pfs returned an invalid file-set layer ${JSON.stringify(layer)}`);
  return hash;
}

function ttl(ms: number): { seconds: bigint; nanos: number } {
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: 0 };
}

/**
 * Roots of input commits through pfs GetFileSet. Concurrent requests for one commit share one
 * call; a failed call is not cached. Bounded cache (oldest entries evicted first).
 */
export class PfsCommitRoots implements CommitRoots {
  readonly #pfs: PfsStub;
  readonly #cache = new Map<string, { root: Promise<RootHash>; expires: number }>();

  constructor(pfs: PfsStub) {
    this.#pfs = pfs;
  }

  async root(commit: InputCommit, options: { signal?: AbortSignal | undefined } = {}): Promise<RootHash> {
    const key = `${commit.repo}@${commit.id}`;
    const hit = this.#cache.get(key);
    if (hit && hit.expires > Date.now()) return await hit.root;
    const root = (async () => {
      const res = await this.#pfs.getFileSet(
        {
          commit: { repo: { name: commit.repo }, id: commit.id, branch: commit.branch },
          ttl: ttl(INPUT_HANDLE_TTL_MS),
        },
        { signal: options.signal },
      );
      const layers = res.fileSet?.layers ?? [];
      if (layers.length === 0) return EMPTY_ROOT;
      if (layers.length > 1) {
        // GetFileSet of a commit is one tree today; several layers would need merging on read.
        throw workerErrors.unimplemented(
          `pfs returned ${layers.length} layers for ${key}; the worker reads single-layer commit trees only`,
        );
      }
      return layerRoot(layers[0]!);
    })();
    this.#cache.set(key, { root, expires: Date.now() + INPUT_HANDLE_TTL_MS - 60_000 });
    if (this.#cache.size > MAX_CACHED_COMMITS) this.#cache.delete(this.#cache.keys().next().value!);
    try {
      return await root;
    } catch (err) {
      if (this.#cache.get(key)?.root === root) this.#cache.delete(key);
      throw err;
    }
  }
}

/** RegisterFileSet for a staged set written with FileSetStorage; returns the handle. */
export function pfsRegisterFileSet(pfs: PfsStub, ttlMs = OUTPUT_HANDLE_TTL_MS): RegisterFileSet {
  return async (root, options) => {
    const res = await pfs.registerFileSet(
      { layers: [INDEX_PREFIX + root], ttl: ttl(ttlMs) },
      { signal: options.signal },
    );
    const id = res.fileSet?.fileSetId;
    if (!id) throw workerErrors.internal('pfs RegisterFileSet returned no file-set ID');
    return id;
  };
}
