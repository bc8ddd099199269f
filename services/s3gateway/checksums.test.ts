import assert from 'node:assert/strict';
import { createChecksum, type ChecksumAlgorithm } from './checksums.ts';

describe('s3gateway checksums', () => {
  it('computes the standard check values of "123456789" incrementally', () => {
    const expected: Record<ChecksumAlgorithm, string> = {
      crc32: 'cbf43926',
      crc32c: 'e3069283',
      crc64nvme: 'ae8b14860a799888',
      sha1: 'f7c3bc1d808e04732adf679965ccc34ca7ae3441',
      sha256: '15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225',
    };
    for (const [algorithm, hex] of Object.entries(expected) as [ChecksumAlgorithm, string][]) {
      const c = createChecksum(algorithm);
      c.update(Buffer.from('1234'));
      c.update(Buffer.from(''));
      c.update(Buffer.from('56789'));
      assert.equal(Buffer.from(c.digestBase64(), 'base64').toString('hex'), hex, algorithm);
    }
  });
});
