import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createProgress, renderProgressLine } from './progress.ts';

describe('transfer progress', () => {
  const started = 1_000_000;

  it('shows a bar, bytes, files, rate and ETA when totals are known', () => {
    const line = renderProgressLine(
      'put',
      { bytes: 5 * 1024 * 1024, files: 3, totalBytes: 10 * 1024 * 1024, totalFiles: 7, started },
      4,
      started + 2000,
      10,
    );
    assert.equal(line, 'put [█████░░░░░] 50% | 5.0 MiB/10.0 MiB | 3/7 files | 2.5 MiB/s | ETA 4.0s');
  });

  it('shows bytes, files and rate without a bar when the size is unknown (stdin, URLs)', () => {
    const line = renderProgressLine(
      'put',
      { bytes: 2048, files: 0, totalBytes: undefined, totalFiles: undefined, started },
      undefined,
      started + 1000,
    );
    assert.equal(line, 'put 2.0 KiB | 0 files | 2.0 KiB/s');
  });

  it('writes nothing when stderr is not a terminal', () => {
    const stream = new PassThrough();
    let written = 0;
    stream.on('data', (chunk: Buffer) => (written += chunk.length));
    const progress = createProgress({ label: 'get', stream });
    progress.setTotals({ bytes: 10, files: 1 });
    progress.addBytes(10);
    progress.fileDone();
    progress.stop();
    assert.equal(written, 0);
  });
});
