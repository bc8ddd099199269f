import assert from 'node:assert/strict';
import { parseRepoSpec } from './mount-spec.ts';

describe('parseRepoSpec', () => {
  it('reads repo, repo@branch, repo@branch+w and repo@commit', () => {
    assert.deepEqual(parseRepoSpec('images'), {
      name: 'images',
      repo: 'images',
      branch: 'master',
      writeRequested: false,
    });
    assert.deepEqual(parseRepoSpec('images@dev'), {
      name: 'images',
      repo: 'images',
      branch: 'dev',
      writeRequested: false,
    });
    assert.deepEqual(parseRepoSpec('images@dev+w'), {
      name: 'images',
      repo: 'images',
      branch: 'dev',
      writeRequested: true,
    });
    const id = '0123456789abcdef0123456789abcdef';
    assert.deepEqual(parseRepoSpec(`images@${id}`), {
      name: 'images',
      repo: 'images',
      commitId: id,
      writeRequested: false,
    });
  });

  it('refuses a writable commit and malformed names', () => {
    assert.throws(() => parseRepoSpec('images@0123456789abcdef0123456789abcdef+w'), /commits are read-only/);
    assert.throws(() => parseRepoSpec('bad name'), /invalid repo/);
    assert.throws(() => parseRepoSpec('images@'), /invalid branch/);
  });
});
