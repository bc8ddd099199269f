/**
 * etcd leases with keep-alive and a `lost` signal: work done under a lease stops when the lease may
 * be gone (Pachyderm's lock returns a context that ends when the lock is lost).
 *
 *   const lease = await grantLease(kv, { ttlSeconds: 30 });
 *   await lease.put('members/worker-1', info);          // deleted by etcd when the lease ends
 *   await doWork({ signal: AbortSignal.any([callerSignal, lease.lost]) });
 *   await lease.close();                               // revoke: the key goes away now
 *
 * `lost` aborts — with a Terrain error as its reason — as soon as this process can no longer be sure
 * that etcd still holds the lease:
 * - etcd answers a keep-alive with TTL 0, or a put with "lease not found" (FAILED_PRECONDITION);
 * - no keep-alive has been acknowledged for a full TTL, counted from when the last acknowledged one
 *   was *sent* (UNAVAILABLE). etcd expires a lease TTL after it *received* the last keep-alive, so
 *   `lost` fires no later than the lease can expire on the server; it may fire while etcd still holds
 *   the lease (etcd down for a while, or restarted: a restart renews every lease), which is the safe
 *   side. Once lost, a lease is never revived: it is revoked on a best-effort basis and the holder
 *   grants a new one.
 * - `close()` aborts it too (CANCELLED), since work under a revoked lease must stop as well.
 *
 * Keep-alives are sent every TTL/3 on one stream, reconnected with backoff after errors. A Lease is
 * safe to use from concurrent tasks; `close()` is idempotent.
 */
import type { IDuplexStream, ILeaseKeepAliveRequest, ILeaseKeepAliveResponse } from 'etcd3';
import type { Logger } from 'pino';
import { platformErrors, type TerrainError } from '../errors.ts';
import { silentLogger } from '../logging.ts';
import { etcdCall, parseRevision, sleep, toTerrainError } from './client.ts';
import type { Kv, SignalOption } from './kv.ts';
import { reconnectDelayMs } from './watch.ts';

export const DEFAULT_LEASE_TTL_SECONDS = 30;

export interface LeaseOptions {
  /** Time to live in whole seconds (default 30, at least 1). */
  ttlSeconds?: number;
  /** Cancels the grant itself (not the lease once granted). */
  signal?: AbortSignal;
  logger?: Logger;
}

/** Grants a lease and starts keeping it alive. Throws UNAVAILABLE when etcd is unreachable. */
export async function grantLease(kv: Kv, options: LeaseOptions = {}): Promise<Lease> {
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_LEASE_TTL_SECONDS;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
    throw platformErrors.invalidArgument(
      `lease TTL must be a whole number of seconds >= 1, got ${ttlSeconds}`,
    );
  }
  const sentAt = Date.now();
  const res = await etcdCall(`grant a ${ttlSeconds}s lease`, options.signal, () =>
    kv.client.leaseClient.leaseGrant({ TTL: ttlSeconds }),
  );
  if (res.error) throw platformErrors.unavailable(`etcd: grant a ${ttlSeconds}s lease: ${res.error}`);
  const granted = parseRevision(res.TTL);
  return new Lease(kv, res.ID, granted, sentAt + granted * 1000, options.logger ?? silentLogger());
}

export class Lease {
  /** etcd's lease ID (decimal int64 string), as `PutOptions.lease` wants it. */
  readonly id: string;
  readonly ttlSeconds: number;
  readonly #kv: Kv;
  readonly #logger: Logger;
  readonly #lost = new AbortController();
  readonly #stop = new AbortController();
  #deadline: number;
  #deadlineTimer: NodeJS.Timeout | undefined;
  readonly #loop: Promise<void>;
  #closing: Promise<void> | undefined;

  /** Use grantLease. */
  constructor(kv: Kv, id: string, ttlSeconds: number, deadline: number, logger: Logger) {
    this.#kv = kv;
    this.id = id;
    this.ttlSeconds = ttlSeconds;
    this.#deadline = deadline;
    this.#logger = logger.child({ lease: this.hexId });
    this.#armDeadline();
    this.#loop = this.#keepAlive().catch((err: unknown) =>
      this.#markLost(toTerrainError(err, `keep lease ${this.hexId} alive`)),
    );
  }

  /** The ID in hex, as etcdctl prints it and as election keys use it. */
  get hexId(): string {
    return BigInt(this.id).toString(16);
  }

  /** Aborts when the lease is (or may be) gone, or closed; `lost.reason` is a Terrain error saying why. */
  get lost(): AbortSignal {
    return this.#lost.signal;
  }

  get alive(): boolean {
    return !this.#lost.signal.aborted;
  }

  /** Writes a key attached to this lease. Throws FAILED_PRECONDITION (and marks the lease lost) when etcd no longer has it. */
  async put(key: string, value: Uint8Array | string, options: SignalOption = {}): Promise<number> {
    if (this.#lost.signal.aborted) throw this.#lost.signal.reason as TerrainError;
    try {
      return await this.#kv.put(key, value, { ...options, lease: this.id });
    } catch (err) {
      if ((err as { code?: unknown }).code === 'failed_precondition') this.#markLost(err as TerrainError);
      throw err;
    }
  }

  /** Stops the keep-alive and revokes the lease (its keys are deleted now). Idempotent. */
  close(options: SignalOption = {}): Promise<void> {
    this.#closing ??= (async () => {
      const wasAlive = this.alive;
      this.#markLost(platformErrors.cancelled(`lease ${this.hexId} was closed by its holder`));
      await this.#loop;
      if (wasAlive) await this.#revoke(options.signal);
    })();
    return this.#closing;
  }

  async #revoke(signal?: AbortSignal): Promise<void> {
    try {
      await etcdCall(`revoke lease ${this.hexId}`, signal, () =>
        this.#kv.client.leaseClient.leaseRevoke({ ID: this.id }),
      );
    } catch (err) {
      // Already gone is what we wanted.
      if ((err as { code?: unknown }).code !== 'failed_precondition') throw err;
    }
  }

  #markLost(reason: TerrainError): void {
    if (this.#lost.signal.aborted) return;
    if (reason.code !== 'cancelled') this.#logger.warn({ err: reason.message }, 'etcd lease lost');
    clearTimeout(this.#deadlineTimer);
    this.#stop.abort(reason);
    this.#lost.abort(reason);
    if (reason.code === 'unavailable') {
      // We gave up on it; make sure etcd does too once it answers, so nobody waits a full TTL for our keys.
      void this.#revoke().catch(() => undefined);
    }
  }

  #armDeadline(): void {
    clearTimeout(this.#deadlineTimer);
    const wait = this.#deadline - Date.now();
    this.#deadlineTimer = setTimeout(
      () => {
        if (Date.now() >= this.#deadline) {
          this.#markLost(
            platformErrors.unavailable(
              `lease ${this.hexId} (TTL ${this.ttlSeconds}s) got no keep-alive answer from etcd for a full TTL; treating it as lost`,
            ),
          );
        } else {
          this.#armDeadline();
        }
      },
      Math.max(0, wait),
    );
  }

  /** Keeps one keep-alive stream open; reconnects after errors until stopped or lost. */
  async #keepAlive(): Promise<void> {
    const stop = this.#stop.signal;
    const intervalMs = Math.max(100, (this.ttlSeconds * 1000) / 3);
    let failures = 0;
    while (!stop.aborted) {
      let stream: IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse> | undefined;
      let timer: NodeJS.Timeout | undefined;
      try {
        stream = await this.#kv.client.leaseClient.leaseKeepAlive();
        const s = stream;
        const sent: number[] = [];
        await new Promise<void>((resolve, reject) => {
          const send = (): void => {
            sent.push(Date.now());
            s.write({ ID: this.id });
          };
          const onStop = (): void => resolve();
          stop.addEventListener('abort', onStop, { once: true });
          if (stop.aborted) {
            // Stopped while the stream was being opened.
            resolve();
            return;
          }
          s.on('data', (res) => {
            const sentAt = sent.shift() ?? Date.now();
            const ttl = parseRevision(res.TTL);
            if (ttl <= 0) {
              this.#markLost(
                platformErrors.failedPrecondition(`lease ${this.hexId} has expired or was revoked in etcd`),
              );
              return;
            }
            failures = 0;
            this.#deadline = Math.max(this.#deadline, sentAt + ttl * 1000);
          });
          s.on('error', (err) => {
            stop.removeEventListener('abort', onStop);
            reject(err);
          });
          s.on('end', () => {
            stop.removeEventListener('abort', onStop);
            reject(new Error('keep-alive stream ended by etcd'));
          });
          timer = setInterval(send, intervalMs);
          send();
        });
      } catch (err) {
        if (stop.aborted) break;
        failures++;
        this.#logger.warn(
          { err: String(err), attempt: failures },
          'etcd lease keep-alive stream failed; reconnecting',
        );
        try {
          await sleep(reconnectDelayMs(failures), stop);
        } catch {
          break;
        }
      } finally {
        clearInterval(timer);
        stream?.cancel();
      }
    }
  }
}
