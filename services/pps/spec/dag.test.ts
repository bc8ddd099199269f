import assert from 'node:assert/strict';
import { isErrorCode } from '../../platform/errors.ts';
import { assertDag, checkDag, type DagState } from './dag.ts';
import { specIssues } from './errors.ts';
import { inputBranches, inputLeaves } from './inputs.ts';
import { validatePipelineSpec } from './validate.ts';

const spec = (name: string, input: unknown) =>
  validatePipelineSpec({ pipeline: { name }, transform: { cmd: ['sh'] }, input }).spec;

const state = (repos: string[], pipelines: Record<string, string[]>): DagState => ({
  repos: new Set(repos),
  pipelineOutputs: new Map(Object.entries(pipelines)),
});

describe('pipeline DAG checks', () => {
  it('passes when every input repo exists and nothing loops back', () => {
    const s = spec('c', { cross: [{ pfs: { repo: 'a', glob: '/' } }, { pfs: { repo: 'b', glob: '/' } }] });
    assert.deepEqual(checkDag(s, state(['a', 'b'], { b: ['a'] })), { missing: [], cycles: [] });
    assertDag(s, state(['a', 'b'], { b: ['a'] }));
  });

  it('reports each missing input repo at its path as NOT_FOUND, but not cron repos', () => {
    const s = spec('p', {
      cross: [
        { pfs: { repo: 'a', glob: '/' } },
        { pfs: { repo: 'nope', glob: '/' } },
        { cron: { name: 't', spec: '@daily' } },
      ],
    });
    const { missing, cycles } = checkDag(s, state(['a'], {}));
    assert.deepEqual(cycles, []);
    assert.deepEqual(missing, [
      {
        path: 'input.cross[1].pfs.repo',
        message: 'input repo "nope" not found; create it first (terrain create repo nope)',
      },
    ]);
    assert.throws(
      () => assertDag(s, state(['a'], {})),
      (e: unknown) =>
        isErrorCode(e, 'not_found') &&
        (e as { details: Record<string, string> }).details.json_path === 'input.cross[1].pfs.repo',
    );
  });

  it('reports a pipeline reading its own output', () => {
    const s = spec('p', { pfs: { repo: 'p', glob: '/' } });
    const { cycles } = checkDag(s, state(['p'], {}));
    assert.equal(cycles.length, 1);
    assert.equal(cycles[0]!.path, 'input.pfs.repo');
  });

  it('reports a cycle through other pipelines with the whole loop, as INVALID_ARGUMENT', () => {
    // An update of "a" to read "c", while c reads b and b reads a.
    const s = spec('a', { union: [{ pfs: { repo: 'raw', glob: '/' } }, { pfs: { repo: 'c', glob: '/' } }] });
    const existing = state(['raw', 'a', 'b', 'c'], { a: ['raw'], b: ['a'], c: ['b'] });
    const { cycles } = checkDag(s, existing);
    assert.deepEqual(cycles, [
      {
        path: 'input.union[1].pfs.repo',
        message: 'reading "c" makes a cycle: a → c → b → a (a pipeline cannot depend on its own output)',
      },
    ]);
    assert.throws(
      () => assertDag(s, existing),
      (e: unknown) =>
        isErrorCode(e, 'invalid_argument') && specIssues(e)?.[0]?.path === 'input.union[1].pfs.repo',
    );
  });

  it('uses the new inputs of the pipeline being updated, not its stored ones', () => {
    // Stored "a" reads "c" (which would loop); the update drops that input.
    const s = spec('a', { pfs: { repo: 'raw', glob: '/' } });
    assert.deepEqual(checkDag(s, state(['raw', 'a', 'c'], { a: ['c'], c: ['a'] })).cycles, []);
  });

  it('lists input leaves with their paths and the distinct input branches', () => {
    const s = spec('p', {
      cross: [
        { pfs: { repo: 'b', branch: 'dev', glob: '/' } },
        { union: [{ pfs: { repo: 'a', glob: '/*' } }, { pfs: { repo: 'a', name: 'a2', glob: '/' } }] },
        { cron: { name: 'tick', spec: '@hourly' } },
      ],
    });
    assert.deepEqual(
      [...inputLeaves(s.input)].map((l) => `${l.kind} ${l.path} ${l.repo}@${l.branch}`),
      [
        'pfs input.cross[0].pfs b@dev',
        'pfs input.cross[1].union[0].pfs a@master',
        'pfs input.cross[1].union[1].pfs a@master',
        'cron input.cross[2].cron p_tick@master',
      ],
    );
    assert.deepEqual(inputBranches(s.input), [
      { repo: 'a', branch: 'master' },
      { repo: 'b', branch: 'dev' },
      { repo: 'p_tick', branch: 'master' },
    ]);
  });
});
