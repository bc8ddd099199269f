/** gRPC handlers for transactions; proto operations are converted to domain `TxOp`s here. */
import type { Logger } from 'pino';
import type { PfsServer } from '../../../proto/gen/terrain/pfs/v1/pfs.ts';
import type {
  TransactionInfo,
  TransactionOp,
  TransactionOpResult,
} from '../../../proto/gen/terrain/pfs/v1/transaction.ts';
import { serverStream, unary } from '../../platform/grpc-handlers.ts';
import { pfsErrors } from '../errors.ts';
import type { Branches } from '../branches.ts';
import type { StagedTransaction, StagedTransactions, Transactions, TxOp, TxResult } from '../transactions.ts';
import { DEFAULT_STAGED_TTL_MS } from '../transactions.ts';
import { branchFrom, toBranchInfo, toCommit } from './convert.ts';
import { commitRefFromProto } from './convert-files.ts';

type TxMethods =
  | 'runTransaction'
  | 'startTransaction'
  | 'appendTransaction'
  | 'finishTransaction'
  | 'inspectTransaction'
  | 'listTransaction'
  | 'deleteTransaction';

export function toTxOp(op: TransactionOp, index: number): TxOp {
  const body = op.op;
  switch (body?.$case) {
    case 'startCommit': {
      const { repo, name } = branchFrom(body.value.branch);
      return {
        kind: 'startCommit',
        repo,
        branch: name,
        ...(body.value.parent?.id ? { parent: body.value.parent.id } : {}),
        ...(body.value.description ? { description: body.value.description } : {}),
      };
    }
    case 'finishCommit':
      return {
        kind: 'finishCommit',
        ref: commitRefFromProto(body.value.commit, 'commit'),
        ...(body.value.error ? { error: body.value.error } : {}),
        ...(body.value.description ? { description: body.value.description } : {}),
        force: body.value.force,
      };
    case 'addFileSet':
      if (!body.value.fileSetId)
        throw pfsErrors.invalidArgument(`operation ${index + 1}: add_file_set needs a file_set_id`);
      return {
        kind: 'addFileSet',
        ref: commitRefFromProto(body.value.commit, 'commit'),
        fileSetId: body.value.fileSetId,
      };
    case 'createBranch': {
      const { repo, name } = branchFrom(body.value.branch);
      const head = body.value.head;
      return {
        kind: 'createBranch',
        repo,
        name,
        ...(head
          ? {
              head: {
                repo: head.repo?.name ?? repo,
                ...(head.branch ? { branch: head.branch } : {}),
                ...(head.id ? { id: head.id } : {}),
              },
            }
          : {}),
        provenance: body.value.provenance.map(branchFrom),
      };
    }
    case 'deleteBranch': {
      const { repo, name } = branchFrom(body.value.branch);
      return { kind: 'deleteBranch', repo, name, force: body.value.force };
    }
    default:
      throw pfsErrors.invalidArgument(
        `operation ${index + 1} is empty: set one of start_commit, finish_commit, add_file_set, create_branch, delete_branch`,
      );
  }
}

function fromTxOp(op: TxOp): TransactionOp {
  switch (op.kind) {
    case 'startCommit':
      return {
        op: {
          $case: 'startCommit',
          value: {
            branch: { repo: { name: op.repo }, name: op.branch },
            parent: op.parent ? toCommit(op.repo, op.parent) : undefined,
            description: op.description ?? '',
            expectedHead: undefined,
          },
        },
      };
    case 'finishCommit':
      return {
        op: {
          $case: 'finishCommit',
          value: {
            commit: refToCommit(op.ref),
            description: op.description ?? '',
            error: op.error ?? '',
            force: op.force ?? false,
          },
        },
      };
    case 'addFileSet':
      return { op: { $case: 'addFileSet', value: { commit: refToCommit(op.ref), fileSetId: op.fileSetId } } };
    case 'createBranch':
      return {
        op: {
          $case: 'createBranch',
          value: {
            branch: { repo: { name: op.repo }, name: op.name },
            head: op.head
              ? {
                  repo: { name: op.head.repo },
                  id: op.head.id ?? '',
                  branch: op.head.branch ?? '',
                  ancestors: 0,
                }
              : undefined,
            provenance: op.provenance.map((p) => ({ repo: { name: p.repo }, name: p.name })),
          },
        },
      };
    case 'deleteBranch':
      return {
        op: {
          $case: 'deleteBranch',
          value: { branch: { repo: { name: op.repo }, name: op.name }, force: op.force },
        },
      };
  }
}

function refToCommit(ref: { repo: string; branch?: string; id?: string; ancestors?: number }) {
  return {
    repo: { name: ref.repo },
    id: ref.id ?? '',
    branch: ref.branch ?? '',
    ancestors: ref.ancestors ?? 0,
  };
}

export function transactionHandlers(deps: {
  transactions: Transactions;
  staged: StagedTransactions;
  branches: Branches;
  logger: Logger;
}): Pick<PfsServer, TxMethods> {
  const { transactions, staged, branches, logger } = deps;
  /** Results in the proto shape: each op's result under its own case. */
  const results = async (
    ops: TxOp[],
    rs: TxResult[],
    signal: AbortSignal,
  ): Promise<TransactionOpResult[]> => {
    const out: TransactionOpResult[] = [];
    for (const [i, r] of rs.entries()) {
      const op = ops[i]!;
      if (r.kind === 'branch') {
        const info = await branches.inspect(r.repo, r.name, { signal }).catch(() => undefined);
        out.push({
          result: { $case: 'createBranch', value: { branchInfo: info ? toBranchInfo(info) : undefined } },
        });
      } else if (r.kind === 'commit') {
        const commit = toCommit(r.commit.repo, r.commit.id, r.commit.branch);
        const value =
          op.kind === 'finishCommit'
            ? ({ $case: 'finishCommit', value: { commit } } as const)
            : op.kind === 'addFileSet'
              ? ({ $case: 'addFileSet', value: { commit } } as const)
              : ({ $case: 'startCommit', value: { commit } } as const);
        out.push({ result: value });
      } else out.push({ result: { $case: 'deleteBranch', value: { deleted: true } } });
    }
    return out;
  };
  const info = (tx: StagedTransaction): TransactionInfo => ({
    transaction: { id: tx.id },
    ops: tx.ops.map(fromTxOp),
    started: new Date(tx.startedMs),
    expires: new Date(tx.expiresMs),
  });
  return {
    runTransaction: unary(logger, 'RunTransaction', async (req, { signal }) => {
      const ops = req.ops.map(toTxOp);
      const { id, results: rs } = await transactions.run(ops, { signal });
      return { transaction: { id }, results: await results(ops, rs, signal) };
    }),
    startTransaction: unary(logger, 'StartTransaction', async (req, { signal }) => {
      const ttlMs = req.ttl ? Number(req.ttl.seconds) * 1000 + Math.floor(req.ttl.nanos / 1e6) : 0;
      const tx = await staged.start(ttlMs > 0 ? ttlMs : DEFAULT_STAGED_TTL_MS, { signal });
      return { transaction: { id: tx.id } };
    }),
    appendTransaction: unary(logger, 'AppendTransaction', async (req, { signal }) => {
      const id = txId(req.transaction);
      const ops = req.ops.map(toTxOp);
      const { tx, results: rs } = await staged.append(id, ops, { signal });
      return { results: await results(ops, rs, signal), transactionInfo: info(tx) };
    }),
    finishTransaction: unary(logger, 'FinishTransaction', async (req, { signal }) => {
      const id = txId(req.transaction);
      const current = await staged.inspect(id, { signal });
      const { results: rs } = await staged.finish(id, { signal });
      return { transaction: { id }, results: await results(current.ops, rs, signal) };
    }),
    inspectTransaction: unary(logger, 'InspectTransaction', async (req, { signal }) =>
      info(await staged.inspect(txId(req.transaction), { signal })),
    ),
    listTransaction: serverStream(logger, 'ListTransaction', async function* (_req, { signal }) {
      for await (const tx of staged.list({ signal })) yield info(tx);
    }),
    deleteTransaction: unary(logger, 'DeleteTransaction', async (req, { signal }) => ({
      deleted: await staged.delete(txId(req.transaction), { signal }),
    })),
  };
}

function txId(t: { id: string } | undefined): string {
  if (!t?.id) throw pfsErrors.invalidArgument('transaction ID is missing');
  return t.id;
}
