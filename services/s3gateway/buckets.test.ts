import assert from 'node:assert/strict';
import { isS3Error } from './errors.ts';
import { keyProblem, keyToWritablePath, parseBucket } from './buckets.ts';

describe('s3gateway bucket names and keys', () => {
  it('maps repo, branch.repo and commit.branch.repo', () => {
    assert.deepEqual(parseBucket('images'), { name: 'images', repo: 'images', branch: 'master' });
    assert.deepEqual(parseBucket('dev_2.My-Repo'), {
      name: 'dev_2.My-Repo',
      repo: 'My-Repo',
      branch: 'dev_2',
    });
    const id = '0123456789abcdef0123456789abcdef';
    assert.deepEqual(parseBucket(`${id}.master.images`), {
      name: `${id}.master.images`,
      commit: id,
      branch: 'master',
      repo: 'images',
    });
  });

  it('refuses every other name with InvalidBucketName naming it', () => {
    for (const name of [
      '',
      'a.b.c.d',
      '-x',
      'x.-y',
      'a b',
      'x'.repeat(64),
      'ABCDEF.master.images',
      '0123.master.images',
      'a..b',
      '.a',
    ]) {
      assert.throws(
        () => parseBucket(name),
        (err: unknown) =>
          isS3Error(err) && err.code === 'InvalidBucketName' && err.message.includes(JSON.stringify(name)),
        name,
      );
    }
  });

  it('maps keys to pfs paths and names why a key cannot be stored', () => {
    assert.equal(keyToWritablePath('a/b c.txt'), '/a/b c.txt');
    assert.equal(keyProblem('ok/key'), undefined);
    assert.match(keyProblem('dir/') ?? '', /directory markers/);
    assert.match(keyProblem('a//b') ?? '', /empty segment/);
    assert.match(keyProblem('/lead') ?? '', /empty segment/);
    assert.match(keyProblem('a/../b') ?? '', /"\.\."/);
    assert.match(keyProblem('nul\0') ?? '', /NUL/);
    assert.throws(
      () => keyToWritablePath('k'.repeat(1025)),
      (err: unknown) => isS3Error(err) && err.code === 'KeyTooLongError',
    );
    assert.throws(
      () => keyToWritablePath('a//b'),
      (err: unknown) => isS3Error(err) && err.code === 'InvalidArgument',
    );
  });
});
