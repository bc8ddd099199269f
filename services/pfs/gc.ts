/**
 * The garbage collector: mark and sweep over the object store's `chunks/` and `index/` objects.
 *
 *   const gc = new GarbageCollector({ storage, commits, handles, logger });
 *   const report = await gc.run({ dryRun: true });     // RunGC
 *   const periodic = gc.startPeriodic();                // hourly; errors are logged, never thrown
 *   await periodic.stop();
 *
 * One run:
 *   1. Mark start T: a marker object is written and its lastModified read back, so T is on the
 *      object store's clock — the clock every other lastModified comes from.
 *   2. Mark: every object reachable from the commit layer's live roots (finished trees, open
 *      commits' staged sets) and from every file-set handle that has not been expired for longer
 *      than the grace period.
 *   3. Sweep: list `chunks/` and `index/` page by page; delete an object only when it is unreachable
 *      AND its lastModified < T − grace. An object written after the mark began has lastModified ≥ T
 *      and is never deleted, whatever the grace.
 *   4. Remove handle records expired for longer than the grace period.
 * Why this is safe with concurrent writers (deduplication refreshes objects older than the storage's
 * `refreshAfterMs`): docs/design/pfs-gc.md.
 *
 * Memory: the mark keeps every reachable key in a Set<string> — about 100–150 bytes per object
 * (a 71-character key plus Set overhead), so 10 million objects (≈10 TiB of 1 MiB chunks) take about
 * 1–1.5 GB. TODO(scale): for billions of objects, spill the mark to sorted runs on disk and sweep by
 * merging them with the (sorted) object listing.
 *
 * A missing or corrupt index page during the mark aborts the run (DATA_LOSS) before anything is
 * deleted: an incomplete mark would delete live data.
 *
 * Concurrency: concurrent `run` calls in one process share one collection (the later callers wait
 * for it and get its report). Collectors in different processes may run at once: each is safe on its
 * own (it deletes only what its own mark proved unreachable and old), they just duplicate work.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { platformErrors } from '../platform/errors.ts';
import { silentLogger } from '../platform/logging.ts';
import type { CommitAccess } from './commit-access.ts';
import { pfsErrors } from './errors.ts';
import {
  CHUNK_PREFIX,
  DEFAULT_REFRESH_AFTER_MS,
  INDEX_PREFIX,
  type FileSetStorage,
  type RootHash,
} from './storage/index.ts';

/** How long a writer may take from writing (or deduplicating against) an object to registering a root that references it. */
export const DEFAULT_WRITE_WINDOW_MS = 60 * 60 * 1000;
export const DEFAULT_GC_INTERVAL_MS = 60 * 60 * 1000;
const MARKER_PREFIX = 'gc/mark-';

/** What the collector needs from the file-set handles (FileSetHandles implements it). */
export interface GcHandles {
  live(options: { graceMs?: number; signal?: AbortSignal }): AsyncIterable<{ layers: readonly RootHash[] }>;
  deleteExpired(options: { graceMs: number; signal?: AbortSignal }): Promise<number>;
}

export interface GarbageCollectorOptions {
  storage: FileSetStorage;
  commits: Pick<CommitAccess, 'liveRoots'>;
  handles: GcHandles;
  logger?: Logger;
  /** The storage's refreshAfterMs (the same value the FileSetStorage was built with). Default 1 h. */
  refreshAfterMs?: number;
  /**
   * Default grace period; must exceed `refreshAfterMs`. Default refreshAfterMs +
   * DEFAULT_WRITE_WINDOW_MS (2 h with the storage defaults).
   */
  graceMs?: number;
  /** Deletes in flight at once. Default 16. */
  deleteConcurrency?: number;
  /** Listing page size. Default 1000. */
  pageSize?: number;
  now?: () => number;
}

export interface GcRunOptions {
  /** Override the default grace period (ms, ≥ 0). Below `refreshAfterMs` it is logged as unsafe while writers are active. */
  graceMs?: number;
  /** Count what would be deleted, delete nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface GcReport {
  /** Objects listed under chunks/ and index/. */
  objectsScanned: number;
  /** Listed objects that the mark reached (kept). */
  objectsReachable: number;
  /** Objects deleted (or that would be, with dryRun). */
  objectsDeleted: number;
  /** Their bytes. */
  bytesFreed: number;
  /** Handle records removed (0 with dryRun). */
  handlesRemoved: number;
  /** T, on the object store's clock. */
  markStart: Date;
  graceMs: number;
  dryRun: boolean;
  durationMs: number;
}

export interface PeriodicGc {
  /** Stops the schedule, aborts a running collection and waits for it. Idempotent. */
  stop(): Promise<void>;
}

export class GarbageCollector {
  readonly #storage: FileSetStorage;
  readonly #commits: Pick<CommitAccess, 'liveRoots'>;
  readonly #handles: GcHandles;
  readonly #logger: Logger;
  readonly #refreshAfterMs: number;
  readonly graceMs: number;
  readonly #deleteConcurrency: number;
  readonly #pageSize: number;
  readonly #now: () => number;
  #running: Promise<GcReport> | undefined;

  /** @throws INVALID_ARGUMENT when the configured grace does not exceed refreshAfterMs. */
  constructor(options: GarbageCollectorOptions) {
    this.#storage = options.storage;
    this.#commits = options.commits;
    this.#handles = options.handles;
    this.#logger = options.logger ?? silentLogger();
    this.#refreshAfterMs = options.refreshAfterMs ?? DEFAULT_REFRESH_AFTER_MS;
    this.graceMs = options.graceMs ?? this.#refreshAfterMs + DEFAULT_WRITE_WINDOW_MS;
    if (!(this.graceMs > this.#refreshAfterMs)) {
      throw pfsErrors.invalidArgument(
        `GC grace period ${this.graceMs} ms must exceed the storage's refreshAfterMs (${this.#refreshAfterMs} ms), or deduplicated uploads could lose data; see docs/design/pfs-gc.md`,
      );
    }
    this.#deleteConcurrency = Math.max(1, options.deleteConcurrency ?? 16);
    this.#pageSize = Math.max(1, options.pageSize ?? 1000);
    this.#now = options.now ?? Date.now;
  }

  /**
   * Runs one collection, or waits for the one already running in this process and returns its
   * report. @throws INVALID_ARGUMENT for a negative grace; DATA_LOSS when the mark meets a missing
   * or corrupt page (nothing is deleted then); UNAVAILABLE from etcd or the store; the abort reason.
   */
  async run(options: GcRunOptions = {}): Promise<GcReport> {
    const graceMs = options.graceMs ?? this.graceMs;
    if (!Number.isFinite(graceMs) || graceMs < 0)
      throw pfsErrors.invalidArgument(`invalid GC grace period ${graceMs} ms: must be zero or positive`);
    if (this.#running) return await abortable(this.#running, options.signal);
    const task = this.#collect(graceMs, options.dryRun ?? false, options.signal);
    this.#running = task;
    try {
      return await task;
    } finally {
      this.#running = undefined;
    }
  }

  /** Runs a collection every `intervalMs` (after the previous one ended); errors are logged. */
  startPeriodic(
    intervalMs = DEFAULT_GC_INTERVAL_MS,
    hooks: { onResult?: (result: GcReport | Error) => void } = {},
  ): PeriodicGc {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let current: Promise<void> | undefined;
    let stopped = false;
    const schedule = (): void => {
      if (stopped) return;
      timer = setTimeout(tick, intervalMs);
      timer.unref();
    };
    const tick = (): void => {
      current = this.run({ signal: controller.signal }).then(
        (report) => {
          this.#logger.info({ report }, 'periodic garbage collection finished');
          hooks.onResult?.(report);
        },
        (err: unknown) => {
          if (!stopped)
            this.#logger.error(
              { err },
              'periodic garbage collection failed; will retry at the next interval',
            );
          hooks.onResult?.(err instanceof Error ? err : new Error(String(err)));
        },
      );
      void current.finally(() => {
        current = undefined;
        schedule();
      });
    };
    schedule();
    return {
      stop: async () => {
        stopped = true;
        if (timer) clearTimeout(timer);
        controller.abort(platformErrors.cancelled('garbage collection stopped'));
        await current;
      },
    };
  }

  async #collect(graceMs: number, dryRun: boolean, signal: AbortSignal | undefined): Promise<GcReport> {
    const started = this.#now();
    if (graceMs < this.#refreshAfterMs) {
      this.#logger.warn(
        { graceMs, refreshAfterMs: this.#refreshAfterMs },
        'GC grace period below the storage refresh age: uploads in progress that deduplicated against old objects may lose data',
      );
    }
    const store = this.#storage.store;
    const marker = `${MARKER_PREFIX}${randomBytes(8).toString('hex')}`;
    await store.put(marker, new Uint8Array(0), { signal });
    try {
      const markStart = (await store.head(marker, { signal })).lastModified;
      const cutoff = markStart.getTime() - graceMs;

      // Mark.
      const reachable = new Set<string>();
      for await (const key of this.#storage.reachable(this.#liveRoots(graceMs, signal), { signal }))
        reachable.add(key);

      // Sweep.
      const report: GcReport = {
        objectsScanned: 0,
        objectsReachable: 0,
        objectsDeleted: 0,
        bytesFreed: 0,
        handlesRemoved: 0,
        markStart,
        graceMs,
        dryRun,
        durationMs: 0,
      };
      const inflight = new Set<Promise<void>>();
      let failure: { error: unknown } | undefined;
      for (const prefix of [CHUNK_PREFIX, INDEX_PREFIX]) {
        for await (const info of store.list(prefix, { signal, pageSize: this.#pageSize })) {
          report.objectsScanned++;
          if (reachable.has(info.key)) {
            report.objectsReachable++;
            continue;
          }
          if (!(info.lastModified.getTime() < cutoff)) continue;
          if (dryRun) {
            report.objectsDeleted++;
            report.bytesFreed += info.size;
            continue;
          }
          while (inflight.size >= this.#deleteConcurrency) await Promise.race(inflight);
          if (failure) throw failure.error;
          const p: Promise<void> = store.delete(info.key, { signal }).then(
            () => {
              report.objectsDeleted++;
              report.bytesFreed += info.size;
              inflight.delete(p);
            },
            (error: unknown) => {
              failure ??= { error };
              inflight.delete(p);
            },
          );
          inflight.add(p);
        }
        await Promise.all(inflight);
        if (failure) throw failure.error;
      }
      if (!dryRun) report.handlesRemoved = await this.#handles.deleteExpired({ graceMs, signal });
      report.durationMs = this.#now() - started;
      this.#logger.info({ report }, 'garbage collection finished');
      return report;
    } finally {
      await store
        .delete(marker)
        .catch((err: unknown) => this.#logger.warn({ err, marker }, 'could not delete the GC marker object'));
    }
  }

  async *#liveRoots(graceMs: number, signal: AbortSignal | undefined): AsyncGenerator<RootHash> {
    yield* this.#commits.liveRoots({ signal });
    for await (const handle of this.#handles.live({ graceMs, signal })) yield* handle.layers;
  }
}

async function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return await promise;
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}
