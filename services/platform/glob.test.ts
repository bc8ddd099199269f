import assert from 'node:assert/strict';
import { compileGlob } from './glob.ts';
import { isErrorCode } from './errors.ts';

function check(pattern: string, yes: string[], no: string[]): void {
  const g = compileGlob(pattern);
  for (const p of yes) assert.equal(g.matches(p), true, `${pattern} should match ${p}`);
  for (const p of no) assert.equal(g.matches(p), false, `${pattern} should not match ${p}`);
}

function rejects(pattern: string, fragment: RegExp): void {
  assert.throws(
    () => compileGlob(pattern),
    (e: unknown) =>
      isErrorCode(e, 'invalid_argument') &&
      (e as Error).message.includes(JSON.stringify(pattern)) &&
      fragment.test((e as Error).message),
    `pattern ${JSON.stringify(pattern)} should be refused`,
  );
}

describe('glob', () => {
  it('matches the root only with "/"', () => {
    check('/', ['/'], ['/a', '/a/b']);
    assert.equal(compileGlob('/**').matches('/'), false);
    assert.equal(compileGlob('/*').matchesDirectory('/'), false);
  });

  it('keeps "*" inside one segment', () => {
    check('/*', ['/a', '/a.csv', '/.hidden', '/dir/'], ['/', '/a/b', '/dir/x']);
    check('/*/*', ['/a/b', '/dir/sub/'], ['/a', '/a/b/c']);
    check('/data/*.csv', ['/data/x.csv', '/data/.csv'], ['/data/x.tsv', '/data/s/x.csv', '/datax.csv']);
    check('/a*b', ['/ab', '/aXXb'], ['/a/b', '/aXb/c']);
  });

  it('lets "**" cross segments', () => {
    check('/**', ['/a', '/a/b', '/a/b/c/'], ['/']);
    check('/**.csv', ['/a.csv', '/x/y/z.csv'], ['/a.tsv', '/x/y.csv/z']);
    check('/a/**/b', ['/a/x/b', '/a/x/y/b'], ['/a/b', '/b', '/a/x/bc']);
    check('/a/**', ['/a/x', '/a/x/y'], ['/a', '/b/x']);
  });

  it('matches one non-separator character with "?"', () => {
    check('/?', ['/a', '/é', '/😀'], ['/', '/ab', '/a/b']);
    check('/a?c', ['/abc', '/a-c'], ['/a/c', '/ac', '/abbc']);
  });

  it('supports character classes, ranges and negation, never matching "/"', () => {
    check('/[abc]', ['/a', '/c'], ['/d', '/ab']);
    check('/[a-c]x', ['/ax', '/bx', '/cx'], ['/dx', '/x']);
    check('/[!a-c]', ['/d', '/z', '/-'], ['/a', '/b', '/']);
    check('/[^a]', ['/b'], ['/a']);
    check('/x[/]y', [], ['/x/y']);
    check('/x[!y]z', ['/xaz'], ['/x/z', '/xyz']);
    check('/[-a]', ['/-', '/a'], ['/b']);
    check('/[a-]', ['/-', '/a'], ['/b']);
    check('/[\\]]', ['/]'], ['/a']);
    check('/[😀-😂]', ['/😁'], ['/a']);
  });

  it('supports {a,b} alternatives, nested, with wildcards inside', () => {
    check('/{a,b}', ['/a', '/b'], ['/c', '/ab']);
    check('/data/*.{csv,tsv}', ['/data/x.csv', '/data/y.tsv'], ['/data/x.json']);
    check('/{a,b/{c,d*}}', ['/a', '/b/c', '/b/dx'], ['/b', '/b/e', '/a/c']);
    check('/x{,y}', ['/x', '/xy'], ['/xz']);
    check('/{**.csv,top}', ['/top', '/a/b.csv'], ['/a/top']);
  });

  it('treats escaped characters, "]", "," and regex metacharacters literally', () => {
    check('/a\\*b', ['/a*b'], ['/aXb']);
    check('/\\{x\\}', ['/{x}'], ['/x']);
    check('/a]b', ['/a]b'], ['/ab']);
    check('/a,b', ['/a,b'], ['/a']);
    check('/a.b(c)+$^|', ['/a.b(c)+$^|'], ['/aXb(c)+$^|']);
    check('/a-b', ['/a-b'], ['/ab']);
  });

  it('normalizes a missing leading "/" and a trailing "/"', () => {
    assert.equal(compileGlob('*').pattern, '/*');
    check('*', ['/a'], ['/a/b']);
    assert.equal(compileGlob('/a/*/').pattern, '/a/*');
    check('/a/*/', ['/a/b', '/a/b/'], ['/a']);
    assert.equal(compileGlob('a/b').pattern, '/a/b');
  });

  it('matches directory paths with or without their trailing slash', () => {
    const g = compileGlob('/*/');
    assert.equal(g.matchesDirectory('/dir/'), true);
    assert.equal(g.matchesDirectory('/dir'), true);
    assert.equal(g.matchesDirectory('/dir/sub/'), false);
    assert.equal(compileGlob('/').matchesDirectory('/'), true);
  });

  it('reports the literal prefix and the deepest directory that holds every match', () => {
    const cases: [string, string, string][] = [
      ['/data/2024-*/x', '/data/2024-', '/data/'],
      ['/data/file.csv', '/data/file.csv', '/data/'],
      ['/*', '/', '/'],
      ['/', '/', '/'],
      ['/{a,b}/x', '/', '/'],
      ['/a\\*/b*', '/a*/b', '/a*/'],
      ['**', '/', '/'],
    ];
    for (const [pattern, prefix, dir] of cases) {
      const g = compileGlob(pattern);
      assert.equal(g.prefix, prefix, pattern);
      assert.equal(g.directoryPrefix, dir, pattern);
    }
  });

  it('every match starts with the literal prefix', () => {
    const paths = ['/data/2024-01/x', '/data/2024-02/x', '/data/2023/x', '/data/file.csv', '/other'];
    for (const pattern of ['/data/2024-*/x', '/data/*', '/data/file.csv', '/d*']) {
      const g = compileGlob(pattern);
      for (const p of paths)
        if (g.matches(p)) assert.ok(p.startsWith(g.prefix), `${p} does not start with ${g.prefix}`);
    }
  });

  it('bounds the depth of matches unless the pattern contains "**"', () => {
    assert.equal(compileGlob('/').maxDepth, 0);
    assert.equal(compileGlob('/*').maxDepth, 1);
    assert.equal(compileGlob('/*/*').maxDepth, 2);
    assert.equal(compileGlob('/{a,b/c/d}').maxDepth, 3);
    assert.equal(compileGlob('/a/**').maxDepth, undefined);
    assert.equal(compileGlob('/{a,**}').maxDepth, undefined);
    assert.equal(compileGlob('/[/]').maxDepth, 1);
  });

  it('refuses malformed patterns with INVALID_ARGUMENT naming the pattern', () => {
    rejects('', /empty/);
    rejects('/a[bc', /unclosed "\["/);
    rejects('/a[', /unclosed "\["/);
    rejects('/a{b,c', /unclosed "\{"/);
    rejects('/{a,{b}', /unclosed "\{"/);
    rejects('/a}', /unmatched "}"/);
    rejects('/[]', /empty character class|unclosed/);
    rejects('/[!]', /empty character class|unclosed/);
    rejects('/[z-a]', /reversed range/);
    rejects('/a\\', /unescaped/);
  });

  it('treats a path containing regex metacharacters and newlines as plain text', () => {
    check('/*', ['/a\nb'], ['/a/\nb']);
    check('/**', ['/x/\n/y'], []);
  });
});
