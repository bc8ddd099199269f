import assert from 'node:assert/strict';
import { CommitState } from '../../../proto/gen/terrain/pfs/v1/commit.ts';
import type { TransactionOp } from '../../../proto/gen/terrain/pfs/v1/transaction.ts';
import { startTestPfs, type TestPfs } from './test-pfs.ts';

const repo = (name: string) => ({ name });
const branch = (r: string, name = 'master') => ({ repo: repo(r), name });
const onBranch = (r: string, b = 'master') => ({ repo: repo(r), id: '', branch: b, ancestors: 0 });
const startOp = (r: string): TransactionOp => ({
  op: {
    $case: 'startCommit',
    value: { branch: branch(r), parent: undefined, description: '', expectedHead: undefined },
  },
});
const finishOp = (r: string): TransactionOp => ({
  op: { $case: 'finishCommit', value: { commit: onBranch(r), description: '', error: '', force: false } },
});

describe('pfs transactions (real etcd + Swift, over gRPC)', function () {
  let t: TestPfs;
  beforeEach(async () => {
    t = await startTestPfs('tx');
    for (const name of ['a', 'b', 'c']) {
      await t.call(t.client.createRepo, {
        repo: repo(name),
        description: '',
        update: false,
        type: 0,
        pipeline: '',
      });
    }
  });
  afterEach(async () => {
    await t.stop();
  });

  it('opens and finishes commits in several repos under one global ID, atomically', async () => {
    const res = await t.call(t.client.runTransaction, {
      ops: [startOp('a'), startOp('b'), finishOp('a'), finishOp('b')],
    });
    const id = res.transaction!.id;
    for (const r of ['a', 'b']) {
      const info = await t.call(t.client.inspectCommit, { commit: onBranch(r), wait: CommitState.FINISHED });
      assert.equal(info.commit!.id, id);
    }
    const members = await t.collect(t.client.inspectCommitSet, { commitSet: { id }, wait: false });
    assert.deepEqual(
      members.map((c) => c.commit!.repo!.name),
      ['a', 'b'],
    );
  });

  it('applies nothing when one operation fails, and names it', async () => {
    await assert.rejects(
      t.call(t.client.runTransaction, { ops: [startOp('a'), startOp('missing')] }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'not_found');
        assert.match(err.message, /operation 2 \(startCommit\): repo "missing" not found/);
        return true;
      },
    );
    assert.deepEqual(
      await t.collect(t.client.listBranch, { repo: repo('a') }),
      [],
      'no commit was opened on a',
    );
  });

  it('stages operations until FinishTransaction, and applies them once', async () => {
    const { transaction } = await t.call(t.client.startTransaction, { ttl: undefined });
    await t.call(t.client.appendTransaction, { transaction, ops: [startOp('a')] });
    await t.call(t.client.appendTransaction, { transaction, ops: [startOp('c')] });
    assert.deepEqual(
      await t.collect(t.client.listBranch, { repo: repo('a') }),
      [],
      'nothing applied before finish',
    );
    const listed = await t.collect(t.client.listTransaction, {});
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.ops.length, 2);
    const done = await t.call(t.client.finishTransaction, { transaction });
    assert.equal(done.results.length, 2);
    for (const r of ['a', 'c']) {
      assert.equal(
        (await t.call(t.client.inspectCommit, { commit: onBranch(r), wait: 0 })).commit!.id,
        transaction!.id,
      );
    }
    await assert.rejects(
      t.call(t.client.finishTransaction, { transaction }),
      (err: Error & { code?: string }) => err.code === 'not_found',
    );
  });

  it('refuses to append an operation that cannot apply, keeping the rest', async () => {
    const { transaction } = await t.call(t.client.startTransaction, { ttl: undefined });
    await t.call(t.client.appendTransaction, { transaction, ops: [startOp('a')] });
    await assert.rejects(
      t.call(t.client.appendTransaction, { transaction, ops: [startOp('a')] }),
      /already has a commit in repo "a"/,
    );
    const info = await t.call(t.client.inspectTransaction, { transaction });
    assert.equal(info.ops.length, 1);
    await t.call(t.client.deleteTransaction, { transaction });
    assert.deepEqual(await t.collect(t.client.listTransaction, {}), []);
  });
});
