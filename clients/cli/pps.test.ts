import assert from 'node:assert/strict';
import { drawDag, parseJobRef, specToJson } from './pps.ts';

describe('cli pps helpers', () => {
  it('draws a chain and a fan-out under their source repo', () => {
    const text = drawDag([
      { name: 'edges', inputs: ['images'] },
      { name: 'montage', inputs: ['edges', 'images'] },
      { name: 'stats', inputs: ['edges'] },
    ]);
    assert.equal(text, ['images', '├─▶ edges', '│   ├─▶ montage', '│   └─▶ stats', '└─▶ montage'].join('\n'));
  });

  it('converts a YAML spec to JSON and leaves JSON alone', () => {
    assert.deepEqual(JSON.parse(specToJson('pipeline:\n  name: p\ntransform:\n  cmd: [cp]\n')), {
      pipeline: { name: 'p' },
      transform: { cmd: ['cp'] },
    });
    assert.equal(specToJson('{"a":1}'), '{"a":1}');
  });

  it('parses pipeline@job and refuses a job without its pipeline', () => {
    assert.deepEqual(parseJobRef('edges@abc'), { pipeline: { name: 'edges' }, id: 'abc' });
    assert.throws(() => parseJobRef('abc'), /pipeline@jobID/);
  });
});
