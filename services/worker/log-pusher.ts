/**
 * Batches log lines and ships them to pps with PushLogs. Memory is bounded: past `maxBuffered`
 * lines the oldest are dropped and a worker line says how many. A batch that pps does not accept
 * is dropped (logged locally), never retried forever, so user code that floods stdout cannot
 * stall its datum. `add` never blocks; `flush` and `close` wait for the shipment in flight.
 */
import type { Logger } from '../platform/logging.ts';
import { LogSource, type LogMessage } from '../../proto/gen/terrain/pps/v1/logs.ts';
import type { WorkerStub } from './rpc-clients.ts';

export interface LogPusherOptions {
  /** Lines per PushLogs batch. Default 500. */
  batchLines?: number;
  /** Ship at least this often while lines wait. Default 250 ms. */
  intervalMs?: number;
  /** Lines kept while pps is slow. Default 20,000. */
  maxBuffered?: number;
}

export interface LogLine {
  jobId: string;
  datumId: string;
  source: 'stdout' | 'stderr' | 'worker';
  message: string;
}

const SOURCES = { stdout: LogSource.STDOUT, stderr: LogSource.STDERR, worker: LogSource.WORKER } as const;

export class LogPusher {
  readonly #pps: WorkerStub;
  readonly #pipeline: string;
  readonly #workerId: () => string;
  readonly #logger: Logger;
  readonly #batch: number;
  readonly #interval: number;
  readonly #max: number;
  #buffer: LogMessage[] = [];
  #dropped = 0;
  #timer: NodeJS.Timeout | undefined;
  #inflight: Promise<void> | undefined;

  constructor(
    pps: WorkerStub,
    pipeline: string,
    workerId: () => string,
    logger: Logger,
    options: LogPusherOptions = {},
  ) {
    this.#pps = pps;
    this.#pipeline = pipeline;
    this.#workerId = workerId;
    this.#logger = logger;
    this.#batch = options.batchLines ?? 500;
    this.#interval = options.intervalMs ?? 250;
    this.#max = options.maxBuffered ?? 20_000;
  }

  add(line: LogLine): void {
    if (this.#buffer.length >= this.#max) {
      this.#buffer.shift();
      this.#dropped++;
    }
    this.#buffer.push({
      pipeline: { name: this.#pipeline },
      jobId: line.jobId,
      datumId: line.datumId,
      workerId: this.#workerId(),
      time: new Date(),
      source: SOURCES[line.source],
      message: line.message,
    });
    if (this.#buffer.length >= this.#batch && !this.#inflight) this.#kick();
    else this.#timer ??= setTimeout(() => this.#kick(), this.#interval);
  }

  #kick(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#inflight) return;
    // Handed to this object as supervisor: #ship never rejects, and close() awaits #inflight.
    this.#inflight = this.#ship().finally(() => {
      this.#inflight = undefined;
      if (this.#buffer.length > 0) this.#timer ??= setTimeout(() => this.#kick(), this.#interval);
    });
  }

  async #ship(): Promise<void> {
    while (this.#buffer.length > 0) {
      if (this.#dropped > 0) {
        const first = this.#buffer[0]!;
        this.#buffer.unshift({
          ...first,
          source: LogSource.WORKER,
          message: `${this.#dropped} log lines dropped: pps did not keep up`,
        });
        this.#dropped = 0;
      }
      const lines = this.#buffer.splice(0, this.#batch);
      try {
        await this.#pps.pushLogs([{ workerId: this.#workerId(), lines }], { timeoutMs: 30_000 });
      } catch (err) {
        this.#logger.warn({ err, lines: lines.length }, 'PushLogs failed; dropping the batch');
        return;
      }
    }
  }

  /** Ships everything buffered so far (a batch pps refuses is dropped, see above). */
  async flush(): Promise<void> {
    this.#kick();
    while (this.#inflight) await this.#inflight;
  }

  /** Flushes and stops the timer. */
  async close(): Promise<void> {
    await this.flush();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
