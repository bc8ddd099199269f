/**
 * Transactions: several operations on several repos applied as ONE etcd transaction, under ONE
 * global ID (the transaction's ID is the commit-set ID of every commit it opens).
 *
 * Each operation is planned by the same code that runs it alone (`planStart`, `planFinish`, …),
 * on one shared unit of work whose overlay lets later operations see earlier ones. Nothing is
 * written until every operation has been planned; then everything is committed at once, or — when
 * a concurrent change touched anything that was read — planned again from fresh reads.
 *
 * Staged transactions (Start/Append/Finish) keep their operations in etcd under
 * `transactions/<id>` until finished, discarded or expired; finishing deletes that record in the
 * same etcd transaction that applies the operations, so a transaction is applied at most once.
 */
import type { Branches } from './branches.ts';
import type { CommitRef } from './commit-access.ts';
import type { CommitStore, SignalOptions } from './commit-store.ts';
import type { Commits } from './commits.ts';
import { pfsErrors } from './errors.ts';
import { commitId, newCommitId, type CommitId } from './names.ts';
import type { CommitRecord } from './records.ts';
import type { RootHash } from './storage/index.ts';
import { UnitOfWork } from './unit-of-work.ts';

export type TxOp =
  | { kind: 'startCommit'; repo: string; branch: string; parent?: string; description?: string }
  | { kind: 'finishCommit'; ref: CommitRef; error?: string; description?: string; force?: boolean }
  | { kind: 'addFileSet'; ref: CommitRef; fileSetId: string }
  | {
      kind: 'createBranch';
      repo: string;
      name: string;
      head?: { repo: string; branch?: string; id?: string };
      provenance: { repo: string; name: string }[];
    }
  | { kind: 'deleteBranch'; repo: string; name: string; force: boolean };

export type TxResult =
  | { kind: 'commit'; commit: CommitRecord }
  | { kind: 'branch'; repo: string; name: string }
  | { kind: 'deleted' };

/** The most operations one transaction may hold. */
export const MAX_TX_OPS = 100;
const MAX_ATTEMPTS = 30;

export interface TransactionsDeps {
  store: CommitStore;
  commits: Commits;
  branches: Branches;
  /** The layers of a live file-set handle; NOT_FOUND when it expired. */
  fileSetLayers: (id: string, options: SignalOptions) => Promise<RootHash[]>;
}

export class Transactions {
  readonly #deps: TransactionsDeps;

  constructor(deps: TransactionsDeps) {
    this.#deps = deps;
  }

  /** Applies `ops` atomically under a new global ID; see the file comment. */
  async run(
    ops: readonly TxOp[],
    options: SignalOptions & { id?: CommitId; also?: (uow: UnitOfWork) => void } = {},
  ): Promise<{ id: CommitId; results: TxResult[] }> {
    checkCount(ops.length);
    const id = options.id ?? newCommitId();
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      options.signal?.throwIfAborted();
      const uow = new UnitOfWork(this.#deps.store.kv);
      const results = await this.plan(uow, ops, id, options);
      options.also?.(uow);
      if (await uow.commit(options)) {
        await this.#completeFinished(results, ops, options);
        return { id, results };
      }
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(100, 5 * attempt)));
    }
    throw pfsErrors.aborted(`transaction ${id} kept conflicting with concurrent writers; retry`);
  }

  /** Plans every operation into `uow` (nothing is written). Errors name the failing operation. */
  async plan(
    uow: UnitOfWork,
    ops: readonly TxOp[],
    id: CommitId,
    options: SignalOptions,
  ): Promise<TxResult[]> {
    const { commits, branches } = this.#deps;
    const store = this.#deps.store.in(uow);
    const results: TxResult[] = [];
    for (const [index, op] of ops.entries()) {
      try {
        switch (op.kind) {
          case 'startCommit':
            results.push({
              kind: 'commit',
              commit: await commits.planStart(uow, store, { ...op, ...options }, id, options),
            });
            break;
          case 'finishCommit':
            results.push({
              kind: 'commit',
              commit: await commits.planFinish(uow, store, op.ref, { ...op, ...options }),
            });
            break;
          case 'addFileSet': {
            const layers = await this.#deps.fileSetLayers(op.fileSetId, options);
            const { commit } = await commits.planAddStaged(
              uow,
              store,
              op.ref,
              layers,
              { autoStart: false },
              options,
            );
            results.push({ kind: 'commit', commit });
            break;
          }
          case 'createBranch':
            results.push({
              kind: 'branch',
              ...(await branches.planCreate(uow, store, op.repo, op.name, id, { ...op, ...options })),
            });
            break;
          case 'deleteBranch':
            await branches.planDelete(uow, store, op.repo, op.name, { ...options, force: op.force });
            results.push({ kind: 'deleted' });
            break;
        }
      } catch (err) {
        if (err instanceof Error && 'code' in err && 'service' in err) {
          err.message = `pfs: operation ${index + 1} (${op.kind}): ${err.message.replace(/^pfs: /, '')}`;
        }
        throw err;
      }
    }
    return results;
  }

  /** Completes the commits the transaction finished (their merge runs after the etcd commit). */
  async #completeFinished(results: TxResult[], ops: readonly TxOp[], options: SignalOptions): Promise<void> {
    for (const [i, op] of ops.entries()) {
      const r = results[i];
      if (op.kind === 'finishCommit' && r?.kind === 'commit')
        await this.#deps.commits.complete(r.commit.repo, r.commit.id, options);
    }
  }

  /** Validates `ops` against the current state without applying them (for AppendTransaction). */
  async dryRun(ops: readonly TxOp[], id: string, options: SignalOptions = {}): Promise<TxResult[]> {
    checkCount(ops.length);
    return await this.plan(new UnitOfWork(this.#deps.store.kv), ops, commitId(id), options);
  }
}

function checkCount(n: number): void {
  if (n === 0) throw pfsErrors.invalidArgument('a transaction needs at least one operation');
  if (n > MAX_TX_OPS)
    throw pfsErrors.invalidArgument(`a transaction holds at most ${MAX_TX_OPS} operations, not ${n}`);
}

/** A transaction being assembled (StartTransaction … FinishTransaction). */
export interface StagedTransaction {
  id: CommitId;
  ops: TxOp[];
  startedMs: number;
  expiresMs: number;
}

export const DEFAULT_STAGED_TTL_MS = 10 * 60 * 1000;

/**
 * Staged transactions, one etcd record each at `transactions/<id>`. The record is JSON of the
 * validated operations (at most MAX_TX_OPS small entries, so it stays far below the record limit);
 * it is the one pfs record that is not protobuf, because it holds a list of domain operations that
 * exist only until the transaction is finished.
 */
export class StagedTransactions {
  readonly #tx: Transactions;
  readonly #store: CommitStore;
  readonly #now: () => number;

  constructor(deps: { transactions: Transactions; store: CommitStore; now?: () => number }) {
    this.#tx = deps.transactions;
    this.#store = deps.store;
    this.#now = deps.now ?? Date.now;
  }

  #key(id: string): string {
    return `transactions/${commitId(id)}`;
  }

  async start(ttlMs = DEFAULT_STAGED_TTL_MS, options: SignalOptions = {}): Promise<StagedTransaction> {
    const now = this.#now();
    const tx: StagedTransaction = { id: newCommitId(), ops: [], startedMs: now, expiresMs: now + ttlMs };
    await this.#store.kv.put(this.#key(tx.id), JSON.stringify(tx), options);
    return tx;
  }

  async inspect(
    id: string,
    options: SignalOptions = {},
  ): Promise<StagedTransaction & { modRevision: number }> {
    const entry = await this.#store.kv.get(this.#key(id), options);
    const tx = entry
      ? (JSON.parse(Buffer.from(entry.value).toString('utf8')) as StagedTransaction)
      : undefined;
    if (!entry || !tx || tx.expiresMs < this.#now()) {
      throw pfsErrors.notFound(`transaction ${id} not found (it was finished, discarded or expired)`);
    }
    return { ...tx, modRevision: entry.modRevision };
  }

  async *list(options: SignalOptions = {}): AsyncGenerator<StagedTransaction> {
    const now = this.#now();
    for await (const e of this.#store.kv.list('transactions/', options)) {
      const tx = JSON.parse(Buffer.from(e.value).toString('utf8')) as StagedTransaction;
      if (tx.expiresMs >= now) yield tx;
    }
  }

  /** Validates `ops` against the current state (with the ops already staged) and stages them. */
  async append(
    id: string,
    ops: TxOp[],
    options: SignalOptions = {},
  ): Promise<{ tx: StagedTransaction; results: TxResult[] }> {
    const current = await this.inspect(id, options);
    const all = [...current.ops, ...ops];
    const results = await this.#tx.dryRun(all, id, options);
    const ttl = current.expiresMs - current.startedMs;
    const tx: StagedTransaction = {
      id: current.id,
      ops: all,
      startedMs: current.startedMs,
      expiresMs: this.#now() + ttl,
    };
    const { succeeded } = await this.#store.kv
      .txn()
      .ifModRevision(this.#key(id), current.modRevision)
      .put(this.#key(id), JSON.stringify(tx))
      .commit(options);
    if (!succeeded) throw pfsErrors.aborted(`transaction ${id} changed while appending to it; retry`);
    return { tx, results: results.slice(current.ops.length) };
  }

  /** Applies the staged operations atomically and removes the transaction in the same etcd transaction. */
  async finish(id: string, options: SignalOptions = {}): Promise<{ id: CommitId; results: TxResult[] }> {
    const current = await this.inspect(id, options);
    if (current.ops.length === 0) {
      await this.#store.kv.delete(this.#key(id), options);
      return { id: current.id, results: [] };
    }
    return await this.#tx.run(current.ops, {
      ...options,
      id: current.id,
      also: (uow) => uow.expect(this.#key(id), current.modRevision).delete(this.#key(id)),
    });
  }

  async delete(id: string, options: SignalOptions = {}): Promise<boolean> {
    await this.inspect(id, options);
    return (await this.#store.kv.delete(this.#key(id), options)).deleted;
  }
}
