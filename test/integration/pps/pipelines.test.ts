import assert from 'node:assert/strict';
import { PipelineState } from '../../../proto/gen/terrain/pps/v1/pipeline.ts';
import { RepoType } from '../../../proto/gen/terrain/pfs/v1/repo.ts';
import { startTestCluster, type TestCluster } from './test-pps.ts';

const spec = (name: string, repo: string, extra: object = {}): string =>
  JSON.stringify({
    pipeline: { name },
    transform: { cmd: ['true'] },
    input: { pfs: { repo, glob: '/*' } },
    ...extra,
  });

describe('pps pipelines', function () {
  this.timeout(60_000);
  let c: TestCluster;

  beforeEach(async () => {
    c = await startTestCluster('pps-pipelines');
    await c.client.pfs.createRepo({ repo: { name: 'images' } });
  });
  afterEach(async () => {
    await c.stop();
  });

  it('refuses a bad glob naming its JSON path, and a missing input repo, creating nothing', async () => {
    await assert.rejects(
      c.client.pps.createPipeline({
        specJson: JSON.stringify({
          pipeline: { name: 'bad' },
          transform: { cmd: ['true'] },
          input: {
            cross: [
              { pfs: { repo: 'images', glob: '/*' } },
              { pfs: { repo: 'images', glob: '/[', name: 'b' } },
            ],
          },
        }),
      }),
      (err: Error & { code?: string }) =>
        err.code === 'invalid_argument' && /input\.cross\[1\]\.pfs\.glob/.test(err.message),
    );
    await assert.rejects(
      c.client.pps.createPipeline({ specJson: spec('p', 'nope') }),
      (err: Error & { code?: string }) => err.code === 'not_found' && /input\.pfs\.repo/.test(err.message),
    );
    const repos = [];
    for await (const r of c.client.pfs.listRepo({})) repos.push(r.repo?.name);
    assert.deepEqual(repos, ['images']);
  });

  it('creates the output repo and branch with provenance, and a dry run creates nothing', async () => {
    const dry = await c.client.pps.createPipeline({ specJson: spec('edges', 'images'), dryRun: true });
    assert.equal(dry.pipelineInfo?.pipeline?.name, 'edges');
    await assert.rejects(
      c.client.pps.inspectPipeline({ pipeline: { name: 'edges' } }),
      (e: { code?: string }) => e.code === 'not_found',
    );

    await c.client.pps.createPipeline({ specJson: spec('edges', 'images') });
    const repo = await c.client.pfs.inspectRepo({ repo: { name: 'edges' } });
    assert.equal(repo.type, RepoType.PIPELINE);
    const branch = await c.client.pfs.inspectBranch({ branch: { repo: { name: 'edges' }, name: 'master' } });
    assert.deepEqual(
      branch.provenance.map((b) => `${b.repo?.name}@${b.name}`),
      ['images@master'],
    );
    await assert.rejects(
      c.client.pps.createPipeline({ specJson: spec('edges', 'images') }),
      (e: { code?: string }) => e.code === 'already_exists',
    );
  });

  it('keeps the salt on update, changes it with reprocess, and keeps every spec version', async () => {
    const v1 = (await c.client.pps.createPipeline({ specJson: spec('p', 'images') })).pipelineInfo!;
    const v2 = (
      await c.client.pps.createPipeline({
        specJson: spec('p', 'images', { description: 'two' }),
        update: true,
      })
    ).pipelineInfo!;
    assert.equal(v2.version, 2n);
    assert.equal(v2.salt, v1.salt);
    const v3 = (
      await c.client.pps.createPipeline({ specJson: spec('p', 'images'), update: true, reprocess: true })
    ).pipelineInfo!;
    assert.notEqual(v3.salt, v1.salt);
    const old = await c.client.pps.inspectPipeline({ pipeline: { name: 'p' }, version: 2n });
    assert.equal(old.description, 'two');
    const all = [];
    for await (const p of c.client.pps.listPipeline({ pipeline: { name: 'p' }, history: -1n }))
      all.push(p.version);
    assert.deepEqual(all, [3n, 2n, 1n]);
  });

  it('stops and starts a pipeline, and refuses to delete one that others read without force', async () => {
    await c.client.pps.createPipeline({ specJson: spec('a', 'images') });
    await c.client.pps.createPipeline({ specJson: spec('b', 'a') });
    const stopped = await c.client.pps.stopPipeline({ pipeline: { name: 'a' } });
    assert.equal(stopped.pipelineInfo?.state, PipelineState.PAUSED);
    await assert.rejects(
      c.worker.registerWorker({ pipeline: { name: 'a' }, name: 'w' }),
      (e: { code?: string }) => e.code === 'failed_precondition',
    );
    const started = await c.client.pps.startPipeline({ pipeline: { name: 'a' } });
    assert.equal(started.pipelineInfo?.stopped, false);
    await assert.rejects(
      c.client.pps.deletePipeline({ pipeline: { name: 'a' } }),
      (e: Error & { code?: string }) => e.code === 'failed_precondition' && /"b"/.test(e.message),
    );
    assert.equal((await c.client.pps.deletePipeline({ pipeline: { name: 'b' } })).deleted, true);
    assert.equal((await c.client.pps.deletePipeline({ pipeline: { name: 'a' } })).deleted, true);
    const repos = [];
    for await (const r of c.client.pfs.listRepo({})) repos.push(r.repo?.name);
    assert.deepEqual(repos, ['images']);
  });
});
