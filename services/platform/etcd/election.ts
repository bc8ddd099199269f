/**
 * Leader election over etcd (the algorithm of etcd's Go `concurrency.Election`): each candidate
 * writes a key under `elections/<name>/` attached to its lease; the candidate whose key has the
 * lowest create revision leads. Everyone else waits for the key just before its own to be deleted,
 * so leadership passes in campaign order without a thundering herd, and passes on by itself when a
 * leader dies (its lease expires, its key is deleted).
 *
 *   const leadership = await campaign(kv, 'pps-scheduler', podName, { signal });
 *   await schedule({ signal: leadership.lost });   // stops when leadership is lost
 *   await leadership.resign();
 *
 *   const leader = await currentLeader(kv, 'pps-scheduler');   // { candidateId, … } or undefined
 *   for await (const leader of observeLeader(kv, 'pps-scheduler', { signal })) …
 *
 * `lost` aborts when the lease behind the leadership is lost (see lease.ts) or the leader's key is
 * deleted by someone else, and on resign. Errors: UNAVAILABLE when etcd is unreachable, CANCELLED
 * when the campaign's signal aborts (the candidate's key is then removed), INVALID_ARGUMENT for a bad
 * name. Any number of processes may campaign concurrently; one Leadership is meant for one holder.
 */
import type { Logger } from 'pino';
import { platformErrors, type TerrainError } from '../errors.ts';
import { cancelledError, etcdCall, parseRevision, toTerrainError } from './client.ts';
import { prefixEnd } from './keys.ts';
import type { Kv, SignalOption } from './kv.ts';
import { grantLease, type Lease } from './lease.ts';
import { watchKey, watchPrefix } from './watch.ts';

export interface CampaignOptions {
  signal?: AbortSignal;
  /** TTL of the lease the campaign grants (default 30 s): how long a dead leader keeps leading. */
  ttlSeconds?: number;
  /** Campaign under an existing lease instead (it is not revoked on resign). */
  lease?: Lease;
  logger?: Logger;
}

export interface LeaderInfo {
  candidateId: string;
  /** The leader's key, relative to the Kv's namespace. */
  key: string;
  /** Create revision of the leader's key: increases with every change of leader. */
  revision: number;
}

export interface Leadership extends LeaderInfo {
  readonly name: string;
  /** Aborts (reason: a Terrain error) when leadership is lost or resigned. */
  readonly lost: AbortSignal;
  readonly lease: Lease;
  /**
   * Gives leadership up: deletes the key, and revokes the lease when the campaign granted it.
   * Idempotent. Call it after `lost` aborted too: that stops the lease's keep-alive.
   */
  resign(options?: SignalOption): Promise<void>;
}

/** The key prefix of an election, relative to the Kv's namespace. */
export function electionPrefix(name: string): string {
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(name)) {
    throw platformErrors.invalidArgument(
      `election name "${name}" must be 1-200 letters, digits, ".", "_" or "-"`,
    );
  }
  return `elections/${name}/`;
}

/** Resolves once `candidateId` leads election `name`. */
export async function campaign(
  kv: Kv,
  name: string,
  candidateId: string,
  options: CampaignOptions = {},
): Promise<Leadership> {
  const prefix = electionPrefix(name);
  const ownLease = options.lease === undefined;
  const lease =
    options.lease ??
    (await grantLease(kv, {
      ...(options.ttlSeconds !== undefined ? { ttlSeconds: options.ttlSeconds } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    }));
  const key = `${prefix}${lease.hexId}`;
  const full = kv.fullKey(key);
  const label = `campaign for "${kv.prefix}${prefix}" as "${candidateId}"`;
  const signal = AbortSignal.any([lease.lost, ...(options.signal ? [options.signal] : [])]);
  let createRevision = 0;
  try {
    // Create our key unless this lease already campaigns (then take over its place in the queue).
    const res = await etcdCall(label, signal, () =>
      kv.client.kv.txn({
        compare: [{ key: full, target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [{ request_put: { key: full, value: Buffer.from(candidateId), lease: lease.id } }],
        failure: [{ request_range: { key: full } }],
      }),
    );
    if (res.succeeded) {
      createRevision = parseRevision(res.header.revision);
    } else {
      const existing = res.responses[0]?.response_range?.kvs[0];
      createRevision = parseRevision(existing?.create_revision);
      if (existing && existing.value.toString('utf8') !== candidateId) {
        await etcdCall(label, signal, () =>
          kv.client.kv.put({ key: full, value: Buffer.from(candidateId), lease: lease.id }),
        );
      }
    }
    await waitForPredecessors(kv, prefix, createRevision, signal, label);
  } catch (err) {
    // Leave the queue so nobody waits behind a candidate that gave up.
    await kv.delete(key).catch(() => undefined);
    if (ownLease) await lease.close().catch(() => undefined);
    if (options.signal?.aborted) throw cancelledError(label, options.signal);
    if (lease.lost.aborted) throw lease.lost.reason as TerrainError;
    throw toTerrainError(err, label);
  }
  return new LeadershipHandle(kv, name, candidateId, key, createRevision, lease, ownLease);
}

/** Waits until no candidate key created before ours remains. */
async function waitForPredecessors(
  kv: Kv,
  prefix: string,
  ownRevision: number,
  signal: AbortSignal,
  label: string,
): Promise<void> {
  const start = kv.fullKey(prefix);
  for (;;) {
    const res = await etcdCall(label, signal, () =>
      kv.client.kv.range({
        key: start,
        range_end: prefixEnd(start),
        max_create_revision: ownRevision - 1,
        sort_order: 'Descend',
        sort_target: 'Create',
        limit: 1,
        keys_only: true,
      }),
    );
    const predecessor = res.kvs[0];
    if (!predecessor) return;
    const key = kv.relativeKey(predecessor.key);
    let seen = false;
    for await (const ev of watchKey(kv, key, {
      fromRevision: parseRevision(res.header.revision) + 1,
      signal,
    })) {
      if (ev.type === 'delete') break;
      if (ev.type === 'reset') seen = false;
      if (ev.type === 'put') seen = true;
      if (ev.type === 'reset-end' && !seen) break;
    }
  }
}

class LeadershipHandle implements Leadership {
  readonly name: string;
  readonly candidateId: string;
  readonly key: string;
  readonly revision: number;
  readonly lease: Lease;
  readonly #kv: Kv;
  readonly #ownLease: boolean;
  readonly #keyGone = new AbortController();
  readonly #stopWatch = new AbortController();
  readonly #watch: Promise<void>;
  readonly lost: AbortSignal;
  #resigning: Promise<void> | undefined;

  constructor(
    kv: Kv,
    name: string,
    candidateId: string,
    key: string,
    revision: number,
    lease: Lease,
    ownLease: boolean,
  ) {
    this.#kv = kv;
    this.name = name;
    this.candidateId = candidateId;
    this.key = key;
    this.revision = revision;
    this.lease = lease;
    this.#ownLease = ownLease;
    this.lost = AbortSignal.any([lease.lost, this.#keyGone.signal]);
    this.#watch = this.#watchOwnKey();
  }

  /** Aborts `#keyGone` when our key is deleted (by lease expiry or by someone else). */
  async #watchOwnKey(): Promise<void> {
    const signal = AbortSignal.any([this.#stopWatch.signal, this.lost]);
    let seen = false;
    try {
      for await (const ev of watchKey(this.#kv, this.key, { fromRevision: this.revision + 1, signal })) {
        if (ev.type === 'put') seen = true;
        if (ev.type === 'reset') seen = false;
        if (ev.type === 'delete' || (ev.type === 'reset-end' && !seen)) {
          this.#keyGone.abort(
            platformErrors.aborted(
              `leadership of election "${this.name}" lost: key "${this.#kv.prefix}${this.key}" was deleted`,
            ),
          );
          return;
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      this.#keyGone.abort(toTerrainError(err, `watch leadership key "${this.#kv.prefix}${this.key}"`));
    }
  }

  resign(options: SignalOption = {}): Promise<void> {
    this.#resigning ??= (async () => {
      this.#stopWatch.abort();
      if (!this.#keyGone.signal.aborted) {
        this.#keyGone.abort(platformErrors.cancelled(`resigned from election "${this.name}"`));
      }
      await this.#watch;
      // Delete only our own incarnation of the key.
      await etcdCall(`resign from election "${this.name}"`, options.signal, () =>
        this.#kv.client.kv.txn({
          compare: [
            {
              key: this.#kv.fullKey(this.key),
              target: 'Create',
              result: 'Equal',
              create_revision: this.revision,
            },
          ],
          success: [{ request_delete_range: { key: this.#kv.fullKey(this.key) } }],
          failure: [],
        }),
      );
      if (this.#ownLease) await this.lease.close(options);
    })();
    return this.#resigning;
  }
}

/** The current leader of election `name`, or undefined when nobody campaigns. */
export async function currentLeader(
  kv: Kv,
  name: string,
  options: SignalOption & { revision?: number } = {},
): Promise<LeaderInfo | undefined> {
  const start = kv.fullKey(electionPrefix(name));
  const res = await etcdCall(`read the leader of election "${name}"`, options.signal, () =>
    kv.client.kv.range({
      key: start,
      range_end: prefixEnd(start),
      sort_order: 'Ascend',
      sort_target: 'Create',
      limit: 1,
      ...(options.revision !== undefined ? { revision: options.revision } : {}),
    }),
  );
  const kvs = res.kvs[0];
  if (!kvs) return undefined;
  return {
    candidateId: kvs.value.toString('utf8'),
    key: kv.relativeKey(kvs.key),
    revision: parseRevision(kvs.create_revision),
  };
}

/**
 * Yields the current leader (or undefined when there is none) at once and then every time it
 * changes, until `signal` aborts (CANCELLED) or the consumer breaks.
 */
export async function* observeLeader(
  kv: Kv,
  name: string,
  options: SignalOption = {},
): AsyncGenerator<LeaderInfo | undefined> {
  const signal = options.signal;
  const revision = await kv.revision(signal ? { signal } : {});
  let last = await currentLeader(kv, name, { revision, ...(signal ? { signal } : {}) });
  yield last;
  let inReset = false;
  for await (const ev of watchPrefix(kv, electionPrefix(name), {
    fromRevision: revision + 1,
    ...(signal ? { signal } : {}),
  })) {
    if (ev.type === 'reset') inReset = true;
    if (ev.type === 'reset-end') inReset = false;
    if (inReset) continue;
    const revisionNow = ev.type === 'delete' || ev.type === 'put' ? ev.modRevision : ev.revision;
    const leader = await currentLeader(kv, name, {
      revision: revisionNow,
      ...(signal ? { signal } : {}),
    }).catch((err: unknown) => {
      // The exact revision may be compacted already; the latest state is then the best answer.
      if ((err as { code?: unknown }).code === 'failed_precondition')
        return currentLeader(kv, name, signal ? { signal } : {});
      throw err;
    });
    if (leader?.key !== last?.key || leader?.candidateId !== last?.candidateId) {
      last = leader;
      yield leader;
    }
  }
}
