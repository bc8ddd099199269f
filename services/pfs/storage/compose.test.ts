import assert from 'node:assert/strict';
import type { IndexEntry } from './index-page.ts';
import { composeOps, composeSorted, type SourcedEntry } from './compose.ts';
import { toArray } from './test-helpers.ts';

const put = (path: string, data: string): IndexEntry => ({
  path,
  op: 'put',
  size: data.length,
  contentHash: `h(${data})`,
  refs: [{ chunk: data, offset: 0, length: data.length }],
  tag: '',
});
const append = (path: string, data: string): IndexEntry => ({ ...put(path, data), op: 'append' });
const del = (path: string): IndexEntry => ({
  path,
  op: 'delete',
  size: 0,
  contentHash: '',
  refs: [],
  tag: '',
});
const delPrefix = (path: string): IndexEntry => ({
  path,
  op: 'deletePrefix',
  size: 0,
  contentHash: '',
  refs: [],
  tag: '',
});
const show = (e: IndexEntry): string =>
  `${e.op} ${e.path} ${e.refs.map((r) => r.chunk).join('+')} ${e.contentHash}`.trim();

describe('composition of staged changes', () => {
  it('composes two changes to one path as the later one applied after the earlier', () => {
    assert.equal(show(composeOps(put('/a', 'x'), put('/a', 'y'))), 'put /a y h(y)');
    assert.equal(show(composeOps(put('/a', 'x'), del('/a'))), 'delete /a');
    assert.equal(show(composeOps(del('/a'), append('/a', 'y'))), 'put /a y h(y)');
    // The hash of a concatenation is unknown until merge reads the bytes.
    assert.equal(show(composeOps(put('/a', 'x'), append('/a', 'y'))), 'put /a x+y');
    assert.equal(show(composeOps(append('/a', 'x'), append('/a', 'y'))), 'append /a x+y');
    assert.equal(show(composeOps(put('/a', 'x'), append('/a', ''))), 'put /a x h(x)');
  });

  it('folds a stream sorted by (path, source): later directory deletes remove earlier writes, not later ones', async () => {
    const items: SourcedEntry[] = [
      { entry: delPrefix('/d/'), source: 1 },
      { entry: put('/d/a', '1'), source: 0 },
      { entry: delPrefix('/d/e/'), source: 3 },
      { entry: put('/d/e/f', '2'), source: 2 },
      { entry: put('/d/e/g', '3'), source: 4 },
      { entry: append('/d/z', '4'), source: 2 },
      { entry: put('/e', '5'), source: 0 },
      { entry: append('/e', '6'), source: 5 },
    ];
    const out = (await toArray(composeSorted(items))).map(show);
    assert.deepEqual(out, ['deletePrefix /d/', 'put /d/e/g 3 h(3)', 'append /d/z 4 h(4)', 'put /e 5+6']);
  });
});
