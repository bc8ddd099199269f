import assert from 'node:assert/strict';
import { BranchGraph, branchId } from './branch-graph.ts';
import { BranchRecord } from './records.ts';

function graph(edges: Record<string, string[]>): BranchGraph {
  return new BranchGraph(
    Object.entries(edges).map(([id, prov]) => {
      const [repo, name] = id.split('@') as [string, string];
      return {
        modRevision: 1,
        record: BranchRecord.fromPartial({
          repo,
          name,
          directProvenance: prov.map((p) => {
            const [r, n] = p.split('@') as [string, string];
            return { repo: r, name: n };
          }),
        }),
      };
    }),
  );
}

describe('the branch provenance graph', () => {
  const g = graph({
    'images@master': [],
    'labels@master': [],
    'edges@master': ['images@master'],
    'joined@master': ['edges@master', 'labels@master'],
    'model@master': ['joined@master', 'images@master'],
  });

  it('lists everything downstream in dependency order', () => {
    const down = g.downstream([branchId('images', 'master')]);
    assert.deepEqual(new Set(down), new Set(['edges@master', 'joined@master', 'model@master']));
    assert.ok(down.indexOf('edges@master') < down.indexOf('joined@master'));
    assert.ok(down.indexOf('joined@master') < down.indexOf('model@master'));
  });

  it('lists the full provenance of a branch', () => {
    assert.deepEqual(g.upstream('model@master'), [
      'edges@master',
      'images@master',
      'joined@master',
      'labels@master',
    ]);
    assert.deepEqual(g.upstream('images@master'), []);
  });

  it('refuses provenance that would make a cycle, naming both branches', () => {
    assert.throws(() => g.checkNoCycle('images@master', ['model@master']), /model@master would make a cycle/);
    assert.throws(() => g.checkNoCycle('images@master', ['images@master']), /itself/);
    g.checkNoCycle('labels@master', ['images@master']);
  });
});
