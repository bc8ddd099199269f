/**
 * The worker sidecar's state machine:
 *
 *   INITIALIZED --start()--> RUNNING --drain (pps) / stop()--> DRAINING --> STOPPED
 *        \                      \________ unrecoverable error ________> FAILED
 *
 * RUNNING: register with pps, keep the lease alive (RenewLease every TTL/3), long-poll
 * AcquireShard, and run each shard's datums with at most `concurrency` at once, each under its own
 * AbortController. Losing the lease (NOT_FOUND on renew, or no successful renewal for a whole TTL)
 * aborts every running datum of the shards held under it — their user code is killed and nothing
 * is reported, because pps hands those shards to another worker — and the worker registers again.
 * A shard listed in `cancelled_shard_ids` is aborted the same way.
 *
 * DRAINING: no new shards; the shards in hand finish and are reported. stop() is two-phase: after
 * `graceMs` the running datums are aborted (force), then logs are flushed and the state is STOPPED.
 *
 * One Worker per process is the intended use; its methods may be called from any task.
 */
import type { Logger } from '../platform/logging.ts';
import { isAbortError, isErrorCode } from '../platform/errors.ts';
import type { DatumResult, Shard } from '../../proto/gen/terrain/pps/v1/worker.ts';
import { durationMs, type DatumJob, type DatumRunner } from './datum-runner.ts';
import { workerErrors } from './errors.ts';
import { LogPusher, type LogPusherOptions } from './log-pusher.ts';
import type { WorkerStub } from './rpc-clients.ts';

export type WorkerState = 'INITIALIZED' | 'RUNNING' | 'DRAINING' | 'STOPPED' | 'FAILED';

export interface WorkerOptions {
  pipeline: string;
  /** Shown by pps (process ID, pod name). */
  name: string;
  /** Datums whose user code runs at once (give the DatumRunner the same `maxProcesses`). Default 1. */
  concurrency?: number;
  /**
   * Datums of a shard in flight at once, counting those downloading inputs or uploading outputs:
   * these phases wait on the network, so they overlap the user code. Default 2 × concurrency.
   */
  inFlightDatums?: number;
  version?: string;
  /** AcquireShard long-poll wait. Default 10 s. */
  acquireWaitMs?: number;
  /** Datums per shard asked for; 0 lets pps choose. */
  maxDatums?: number;
  /** Results per CompleteShard call (the rest follow as partial reports). Default 200. */
  resultsPerReport?: number;
  /** Backoff after a failed call to pps. Default 500 ms, doubling up to 10 s. */
  retryBaseMs?: number;
  logs?: LogPusherOptions;
}

export interface WorkerDeps {
  pps: WorkerStub;
  runner: DatumRunner;
  logger: Logger;
}

interface HeldShard {
  shard: Shard;
  controller: AbortController;
  /** The lease generation it was acquired under. */
  generation: number;
}

export class Worker {
  readonly #opts: Required<Omit<WorkerOptions, 'logs'>> & { logs: LogPusherOptions };
  readonly #deps: WorkerDeps;
  readonly #logger: Logger;
  readonly #logs: LogPusher;
  #state: WorkerState = 'INITIALIZED';
  #workerId = '';
  #leaseTtlMs = 30_000;
  /** Bumped on every (re-)registration; shards from an older generation are dead. */
  #generation = 0;
  #lastRenewal = 0;
  readonly #held = new Map<string, HeldShard>();
  /** Aborts in-flight AcquireShard polls and sleeps when draining/stopping. */
  readonly #stopPolling = new AbortController();
  /** Aborts every datum (force phase of stop). */
  readonly #force = new AbortController();
  #renewTimer: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;
  #failure: unknown;
  #stateListeners: ((s: WorkerState) => void)[] = [];

  constructor(options: WorkerOptions, deps: WorkerDeps) {
    this.#opts = {
      concurrency: 1,
      inFlightDatums: (options.concurrency ?? 1) * 2,
      version: 'terrain-worker',
      acquireWaitMs: 10_000,
      maxDatums: 0,
      resultsPerReport: 200,
      retryBaseMs: 500,
      ...options,
      logs: options.logs ?? {},
    };
    if (this.#opts.concurrency < 1) throw workerErrors.invalidArgument('concurrency must be at least 1');
    this.#deps = deps;
    this.#logger = deps.logger.child({ component: 'worker', pipeline: options.pipeline });
    this.#logs = new LogPusher(
      deps.pps,
      options.pipeline,
      () => this.#workerId,
      this.#logger,
      this.#opts.logs,
    );
  }

  get state(): WorkerState {
    return this.#state;
  }

  get workerId(): string {
    return this.#workerId;
  }

  /** Why the worker FAILED (undefined otherwise). */
  get failure(): unknown {
    return this.#failure;
  }

  /** Called on every state change (for main.ts and tests). */
  onState(listener: (s: WorkerState) => void): void {
    this.#stateListeners.push(listener);
  }

  #setState(s: WorkerState): void {
    if (this.#state === s) return;
    this.#logger.info({ from: this.#state, to: s }, 'worker state');
    this.#state = s;
    for (const l of this.#stateListeners) l(s);
  }

  /**
   * Registers and starts processing. Resolves once registered (RUNNING), or STOPPED when pps says
   * the pipeline is stopped. @throws what RegisterWorker throws (NOT_FOUND: no such pipeline); the
   * state is then FAILED.
   */
  async start(): Promise<void> {
    if (this.#state !== 'INITIALIZED') throw workerErrors.failedPrecondition(`worker already ${this.#state}`);
    try {
      await this.#register();
    } catch (err) {
      if (isErrorCode(err, 'failed_precondition')) {
        this.#logger.info({ err }, 'pipeline is stopped; exiting');
        this.#setState('STOPPED');
        return;
      }
      this.#failure = err;
      this.#setState('FAILED');
      throw err;
    }
    this.#setState('RUNNING');
    this.#scheduleRenewal();
    this.#loop = this.#acquireLoop().catch((err: unknown) => {
      this.#failure = err;
      this.#logger.error({ err }, 'worker failed');
      this.#setState('FAILED');
    });
  }

  /** Resolves when the worker has STOPPED or FAILED (after start()). */
  async done(): Promise<WorkerState> {
    await this.#loop;
    return this.#state;
  }

  /**
   * Two-phase shutdown: stop acquiring and let running shards finish for `graceMs`, then abort
   * the datums still running (their shards are not reported; pps re-leases them after the TTL).
   * Idempotent; resolves when STOPPED (or FAILED).
   */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.#state === 'INITIALIZED') {
      this.#setState('STOPPED');
      return;
    }
    if (this.#state === 'RUNNING') this.#setState('DRAINING');
    this.#stopPolling.abort(new Error('worker stopping'));
    const loop = this.#loop ?? Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace'>((r) => (timer = setTimeout(() => r('grace'), graceMs)));
    const first = await Promise.race([loop.then(() => 'done' as const), graceOver]);
    clearTimeout(timer);
    if (first === 'grace') {
      this.#logger.warn({ shards: this.#held.size }, 'grace period over: aborting running datums');
      this.#force.abort(new Error('worker stopped before the datum finished'));
      await loop;
    }
    if (this.#renewTimer) clearTimeout(this.#renewTimer);
    this.#renewTimer = undefined;
    await this.#logs.close();
    if (this.#state !== 'FAILED') this.#setState('STOPPED');
  }

  async #register(): Promise<void> {
    const res = await this.#deps.pps.registerWorker(
      {
        pipeline: { name: this.#opts.pipeline },
        name: this.#opts.name,
        concurrency: this.#opts.concurrency,
        version: this.#opts.version,
      },
      { timeoutMs: 30_000 },
    );
    this.#workerId = res.workerId;
    this.#leaseTtlMs = durationMs(res.leaseTtl) ?? 30_000;
    this.#generation++;
    this.#lastRenewal = Date.now();
    this.#logger.info({ workerId: res.workerId, leaseTtlMs: this.#leaseTtlMs }, 'registered');
  }

  #scheduleRenewal(): void {
    if (this.#state === 'STOPPED' || this.#state === 'FAILED') return;
    this.#renewTimer = setTimeout(
      () => {
        // Supervised here: #renew never rejects.
        void this.#renew().finally(() => this.#scheduleRenewal());
      },
      Math.max(50, this.#leaseTtlMs / 3),
    );
  }

  async #renew(): Promise<void> {
    const generation = this.#generation;
    try {
      const res = await this.#deps.pps.renewLease(
        { workerId: this.#workerId },
        { timeoutMs: Math.max(1000, this.#leaseTtlMs / 3) },
      );
      if (generation !== this.#generation) return;
      this.#lastRenewal = Date.now();
      for (const id of res.cancelledShardIds) {
        const held = this.#held.get(id);
        if (held) {
          this.#logger.info({ shard: id }, 'pps cancelled the shard; abandoning it');
          held.controller.abort(workerErrors.aborted(`shard ${id} cancelled by pps`));
        }
      }
      if (res.drain && this.#state === 'RUNNING') {
        this.#logger.info('pps asked the worker to drain');
        this.#setState('DRAINING');
        this.#stopPolling.abort(new Error('draining'));
      }
    } catch (err) {
      if (generation !== this.#generation) return;
      if (isErrorCode(err, 'not_found')) {
        await this.#leaseLost('pps no longer knows this worker (its lease expired)');
      } else if (Date.now() - this.#lastRenewal > this.#leaseTtlMs) {
        await this.#leaseLost(`no successful lease renewal for ${this.#leaseTtlMs} ms`);
      } else {
        this.#logger.warn({ err }, 'RenewLease failed; retrying');
      }
    }
  }

  /** Aborts every shard held under the lost lease and registers again. */
  async #leaseLost(why: string): Promise<void> {
    this.#logger.warn({ why, shards: this.#held.size }, 'lease lost: abandoning held shards');
    for (const held of this.#held.values()) {
      if (held.generation === this.#generation)
        held.controller.abort(workerErrors.aborted(`lease lost: ${why}`));
    }
    if (this.#state !== 'RUNNING') return;
    try {
      await this.#register();
    } catch (err) {
      // The acquire loop will notice (NOT_FOUND) and retry registering.
      this.#logger.warn({ err }, 'registering again failed');
    }
  }

  async #acquireLoop(): Promise<void> {
    let backoff = this.#opts.retryBaseMs;
    while (this.#state === 'RUNNING') {
      let shard: Shard | undefined;
      try {
        const res = await this.#deps.pps.acquireShard(
          {
            workerId: this.#workerId,
            wait: { seconds: BigInt(Math.ceil(this.#opts.acquireWaitMs / 1000)), nanos: 0 },
            maxDatums: this.#opts.maxDatums,
          },
          { signal: this.#stopPolling.signal, timeoutMs: this.#opts.acquireWaitMs + 30_000 },
        );
        backoff = this.#opts.retryBaseMs;
        if (res.drain) {
          this.#logger.info('pps asked the worker to drain');
          this.#setState('DRAINING');
        }
        shard = res.shard;
      } catch (err) {
        if (this.#stopPolling.signal.aborted) break;
        if (isErrorCode(err, 'not_found')) {
          this.#logger.warn({ err }, 'pps does not know this worker; registering again');
          try {
            await this.#register();
            continue;
          } catch (regErr) {
            if (isErrorCode(regErr, 'failed_precondition')) {
              this.#setState('DRAINING');
              break;
            }
            if (isErrorCode(regErr, 'not_found')) throw regErr;
            err = regErr;
          }
        }
        this.#logger.warn({ err, backoffMs: backoff }, 'AcquireShard failed; retrying');
        await sleep(backoff, this.#stopPolling.signal);
        backoff = Math.min(backoff * 2, 10_000);
        continue;
      }
      if (shard) await this.#processShard(shard);
    }
  }

  async #processShard(shard: Shard): Promise<void> {
    const controller = new AbortController();
    const held: HeldShard = { shard, controller, generation: this.#generation };
    this.#held.set(shard.id, held);
    const signal = AbortSignal.any([controller.signal, this.#force.signal]);
    const job: DatumJob = {
      pipeline: shard.job?.pipeline?.name ?? this.#opts.pipeline,
      jobId: shard.job?.id ?? '',
      outputCommitId: shard.outputCommit?.id ?? '',
      transform: shard.transform ?? {
        cmd: [],
        stdin: [],
        env: {},
        image: '',
        workingDir: '',
        errCmd: [],
        errStdin: [],
        acceptReturnCode: [],
        user: '',
      },
      timeoutMs: durationMs(shard.datumTimeout),
      datumTries: shard.datumTries || 3,
    };
    const log = this.#logger.child({ shard: shard.id, job: job.jobId });
    log.info({ datums: shard.datums.length }, 'processing shard');
    const results: (DatumResult | undefined)[] = new Array<DatumResult | undefined>(shard.datums.length);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (!signal.aborted) {
        const i = next++;
        const datum = shard.datums[i];
        if (!datum) return;
        const datumController = new AbortController();
        const datumSignal = AbortSignal.any([signal, datumController.signal]);
        try {
          results[i] = await this.#deps.runner.run(
            job,
            datum,
            (source, message) => this.#logs.add({ jobId: job.jobId, datumId: datum.id, source, message }),
            datumSignal,
          );
        } catch (err) {
          if (!signal.aborted) throw err;
          return;
        }
      }
    };
    try {
      await Promise.all(
        Array.from({ length: Math.min(this.#opts.inFlightDatums, shard.datums.length) }, lane),
      );
      if (signal.aborted) {
        log.warn({ reason: String(signal.reason) }, 'shard abandoned; not reporting it');
        return;
      }
      await this.#report(shard, results as DatumResult[], held, signal);
    } catch (err) {
      if (signal.aborted || isAbortError(err)) return;
      // A worker bug rather than a user failure: leave the shard to expire and be re-leased.
      log.error({ err }, 'shard processing failed');
    } finally {
      this.#held.delete(shard.id);
    }
  }

  /** CompleteShard, split into partial reports of `resultsPerReport`. */
  async #report(shard: Shard, results: DatumResult[], held: HeldShard, signal: AbortSignal): Promise<void> {
    const per = Math.max(1, this.#opts.resultsPerReport);
    for (let i = 0; i < results.length; i += per) {
      if (held.generation !== this.#generation) return; // the lease this shard was held under is gone
      const batch = results.slice(i, i + per);
      const partial = i + per < results.length;
      try {
        await this.#deps.pps.completeShard(
          { workerId: this.#workerId, shardId: shard.id, results: batch, partial },
          { signal, timeoutMs: 60_000 },
        );
      } catch (err) {
        if (isErrorCode(err, 'aborted') || isErrorCode(err, 'not_found')) {
          this.#logger.warn({ err, shard: shard.id }, 'pps refused the shard report (the claim is gone)');
          return;
        }
        throw err;
      }
    }
    const failed = results.filter((r) => r.error !== '').length;
    this.#logger.info({ shard: shard.id, datums: results.length, failed }, 'shard reported');
  }
}

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
