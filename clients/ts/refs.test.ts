import assert from 'node:assert/strict';
import { isErrorCode } from '../../services/platform/errors.ts';
import {
  formatCommit,
  formatCommitRef,
  normalizePath,
  parseBranchRef,
  parseCommitRef,
  parseFileRef,
  parseRef,
  parseRepoName,
  parseRepoRef,
  toCommit,
  toFile,
} from './refs.ts';

const ID = '0123456789abcdef0123456789abcdef';

function assertInvalid(fn: () => unknown, fragment: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isErrorCode(err, 'invalid_argument'), `expected invalid_argument, got ${String(err)}`);
    const message = (err as Error).message;
    if (typeof fragment === 'string')
      assert.ok(message.includes(fragment), `"${message}" lacks "${fragment}"`);
    else assert.match(message, fragment);
    return true;
  });
}

describe('ref parsing', () => {
  it('reads a bare repo name', () => {
    assert.deepEqual(parseRef('images'), { repo: 'images', ancestors: 0 });
  });

  it('reads repo@branch as a branch head', () => {
    assert.deepEqual(parseCommitRef('images@master'), { repo: 'images', branch: 'master', ancestors: 0 });
  });

  it('reads a 32-hex ref as a commit ID, not a branch', () => {
    assert.deepEqual(parseCommitRef(`images@${ID}`), { repo: 'images', id: ID, ancestors: 0 });
  });

  it('lower-cases an upper-case commit ID', () => {
    assert.equal(parseCommitRef(`images@${ID.toUpperCase()}`).id, ID);
  });

  it('reads branch=ID as an ID disambiguated by its branch', () => {
    assert.deepEqual(parseCommitRef(`images@dev=${ID}`), {
      repo: 'images',
      branch: 'dev',
      id: ID,
      ancestors: 0,
    });
  });

  it('counts ancestors written with ^, ^N, ~ and ~N, adding them up', () => {
    assert.equal(parseCommitRef('r@master^').ancestors, 1);
    assert.equal(parseCommitRef('r@master^3').ancestors, 3);
    assert.equal(parseCommitRef('r@master~2').ancestors, 2);
    assert.equal(parseCommitRef('r@master^^~').ancestors, 3);
    assert.equal(parseCommitRef(`r@${ID}^2`).ancestors, 2);
  });

  it('refuses an ancestry count beyond uint32', () => {
    assertInvalid(() => parseCommitRef('r@master^4294967296'), 'too many ancestors');
  });

  it('reads a file ref and keeps a trailing slash that marks a directory', () => {
    assert.deepEqual(parseFileRef('r@master:/a/b/'), {
      commit: { repo: 'r', branch: 'master', ancestors: 0 },
      path: '/a/b/',
    });
  });

  it('adds the leading slash to a relative path and collapses repeated slashes', () => {
    assert.equal(parseFileRef('r@master:a//b').path, '/a/b');
    assert.equal(parseFileRef('r@master:').path, '/');
  });

  it('keeps colons and unicode inside the path', () => {
    assert.equal(parseFileRef('r@master:/données/日本:1.txt').path, '/données/日本:1.txt');
  });

  it('uses the default branch and path only when asked to', () => {
    assert.deepEqual(parseFileRef('r', { defaultBranch: 'master', defaultPath: '/' }), {
      commit: { repo: 'r', branch: 'master', ancestors: 0 },
      path: '/',
    });
    assertInvalid(() => parseFileRef('r@master'), 'the path is missing');
    assertInvalid(() => parseCommitRef('r'), 'the branch or commit is missing');
  });

  it('refuses "." and ".." segments and NUL bytes in paths', () => {
    assertInvalid(() => parseFileRef('r@master:/a/../b'), '".."');
    assertInvalid(() => parseFileRef('r@master:/./b'), '"."');
    assertInvalid(() => normalizePath('/a\0b'), 'NUL');
  });

  it('refuses paths longer than 4096 bytes', () => {
    assertInvalid(() => normalizePath('/' + 'é'.repeat(2100)), '4096 bytes');
  });

  it('names the offending part of a malformed ref', () => {
    assertInvalid(() => parseRef(''), 'it is empty');
    assertInvalid(() => parseRef('@master'), 'the repo name is missing');
    assertInvalid(() => parseRef('r@'), 'nothing follows "@"');
    assertInvalid(() => parseRef('-r@master'), 'repo name "-r"');
    assertInvalid(() => parseRef('r@ma ster'), '"ma ster" is neither a branch name');
    assertInvalid(() => parseRef('r@dev=123'), 'not a 32-character hex commit ID');
    assertInvalid(() => parseRef('r@master^x'), 'cannot read');
  });

  it('quotes the whole ref in the message', () => {
    assertInvalid(() => parseRef('bad repo@x'), /^client: invalid ref "bad repo@x": /);
  });

  it('refuses a repo name longer than 63 characters', () => {
    assert.equal(parseRepoName('a'.repeat(63)), 'a'.repeat(63));
    assertInvalid(() => parseRepoName('a'.repeat(64)), 'invalid repo name');
  });

  it('accepts only the forms each kind of ref allows', () => {
    assert.equal(parseRepoRef('images'), 'images');
    assertInvalid(() => parseRepoRef('images@master'), 'a repo name was expected');
    assert.deepEqual(parseBranchRef('images@dev'), { repo: 'images', branch: 'dev' });
    assertInvalid(() => parseBranchRef(`images@${ID}`), 'a branch name was expected');
    assertInvalid(() => parseBranchRef('images@dev^1'), 'a branch name was expected');
    assertInvalid(() => parseBranchRef('images@dev:/x'), 'a branch cannot have a path');
    assertInvalid(() => parseCommitRef('images@dev:/x'), 'without a path');
  });

  it('formats refs back into the syntax it reads', () => {
    for (const ref of ['r@master', `r@${ID}`, `r@dev=${ID}`, 'r@master^2']) {
      assert.equal(formatCommitRef(parseCommitRef(ref)), ref);
    }
  });

  it('converts refs to proto messages with every field set', () => {
    assert.deepEqual(toCommit(parseCommitRef('r@master^1')), {
      repo: { name: 'r' },
      id: '',
      branch: 'master',
      ancestors: 1,
    });
    assert.deepEqual(toFile(parseFileRef(`r@${ID}:/x`)), {
      commit: { repo: { name: 'r' }, id: ID, branch: '', ancestors: 0 },
      path: '/x',
      fileSetId: '',
    });
    assert.equal(formatCommit({ repo: { name: 'r' }, id: ID, branch: 'master', ancestors: 0 }), `r@${ID}`);
  });
});
