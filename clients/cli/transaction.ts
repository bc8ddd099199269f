/**
 * Transactions, as in pachctl: `start transaction` makes a staged transaction active (stored in the
 * context file, or given by TERRAIN_TRANSACTION); while one is active, `start commit`,
 * `finish commit`, `create branch` and `delete branch` append their operation to it instead of
 * running it, and `finish transaction` applies them all atomically under one global ID.
 * File writes (`put file`) are never part of a transaction (bytes are not; see transaction.proto):
 * they go to the commits the transaction opened, once it is finished.
 */
import {
  FinishTransactionResponse,
  TransactionInfo,
  type TransactionOp,
  type TransactionOpResult,
} from '../../proto/gen/terrain/pfs/v1/transaction.ts';
import { isCommitId } from '../ts/refs.ts';
import type { DeepPartial } from '../ts/rpc.ts';
import { formatBranch, formatCommit } from '../ts/refs.ts';
import { cliErrors, withJson, type Cli } from './cli.ts';
import { parseDuration, relativeTime } from './format.ts';

/**
 * When a transaction is active, appends `op` to it and returns its expected result; otherwise
 * returns undefined and the caller runs the operation itself.
 */
export async function appendToTransaction(
  cli: Cli,
  op: DeepPartial<TransactionOp>,
): Promise<TransactionOpResult | undefined> {
  const id = cli.activeTransaction();
  if (!id) return undefined;
  const response = await cli
    .client()
    .pfs.appendTransaction({ transaction: { id }, ops: [op] }, { signal: cli.signal });
  cli.note(`terrain: added to transaction ${id}; \`terrain finish transaction\` applies it`);
  return response.results[0] ?? {};
}

export function describeOp(op: TransactionOp): string {
  switch (op.op?.$case) {
    case 'startCommit':
      return `start commit ${formatBranch(op.op.value.branch)}`;
    case 'finishCommit':
      return `finish commit ${formatCommit(op.op.value.commit)}`;
    case 'addFileSet':
      return `add file set ${op.op.value.fileSetId} to ${formatCommit(op.op.value.commit)}`;
    case 'createBranch':
      return `create branch ${formatBranch(op.op.value.branch)}`;
    case 'deleteBranch':
      return `delete branch ${formatBranch(op.op.value.branch)}`;
    default:
      return 'unknown operation';
  }
}

export function describeResult(result: TransactionOpResult): string {
  switch (result.result?.$case) {
    case 'startCommit':
      return `started commit ${formatCommit(result.result.value.commit)}`;
    case 'finishCommit':
      return `finished commit ${formatCommit(result.result.value.commit)}`;
    case 'addFileSet':
      return 'added file set';
    case 'createBranch':
      return `created branch ${formatBranch(result.result.value.branchInfo?.branch)}`;
    case 'deleteBranch':
      return 'deleted branch';
    default:
      return 'done';
  }
}

function transactionId(cli: Cli, given: string | undefined): string {
  const id = given ?? cli.activeTransaction();
  if (!id)
    throw cliErrors.failedPrecondition('no transaction given and none is active (terrain start transaction)');
  if (!isCommitId(id))
    throw cliErrors.invalidArgument(
      `invalid transaction ID ${JSON.stringify(id)}: expected 32 hex characters`,
    );
  return id.toLowerCase();
}

/** Forgets the active transaction if it is `id` (after finish/delete). */
function clearActive(cli: Cli, id: string): void {
  if (cli.context()?.transaction === id) cli.updateContext({ transaction: undefined });
}

export function registerTransactionCommands(cli: Cli): void {
  cli
    .verb('start')
    .command('transaction')
    .description(
      'start a transaction and make it active: commit and branch commands join it until it is finished',
    )
    .option('--ttl <duration>', 'discard it when not used for this long (e.g. 10m, 1h)')
    .action(async (opts: { ttl?: string }, command) => {
      let ttl: { seconds: bigint; nanos: number } | undefined;
      if (opts.ttl !== undefined) {
        const ms = parseDuration(opts.ttl);
        if (ms === undefined || ms <= 0)
          cli.usageError(command, `--ttl must be a duration like 10m or 1h, not ${JSON.stringify(opts.ttl)}`);
        ttl = { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
      }
      const response = await cli.client().pfs.startTransaction(ttl ? { ttl } : {}, { signal: cli.signal });
      const id = response.transaction?.id ?? '';
      cli.updateContext({ transaction: id });
      if (cli.io.env['TERRAIN_TRANSACTION'])
        cli.note('terrain: note: TERRAIN_TRANSACTION is set and takes precedence over this transaction');
      await cli.out.line(id);
    });

  withJson(
    cli
      .verb('finish')
      .command('transaction')
      .description('apply a transaction (default: the active one) atomically')
      .argument('[id]', 'transaction ID'),
    'the result as one JSON object',
  ).action(async (given: string | undefined, opts: { json?: boolean }) => {
    const id = transactionId(cli, given);
    const response = await cli
      .client()
      .pfs.finishTransaction({ transaction: { id } }, { signal: cli.signal });
    clearActive(cli, id);
    if (opts.json) {
      await cli.out.json(FinishTransactionResponse.toJSON(response));
      return;
    }
    for (const result of response.results) await cli.out.line(describeResult(result));
  });

  cli
    .verb('delete')
    .command('transaction')
    .description('discard a transaction (default: the active one); nothing of it is applied')
    .argument('[id]', 'transaction ID')
    .action(async (given: string | undefined) => {
      const id = transactionId(cli, given);
      await cli.client().pfs.deleteTransaction({ transaction: { id } }, { signal: cli.signal });
      clearActive(cli, id);
    });

  withJson(
    cli.verb('list').command('transaction').description('list staged transactions, oldest first'),
  ).action(async (opts: { json?: boolean }) => {
    const active = cli.activeTransaction();
    const now = new Date();
    await cli.printList(
      opts.json,
      cli.client().pfs.listTransaction({}, { signal: cli.signal }),
      (info) => TransactionInfo.toJSON(info),
      ['TRANSACTION', 'STARTED', 'EXPIRES', 'OPS', 'ACTIVE'],
      (info) => [
        info.transaction?.id ?? '',
        relativeTime(info.started, now),
        relativeTime(info.expires, now),
        String(info.ops.length),
        info.transaction?.id === active ? '*' : '',
      ],
    );
  });

  withJson(
    cli
      .verb('inspect')
      .command('transaction')
      .description('describe a transaction (default: the active one)')
      .argument('[id]', 'transaction ID'),
    'one JSON object',
  ).action(async (given: string | undefined, opts: { json?: boolean }) => {
    const id = transactionId(cli, given);
    const info = await cli.client().pfs.inspectTransaction({ transaction: { id } }, { signal: cli.signal });
    await cli.printOne(
      opts.json,
      info,
      (i) => TransactionInfo.toJSON(i),
      (i) => [
        ['Transaction', i.transaction?.id ?? ''],
        ['Active', i.transaction?.id === cli.activeTransaction() ? 'yes' : 'no'],
        ['Started', relativeTime(i.started)],
        ['Expires', relativeTime(i.expires)],
        ...i.ops.map((op, n): [string, string] => [`Op ${n + 1}`, describeOp(op)]),
      ],
    );
  });

  cli
    .verb('stop')
    .command('transaction')
    .description('stop using the active transaction without discarding it (resume it later)')
    .action(() => {
      const id = cli.context()?.transaction;
      if (!id) throw cliErrors.failedPrecondition('no transaction is active');
      cli.updateContext({ transaction: undefined });
      cli.note(`terrain: transaction ${id} is no longer active (terrain resume transaction ${id})`);
    });

  cli
    .verb('resume')
    .command('transaction')
    .description('make a staged transaction active again')
    .argument('<id>', 'transaction ID')
    .action(async (given: string) => {
      const id = transactionId(cli, given);
      await cli.client().pfs.inspectTransaction({ transaction: { id } }, { signal: cli.signal });
      cli.updateContext({ transaction: id });
    });
}
