/**
 * Watches that never lose an event: from a given revision, across etcd disconnects and restarts,
 * and across compaction.
 *
 *   for await (const ev of watchPrefix(kv, 'repos/', { fromRevision: rev + 1, signal })) {
 *     switch (ev.type) {
 *       case 'put': case 'delete': apply(ev); persist(ev.modRevision); break;
 *       case 'reset': state.beginRebuild(); break;   // the puts that follow are the whole state…
 *       case 'reset-end': state.finishRebuild(); break; // …up to here; keys not seen are gone
 *     }
 *   }
 *
 * Guarantees, for one iteration:
 * - `put` and `delete` events come in revision order; events of one transaction share a
 *   `modRevision` and arrive together.
 * - After a disconnect (etcd killed, restarted, network error) the watch reconnects with backoff and
 *   resumes at the revision after the last one delivered: no event is missed and none is delivered
 *   twice. It retries for as long as it runs; a consumer that wants to give up aborts its signal.
 * - When the revision to resume from has been compacted away, events in between cannot be known (in
 *   particular deletes), so the watch emits `{ type: 'reset', revision: R }`, then one synthetic `put`
 *   for every key that exists at revision R (a consistent, paged scan; each carries its real
 *   modRevision, which may be old), then `{ type: 'reset-end', revision: R }`, and then the events
 *   after R. A consumer must treat the puts between `reset` and `reset-end` as the complete state:
 *   every key it knew that is not among them has been deleted. A reset may be repeated (when the
 *   scan itself fails), and each one starts over.
 * - With `progress: true`, `{ type: 'progress', revision }` says every event up to `revision` has
 *   been delivered, so a consumer of a quiet prefix can still persist an up-to-date resume point.
 *
 * Aborting `signal` ends the iteration with a CANCELLED error; `break` ends it quietly. A watch the
 * server refuses for a reason other than compaction (permissions, a bad range) throws. Each watch uses
 * its own gRPC stream, so watches are independent of each other; one watch is meant for one consumer.
 */
import { castGrpcError, isRecoverableError, type IEvent, type IWatchResponse } from 'etcd3';
import type { Logger } from 'pino';
import { isErrorCode, platformErrors } from '../errors.ts';
import { silentLogger } from '../logging.ts';
import { cancelledError, parseRevision, sleep, toTerrainError } from './client.ts';
import { checkKey, prefixEnd } from './keys.ts';
import type { Kv } from './kv.ts';

export type WatchEvent =
  | {
      type: 'put';
      /** Relative to the Kv's prefix. */
      key: string;
      value: Uint8Array;
      modRevision: number;
      createRevision: number;
      version: number;
      lease: string;
    }
  | { type: 'delete'; key: string; modRevision: number }
  | { type: 'reset'; revision: number }
  | { type: 'reset-end'; revision: number }
  | { type: 'progress'; revision: number };

export interface WatchOptions {
  signal?: AbortSignal;
  /**
   * Deliver every change with modRevision >= fromRevision (etcd's start_revision). Omitted: only
   * changes made after the watch is established.
   */
  fromRevision?: number;
  /** Ask etcd for periodic progress notifications and yield them as `progress` events. */
  progress?: boolean;
  /** Page size of the re-list after compaction (default 500). */
  pageSize?: number;
  /** Where reconnects and resets are logged (warn level). */
  logger?: Logger;
}

/** Backoff before reconnect attempt `n` (1-based): 100 ms doubling to 1 s, with jitter. Pure. */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(1000, 100 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base / 2 + (random() * base) / 2);
}

/** Watches every key that starts with `prefix` (relative to the Kv's namespace; '' for all). */
export function watchPrefix(kv: Kv, prefix: string, options: WatchOptions = {}): AsyncGenerator<WatchEvent> {
  checkKey(prefix, { allowEmpty: true });
  const start = kv.fullKey(prefix);
  return watchRange(kv, { start, end: prefixEnd(start), relative: prefix, isPrefix: true }, options);
}

/** Watches one key. */
export function watchKey(kv: Kv, key: string, options: WatchOptions = {}): AsyncGenerator<WatchEvent> {
  checkKey(key);
  return watchRange(kv, { start: kv.fullKey(key), end: undefined, relative: key, isPrefix: false }, options);
}

interface Target {
  start: Buffer;
  end: Buffer | undefined;
  relative: string;
  isPrefix: boolean;
}

function toEvent(kv: Kv, ev: IEvent): WatchEvent {
  if (ev.type === 'Delete') {
    return { type: 'delete', key: kv.relativeKey(ev.kv.key), modRevision: parseRevision(ev.kv.mod_revision) };
  }
  const e = kv.toEntry(ev.kv);
  return { type: 'put', ...e };
}

/** Thrown inside the stream loop when etcd cancels the watch because its start revision was compacted. */
class Compacted extends Error {}

async function* watchRange(kv: Kv, target: Target, options: WatchOptions): AsyncGenerator<WatchEvent> {
  const { signal } = options;
  const logger = options.logger ?? silentLogger();
  const label = `watch "${kv.prefix}${target.relative}${target.isPrefix ? '*' : ''}"`;
  /** The revision the next (re)connection starts from; undefined until the first watch is created. */
  let next = options.fromRevision;
  let failures = 0;

  for (;;) {
    if (signal?.aborted) throw cancelledError(label, signal);
    let compacted = false;
    try {
      const stream = await kv.client.watchClient.watch();
      const onAbort = (): void => stream.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      // The signal may have fired while the stream was being opened; listeners added later never run.
      if (signal?.aborted) onAbort();
      try {
        stream.write({
          create_request: {
            key: target.start,
            ...(target.end ? { range_end: target.end } : {}),
            start_revision: next ?? 0,
            progress_notify: options.progress ?? false,
          },
        });
        for await (const res of stream as unknown as AsyncIterable<IWatchResponse>) {
          if (res.created) {
            failures = 0;
            // Without a start revision etcd watches from "now": pin it so a reconnect resumes there.
            next ??= parseRevision(res.header.revision) + 1;
          }
          if (res.canceled) {
            if (parseRevision(res.compact_revision) > 0) throw new Compacted();
            throw platformErrors.failedPrecondition(
              `etcd: ${label}: etcd cancelled the watch: ${res.cancel_reason || 'no reason given'}`,
            );
          }
          if (res.events.length === 0) {
            // A progress notification (sent only for watchers that are caught up): all events up to
            // header.revision have been delivered. Creation responses are not progress.
            const revision = parseRevision(res.header.revision);
            if (!res.created && next !== undefined && revision >= next) {
              next = revision + 1;
              if (options.progress) yield { type: 'progress', revision };
            }
            continue;
          }
          let last = 0;
          for (const ev of res.events) {
            const revision = parseRevision(ev.kv.mod_revision);
            last = Math.max(last, revision);
            // Never deliver twice: a (re)connection starts at `next`, so this only guards against a
            // server replaying what we already had.
            if (next !== undefined && revision < next) continue;
            yield toEvent(kv, ev);
          }
          next = Math.max(next ?? 0, last + 1);
        }
      } finally {
        signal?.removeEventListener('abort', onAbort);
        stream.cancel();
      }
      // The server ended the stream cleanly (e.g. it is shutting down): reconnect.
      logger.warn({ watch: label, next }, 'etcd watch stream ended; reconnecting');
    } catch (err) {
      if (signal?.aborted) throw cancelledError(label, signal);
      if (err instanceof Compacted) {
        compacted = true;
      } else if (isFatal(err)) {
        throw toTerrainError(err, label);
      } else {
        failures++;
        const delay = reconnectDelayMs(failures);
        logger.warn(
          { watch: label, next, attempt: failures, delay, err: String(err) },
          'etcd watch disconnected; reconnecting',
        );
        await sleep(delay, signal, label);
        continue;
      }
    }
    if (compacted) {
      logger.warn(
        { watch: label, from: next },
        'etcd watch start revision was compacted; re-listing the current state',
      );
      next = yield* resync(kv, target, options, label);
      failures = 0;
    }
  }
}

/** Errors that reconnecting cannot fix: Terrain errors we raised, and non-transient gRPC statuses. */
function isFatal(err: unknown): boolean {
  if (
    isErrorCode(err, 'failed_precondition') ||
    isErrorCode(err, 'internal') ||
    isErrorCode(err, 'invalid_argument')
  ) {
    return true;
  }
  if (!(err instanceof Error)) return true;
  if ('code' in err && typeof (err as { code?: unknown }).code === 'number') {
    return !isRecoverableError(castGrpcError(err));
  }
  return false;
}

/**
 * Emits reset, the full state at the current revision R, reset-end; returns R + 1. Retries (with a
 * new reset marker) when etcd is unreachable or the snapshot is compacted during the scan.
 */
async function* resync(
  kv: Kv,
  target: Target,
  options: WatchOptions,
  label: string,
): AsyncGenerator<WatchEvent, number> {
  const signal = options.signal;
  const logger = options.logger ?? silentLogger();
  let failures = 0;
  for (;;) {
    try {
      const revision = await kv.revision(signal ? { signal } : {});
      yield { type: 'reset', revision };
      if (target.isPrefix) {
        for await (const entry of kv.list(target.relative, {
          revision,
          ...(signal ? { signal } : {}),
          ...(options.pageSize ? { pageSize: options.pageSize } : {}),
        })) {
          yield { type: 'put', ...entry };
        }
      } else {
        const entry = await kv.get(target.relative, { revision, ...(signal ? { signal } : {}) });
        if (entry) yield { type: 'put', ...entry };
      }
      yield { type: 'reset-end', revision };
      return revision + 1;
    } catch (err) {
      if (signal?.aborted) throw cancelledError(label, signal);
      const compacted =
        isErrorCode(err, 'failed_precondition') &&
        (err as { details?: Record<string, string> }).details?.['reason'] === 'compacted';
      if (!compacted && !isErrorCode(err, 'unavailable')) throw err;
      failures++;
      const delay = compacted ? 0 : reconnectDelayMs(failures);
      logger.warn(
        { watch: label, attempt: failures, err: String(err) },
        'etcd watch re-list failed; starting it over',
      );
      await sleep(delay, signal, label);
    }
  }
}
