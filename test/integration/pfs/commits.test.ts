import assert from 'node:assert/strict';
import { CommitOrigin, CommitState } from '../../../proto/gen/terrain/pfs/v1/commit.ts';
import type { Commit } from '../../../proto/gen/terrain/pfs/v1/refs.ts';
import { startTestPfs, type TestPfs } from './test-pfs.ts';

const repo = (name: string) => ({ name });
const branch = (r: string, name = 'master') => ({ repo: repo(r), name });
const commitOf = (r: string, id: string): Commit => ({ repo: repo(r), id, branch: '', ancestors: 0 });
const onBranch = (r: string, b = 'master', ancestors = 0): Commit => ({
  repo: repo(r),
  id: '',
  branch: b,
  ancestors,
});

function rejectsWith(code: string, pattern: RegExp) {
  return (err: Error & { code?: string }) => {
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    assert.match(err.message, pattern);
    return true;
  };
}

describe('pfs repos, branches and commits (real etcd + Swift, over gRPC)', function () {
  let t: TestPfs;

  beforeEach(async function () {
    t = await startTestPfs('commits');
  });
  afterEach(async () => {
    await t.stop();
  });

  async function start(r: string, b = 'master'): Promise<string> {
    const res = await t.call(t.client.startCommit, { branch: branch(r, b), description: '' });
    return res.commit!.id;
  }
  async function finish(r: string, id: string): Promise<void> {
    await t.call(t.client.finishCommit, {
      commit: commitOf(r, id),
      description: '',
      error: '',
      force: false,
    });
  }
  const inspect = (c: Commit, wait = 0) =>
    t.call(t.client.inspectCommit, { commit: c, wait: wait as CommitState });

  it('creates, lists, inspects and deletes repos', async () => {
    await t.call(t.client.createRepo, {
      repo: repo('images'),
      description: 'cats',
      update: false,
      type: 0,
      pipeline: '',
    });
    await t.call(t.client.createRepo, {
      repo: repo('labels'),
      description: '',
      update: false,
      type: 0,
      pipeline: '',
    });
    const names = (await t.collect(t.client.listRepo, { type: 0 })).map((r) => r.repo!.name);
    assert.deepEqual(names, ['images', 'labels']);
    const info = await t.call(t.client.inspectRepo, { repo: repo('images') });
    assert.equal(info.description, 'cats');
    await assert.rejects(
      t.call(t.client.createRepo, {
        repo: repo('images'),
        description: '',
        update: false,
        type: 0,
        pipeline: '',
      }),
      rejectsWith('already_exists', /repo "images" already exists/),
    );
    await t.call(t.client.deleteRepo, { repo: repo('labels'), force: false });
    await assert.rejects(
      t.call(t.client.inspectRepo, { repo: repo('labels') }),
      rejectsWith('not_found', /repo "labels" not found/),
    );
  });

  it('refuses invalid repo and branch names with INVALID_ARGUMENT, changing nothing', async () => {
    for (const bad of ['', 'a/b', '..', 'x'.repeat(64), 'sp ace']) {
      await assert.rejects(
        t.call(t.client.createRepo, {
          repo: repo(bad),
          description: '',
          update: false,
          type: 0,
          pipeline: '',
        }),
        (err: Error & { code?: string }) => err.code === 'invalid_argument',
      );
    }
    await t.call(t.client.createRepo, {
      repo: repo('data'),
      description: '',
      update: false,
      type: 0,
      pipeline: '',
    });
    await assert.rejects(
      t.call(t.client.startCommit, { branch: branch('data', 'bad/branch'), description: '' }),
      rejectsWith('invalid_argument', /invalid branch name "bad\/branch"/),
    );
    assert.deepEqual(
      (await t.collect(t.client.listRepo, { type: 0 })).map((r) => r.repo!.name),
      ['data'],
    );
    assert.deepEqual(await t.collect(t.client.listBranch, { repo: repo('data') }), []);
  });

  it('names what is missing with NOT_FOUND', async () => {
    await assert.rejects(inspect(onBranch('nope')), rejectsWith('not_found', /repo "nope" not found/));
    await t.call(t.client.createRepo, {
      repo: repo('data'),
      description: '',
      update: false,
      type: 0,
      pipeline: '',
    });
    await assert.rejects(
      inspect(onBranch('data', 'dev')),
      rejectsWith('not_found', /branch "dev" not found in repo "data"/),
    );
    await assert.rejects(
      inspect(commitOf('data', '0123456789abcdef0123456789abcdef')),
      rejectsWith('not_found', /commit data@0123456789abcdef0123456789abcdef not found/),
    );
  });

  it('moves a commit through STARTED and FINISHED, and resolves branch^N refs', async () => {
    await t.call(t.client.createRepo, {
      repo: repo('data'),
      description: '',
      update: false,
      type: 0,
      pipeline: '',
    });
    const first = await start('data');
    assert.equal((await inspect(commitOf('data', first))).state, CommitState.STARTED);
    await finish('data', first);
    const second = await start('data');
    await finish('data', second);
    const info = await inspect(onBranch('data'));
    assert.equal(info.commit!.id, second);
    assert.equal(info.state, CommitState.FINISHED);
    assert.equal(info.parentCommit!.id, first);
    assert.equal((await inspect(onBranch('data', 'master', 1))).commit!.id, first);
    await assert.rejects(
      inspect(onBranch('data', 'master', 2)),
      rejectsWith('not_found', /only 1 ancestors/),
    );
    await assert.rejects(
      finish('data', second),
      rejectsWith('failed_precondition', new RegExp(`data@${second} is finished`)),
    );
    const history = await t.collect(t.client.listCommit, {
      repo: repo('data'),
      from: onBranch('data'),
      to: undefined,
      number: 0n,
      reverse: false,
      all: false,
      origin: 0,
      startedBefore: undefined,
    });
    assert.deepEqual(
      history.map((c) => c.commit!.id),
      [second, first],
    );
  });

  it('waits for a commit to finish', async () => {
    await t.call(t.client.createRepo, {
      repo: repo('data'),
      description: '',
      update: false,
      type: 0,
      pipeline: '',
    });
    const id = await start('data');
    const waited = inspect(commitOf('data', id), CommitState.FINISHED);
    await new Promise((r) => setTimeout(r, 200));
    await finish('data', id);
    const info = await waited;
    assert.equal(info.state, CommitState.FINISHED);
    assert.ok(info.finished instanceof Date);
  });

  it('propagates one global ID along branch provenance, with exact provenance', async () => {
    for (const name of ['images', 'labels', 'edges', 'joined']) {
      await t.call(t.client.createRepo, {
        repo: repo(name),
        description: '',
        update: false,
        type: 0,
        pipeline: '',
      });
    }
    const labelsHead = await start('labels');
    await finish('labels', labelsHead);
    await t.call(t.client.createBranch, {
      branch: branch('edges'),
      head: undefined,
      provenance: [branch('images')],
    });
    await t.call(t.client.createBranch, {
      branch: branch('joined'),
      head: undefined,
      provenance: [branch('edges'), branch('labels')],
    });
    // Creating `joined` over data already in `labels` opened a commit on it.
    const initial = await inspect(onBranch('joined'));
    assert.equal(initial.origin, CommitOrigin.AUTO);
    assert.deepEqual(
      initial.directProvenance.map((c) => `${c.repo!.name}@${c.id}`),
      [`labels@${labelsHead}`],
    );
    await finish('joined', initial.commit!.id); // what a pipeline's first job would do

    const id = await start('images');
    const edges = await inspect(onBranch('edges'));
    const joined = await inspect(onBranch('joined'));
    assert.equal(edges.commit!.id, id);
    assert.equal(joined.commit!.id, id);
    assert.equal(edges.origin, CommitOrigin.AUTO);
    assert.deepEqual(
      edges.directProvenance.map((c) => `${c.repo!.name}@${c.id}`),
      [`images@${id}`],
    );
    assert.deepEqual(
      joined.directProvenance.map((c) => `${c.repo!.name}@${c.id}`).sort(),
      [`edges@${id}`, `labels@${labelsHead}`].sort(),
    );
    const set = await t.collect(t.client.inspectCommitSet, { commitSet: { id }, wait: false });
    assert.deepEqual(
      set.map((c) => c.commit!.repo!.name),
      ['edges', 'images', 'joined'],
    );
    // An output branch cannot be written directly.
    await assert.rejects(
      t.call(t.client.startCommit, { branch: branch('edges'), description: '' }),
      rejectsWith('failed_precondition', /edges@master has provenance/),
    );
    // A downstream commit cannot finish before its input, unless forced.
    await assert.rejects(
      finish('edges', id),
      rejectsWith('failed_precondition', new RegExp(`input images@${id} is not finished`)),
    );
    await finish('images', id);
    await finish('edges', id);
    await finish('joined', id);
    const done = await t.collect(t.client.inspectCommitSet, { commitSet: { id }, wait: true });
    assert.ok(done.every((c) => c.state === CommitState.FINISHED));
    const sets = await t.collect(t.client.listCommitSet, {
      repo: undefined,
      number: 0n,
      createdBefore: undefined,
    });
    assert.equal(sets[0]!.commitSet!.id, id, 'the newest commit set comes first');
  });

  it('keeps a linear history when many commits race on one branch', async () => {
    await t.call(t.client.createRepo, {
      repo: repo('race'),
      description: '',
      update: false,
      type: 0,
      pipeline: '',
    });
    const ids = await Promise.all(Array.from({ length: 12 }, () => start('race')));
    assert.equal(new Set(ids).size, 12);
    const history = await t.collect(t.client.listCommit, {
      repo: repo('race'),
      from: onBranch('race'),
      to: undefined,
      number: 0n,
      reverse: false,
      all: false,
      origin: 0,
      startedBefore: undefined,
    });
    assert.equal(history.length, 12, 'every racing commit is in the branch history');
    assert.deepEqual(new Set(history.map((c) => c.commit!.id)), new Set(ids));
    for (let i = 0; i < history.length - 1; i++) {
      assert.equal(history[i]!.parentCommit!.id, history[i + 1]!.commit!.id);
    }
    // Finishing them newest-first still completes every one: children wait for their parents.
    for (const c of history) await finish('race', c.commit!.id);
    for (const c of history) {
      assert.equal(
        (await inspect(commitOf('race', c.commit!.id), CommitState.FINISHED)).state,
        CommitState.FINISHED,
      );
    }
  });

  it('drops a commit without children and refuses one with children', async () => {
    await t.call(t.client.createRepo, {
      repo: repo('data'),
      description: '',
      update: false,
      type: 0,
      pipeline: '',
    });
    const a = await start('data');
    await finish('data', a);
    const b = await start('data');
    await finish('data', b);
    await assert.rejects(
      t.call(t.client.dropCommit, { commit: commitOf('data', a), recursive: false }),
      rejectsWith('failed_precondition', /has children/),
    );
    await t.call(t.client.dropCommit, { commit: commitOf('data', b), recursive: false });
    assert.equal((await inspect(onBranch('data'))).commit!.id, a, 'the branch head moved back to the parent');
  });

  it('squashes a commit into its children and refuses one without', async () => {
    await t.call(t.client.createRepo, {
      repo: repo('data'),
      description: '',
      update: false,
      type: 0,
      pipeline: '',
    });
    const a = await start('data');
    await finish('data', a);
    const b = await start('data');
    await finish('data', b);
    const c = await start('data');
    await finish('data', c);
    await assert.rejects(
      t.call(t.client.squashCommit, { commit: commitOf('data', c), recursive: false }),
      rejectsWith('failed_precondition', /no children/),
    );
    await t.call(t.client.squashCommit, { commit: commitOf('data', b), recursive: false });
    assert.equal((await inspect(commitOf('data', c))).parentCommit!.id, a);
    await assert.rejects(inspect(commitOf('data', b)), rejectsWith('not_found', /not found/));
  });

  it('deletes a repo others depend on only with force, naming the dependents', async () => {
    await t.call(t.client.createRepo, {
      repo: repo('raw'),
      description: '',
      update: false,
      type: 0,
      pipeline: '',
    });
    await t.call(t.client.createRepo, {
      repo: repo('clean'),
      description: '',
      update: false,
      type: 0,
      pipeline: '',
    });
    await t.call(t.client.createBranch, {
      branch: branch('clean'),
      head: undefined,
      provenance: [branch('raw')],
    });
    await assert.rejects(
      t.call(t.client.deleteRepo, { repo: repo('raw'), force: false }),
      rejectsWith('failed_precondition', /clean@master has provenance on it/),
    );
    await t.call(t.client.deleteRepo, { repo: repo('raw'), force: true });
    const info = await t.call(t.client.inspectBranch, { branch: branch('clean') });
    assert.deepEqual(info.directProvenance, []);
    // The name can be used again at once.
    await t.call(t.client.createRepo, {
      repo: repo('raw'),
      description: '',
      update: false,
      type: 0,
      pipeline: '',
    });
  });
});
