/**
 * Reads and writes index pages under `index/<sha256>`, verifying every read and caching decoded
 * pages (byte-bounded LRU) so that repeated descents from a root cost no I/O.
 *
 * The empty tree has a fixed root, `EMPTY_ROOT`, that is never stored: readers and writers
 * recognize it, so an empty file set costs no object.
 *
 * Concurrency: any number of concurrent reads and writes; concurrent reads of one page share one
 * download. Decoded pages are shared with the cache and must be treated as read-only.
 */
import type { ObjectStore } from '../../platform/object-store/object-store.ts';
import { ContentObjects } from './content-objects.ts';
import { sha256Sync, type Sha256Hex } from './hash.ts';
import { decodePage, encodePage, type IndexPage } from './index-page.ts';
import { LruCache } from './lru.ts';

export const INDEX_PREFIX = 'index/';

/** The hash of a file set; the root page of its tree. */
export type RootHash = Sha256Hex;

const EMPTY_PAGE: IndexPage = Object.freeze({
  kind: 'leaf',
  level: 0,
  entries: Object.freeze([]) as unknown as [],
}) as IndexPage;

/** The root of the empty file set. */
export const EMPTY_ROOT: RootHash = sha256Sync(encodePage(EMPTY_PAGE));

export interface PageStoreOptions {
  /** Estimated bytes of decoded pages kept in memory. Default 64 MiB. */
  cacheBytes?: number;
  refreshAfterMs?: number;
}

export interface PageCounters {
  pagesWritten: number;
  bytesWritten: number;
  pagesRead: number;
  bytesRead: number;
}

export class PageStore {
  readonly objects: ContentObjects;
  readonly #cache: LruCache<IndexPage>;
  readonly #loading = new Map<string, Promise<IndexPage>>();
  readonly counters: PageCounters = { pagesWritten: 0, bytesWritten: 0, pagesRead: 0, bytesRead: 0 };

  constructor(store: ObjectStore, options: PageStoreOptions = {}) {
    // Pages are small and mostly new when written, so no head: a put refreshes lastModified anyway.
    this.objects = new ContentObjects(store, INDEX_PREFIX, 'index page', {
      refreshAfterMs: options.refreshAfterMs,
      headBeforePut: false,
    });
    this.#cache = new LruCache(options.cacheBytes ?? 64 * 1024 * 1024);
  }

  /** Encodes, stores and caches a page; returns its hash. */
  async write(page: IndexPage, options: { signal?: AbortSignal } = {}): Promise<Sha256Hex> {
    const bytes = encodePage(page);
    const hash = sha256Sync(bytes);
    if (hash === EMPTY_ROOT) return hash;
    if (await this.objects.putIfAbsent(hash, bytes, options)) {
      this.counters.pagesWritten++;
      this.counters.bytesWritten += bytes.length;
    }
    this.#cache.set(hash, page, estimateDecoded(bytes.length));
    return hash;
  }

  /** A verified, decoded page. @throws DATA_LOSS when it is missing, corrupt or malformed. */
  async read(hash: Sha256Hex, options: { signal?: AbortSignal } = {}): Promise<IndexPage> {
    if (hash === EMPTY_ROOT) return EMPTY_PAGE;
    const hit = this.#cache.get(hash);
    if (hit) return hit;
    const running = this.#loading.get(hash);
    if (running) return await running;
    const task = (async () => {
      const bytes = await this.objects.getVerified(hash, options);
      this.counters.pagesRead++;
      this.counters.bytesRead += bytes.length;
      const page = decodePage(bytes);
      this.#cache.set(hash, page, estimateDecoded(bytes.length));
      return page;
    })();
    this.#loading.set(hash, task);
    try {
      return await task;
    } finally {
      this.#loading.delete(hash);
    }
  }

  /** Starts loading a page that will probably be read soon; errors surface on the real read. */
  prefetch(hash: Sha256Hex, options: { signal?: AbortSignal } = {}): void {
    if (hash === EMPTY_ROOT || this.#cache.has(hash) || this.#loading.has(hash)) return;
    this.read(hash, options).catch(() => undefined);
  }
}

function estimateDecoded(encodedBytes: number): number {
  // Decoded entries are JS objects and strings: a few times the encoded size.
  return 256 + encodedBytes * 4;
}
