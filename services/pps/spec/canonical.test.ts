import assert from 'node:assert/strict';
import { canonicalJson, canonicalSpecJson, specHash } from './canonical.ts';
import { validatePipelineSpec } from './validate.ts';

const doc = (extra: Record<string, unknown> = {}) => ({
  pipeline: { name: 'p' },
  transform: { cmd: ['sh'], env: { B: '2', A: '1' } },
  input: { pfs: { repo: 'a', glob: '/*' } },
  ...extra,
});

describe('canonical specs', () => {
  it('sorts object keys at every level and keeps array order', () => {
    assert.equal(
      canonicalJson({ b: [3, { d: 1, c: 2 }], a: 'x', u: undefined }),
      '{"a":"x","b":[3,{"c":2,"d":1}]}',
    );
  });

  it('serializes equivalent specs identically: key order, defaults and duration spelling do not matter', () => {
    const a = validatePipelineSpec(doc({ datum_timeout: '90s' })).spec;
    const b = validatePipelineSpec({
      input: { pfs: { glob: '*', branch: 'master', repo: 'a', name: 'a' } },
      datum_tries: 3,
      datum_timeout: '1m30s',
      transform: { env: { A: '1', B: '2' }, cmd: ['sh'] },
      pipeline: { name: 'p' },
    }).spec;
    assert.equal(canonicalSpecJson(a), canonicalSpecJson(b));
    assert.equal(specHash(a), specHash(b));
    assert.match(specHash(a), /^[0-9a-f]{64}$/);
  });

  it('changes the hash when anything meaningful changes', () => {
    const base = specHash(validatePipelineSpec(doc()).spec);
    assert.notEqual(specHash(validatePipelineSpec(doc({ datum_tries: 4 })).spec), base);
    assert.notEqual(
      specHash(validatePipelineSpec({ ...doc(), input: { pfs: { repo: 'a', glob: '/*/*' } } }).spec),
      base,
    );
    assert.notEqual(
      specHash(validatePipelineSpec({ ...doc(), transform: { cmd: ['sh', '-c'] } }).spec),
      base,
    );
  });

  it('round-trips: the canonical JSON validates back to the same spec', () => {
    const spec = validatePipelineSpec(doc({ job_timeout: '2h', resource_limits: { memory: '1Gi' } })).spec;
    const again = validatePipelineSpec(JSON.parse(canonicalSpecJson(spec))).spec;
    assert.deepEqual(again, spec);
  });
});
