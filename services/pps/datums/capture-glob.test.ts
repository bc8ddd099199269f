import assert from 'node:assert/strict';
import { isErrorCode } from '../../platform/errors.ts';
import { compileGlob } from '../../platform/glob.ts';
import { compileCaptureGlob, expandTemplate, parseTemplate } from './capture-glob.ts';

describe('capture globs', () => {
  it('agrees with platform/glob.ts on every pattern without parentheses', () => {
    const patterns = [
      '/',
      '/*',
      '/*/*',
      '/**',
      '/a/**',
      '/**/b',
      '*.csv',
      '/data/*.{csv,tsv}',
      '/[a-c]?',
      '/[!a]*',
      '/x\\*y',
      '/{a,b/*}',
      '/d/',
      '/a/**/z.txt',
      '/[^/]',
    ];
    const paths = [
      '/',
      '/a',
      '/a/',
      '/b',
      '/a/b',
      '/a/b/c',
      '/data/x.csv',
      '/data/x.tsv',
      '/data/sub/x.csv',
      '/x*y',
      '/xzy',
      '/ab',
      '/b/q',
      '/d',
      '/a/z.txt',
      '/a/q/z.txt',
      '/c1',
      '/.csv',
      '/z',
    ];
    for (const p of patterns) {
      const ours = compileCaptureGlob(p);
      const theirs = compileGlob(p);
      assert.equal(ours.pattern, theirs.pattern, p);
      assert.equal(ours.prefix, theirs.prefix, `prefix of ${p}`);
      assert.equal(ours.maxDepth, theirs.maxDepth, `maxDepth of ${p}`);
      for (const path of paths) assert.equal(ours.matches(path), theirs.matches(path), `${p} on ${path}`);
    }
  });

  it('captures parenthesized groups, numbered left to right', () => {
    const g = compileCaptureGlob('/*/(*).txt');
    assert.equal(g.groups, 1);
    assert.deepEqual(g.capture('/a/b.txt'), ['/a/b.txt', 'b']);
    assert.equal(g.capture('/a/b.csv'), undefined);
    const two = compileCaptureGlob('/(*)-(*)/(**)');
    assert.deepEqual(two.capture('/x-y/p/q'), ['/x-y/p/q', 'x', 'y', 'p/q']);
    assert.equal(two.maxDepth, undefined);
  });

  it('supports alternatives and extglob quantifiers inside groups', () => {
    const g = compileCaptureGlob('/test/a*(a|b)/*(*).go');
    assert.deepEqual(g.capture('/test/aaaa/x.go'), ['/test/aaaa/x.go', 'aaa', 'x']);
    assert.deepEqual(compileCaptureGlob('/(a|b)(1|2)').capture('/b1'), ['/b1', 'b', '1']);
    assert.deepEqual(compileCaptureGlob('/x?(y)z').capture('/xz'), ['/xz', '']);
    assert.deepEqual(compileCaptureGlob('/x+(ab)').capture('/xabab'), ['/xabab', 'abab']);
    assert.equal(compileCaptureGlob('/x+(ab)').matches('/x'), false);
    assert.deepEqual(compileCaptureGlob('/@(a|bc)').capture('/bc'), ['/bc', 'bc']);
    assert.deepEqual(compileCaptureGlob('/{a,(b)}').capture('/b'), ['/b', 'b']);
    assert.deepEqual(compileCaptureGlob('/\\(x\\)').capture('/(x)'), ['/(x)']);
  });

  it('ignores a trailing slash on directory paths and captures from the bare path', () => {
    const g = compileCaptureGlob('/(*)');
    assert.deepEqual(g.capture('/dir/'), ['/dir', 'dir']);
    assert.equal(g.replace('/dir/', 'k-$1'), 'k-dir');
    assert.deepEqual(compileCaptureGlob('/').capture('/'), ['/']);
    assert.equal(compileCaptureGlob('/*').matches('/'), false);
  });

  it('refuses repeated groups that could split a path in many ways (exponential backtracking)', () => {
    for (const p of ['/*(a|*)x', '/+(?*)x', '/+({a,b*})', '/*(a|aa)x', '/*(?(a))x', '/*()x']) {
      assert.throws(
        () => compileCaptureGlob(p),
        /repeated group at offset 1 must be a single "\*", or alternatives of one fixed length/,
        p,
      );
    }
    // A single free star is compiled as one `[^/]*`; fixed-length alternatives split uniquely.
    const slow = `/${'ab'.repeat(120)}`;
    for (const p of ['/+(*)x', '/*(a|b)x', '/*([a-c]|?)x', '/*(ab|c?)x']) {
      const g = compileCaptureGlob(p);
      const start = process.hrtime.bigint();
      assert.equal(g.matches(slow), false, p);
      assert.ok(process.hrtime.bigint() - start < 500_000_000n, `${p} took too long`);
    }
    assert.ok(compileCaptureGlob('/*([a-c]|?)x').matches('/abzx'));
  });

  it('expands templates with .NET substitution rules, as Pachyderm does', () => {
    const groups = ['/a/b', 'x', 'y'];
    assert.equal(expandTemplate('$1', groups), 'x');
    assert.equal(expandTemplate('$1$2', groups), 'xy');
    assert.equal(expandTemplate('$1x', groups), 'xx', 'digits end where the group numbers end');
    assert.equal(expandTemplate('${2}0', groups), 'y0');
    assert.equal(expandTemplate('$$1', groups), '$1');
    assert.equal(expandTemplate('$&|$_', groups), '/a/b|/a/b');
    assert.equal(expandTemplate('$3', groups), '$3', 'an unknown group stays literal');
    assert.equal(expandTemplate('cost: $', groups), 'cost: $');
    assert.equal(expandTemplate('$x', groups), '$x');
    const many = ['w', ...Array.from({ length: 12 }, (_, i) => `g${i + 1}`)];
    assert.equal(expandTemplate('$12', many), 'g12');
    assert.equal(expandTemplate('$13', many), 'g13', 'the longest valid number wins');
    assert.deepEqual(parseTemplate('$3-$1-${9}', 2).unknownGroups, ['$3', '${9}']);
  });

  it('refuses malformed patterns naming them, like platform/glob.ts', () => {
    for (const [p, why] of [
      ['', /must not be empty/],
      ['/(a', /unclosed "\("/],
      ['/a)', /unmatched "\)"/],
      ['/!(a)', /negated groups/],
      ['/[', /unclosed "\["/],
      ['/{a', /unclosed "\{"/],
      ['/a}', /unmatched "\}"/],
      ['/a\\', /unescaped/],
    ] as const) {
      assert.throws(
        () => compileCaptureGlob(p),
        (e: unknown) => isErrorCode(e, 'invalid_argument') && why.test((e as Error).message),
        `${p} should be refused`,
      );
    }
  });
});
