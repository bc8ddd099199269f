import assert from 'node:assert/strict';
import { isErrorCode } from '../../platform/errors.ts';
import { comparePaths, parentDirectories, prefixEnd, validateDirectory, validatePath } from './paths.ts';

function rejects(path: string, fragment: string): void {
  assert.throws(
    () => validatePath(path),
    (err: unknown) =>
      isErrorCode(err, 'invalid_argument') &&
      (err as Error).message.includes(fragment) &&
      (err as Error).message.includes(JSON.stringify(path).slice(0, 20)),
  );
}

describe('paths', () => {
  it('accepts normalized absolute paths, including non-ASCII ones', () => {
    for (const p of ['/', '/a', '/a/b.txt', '/dir with space/ü/日本/😀.bin', `/${'x'.repeat(255)}`])
      assert.equal(validatePath(p), p);
  });

  it('rejects relative, unnormalized, NUL-bearing, malformed and oversized paths with the offending value', () => {
    rejects('a/b', 'absolute');
    rejects('', 'absolute');
    rejects('/a//b', 'empty segments');
    rejects('/a/', 'end with "/"');
    rejects('/a/../b', '".."');
    rejects('/a/./b', '"."');
    rejects('/a\0b', 'NUL');
    rejects('/a\ud800b', 'lone surrogate');
    rejects(`/${'x'.repeat(256)}`, '255 bytes');
    rejects(`/${'é'.repeat(128)}`, '255 bytes'); // 256 bytes in UTF-8
    rejects(`/${Array.from({ length: 20 }, () => 'y'.repeat(250)).join('/')}`, '4096 bytes');
  });

  it('validates directories as a path plus a trailing slash', () => {
    assert.equal(validateDirectory('/'), '/');
    assert.equal(validateDirectory('/a/b/'), '/a/b/');
    assert.throws(
      () => validateDirectory('/a'),
      (e: unknown) => isErrorCode(e, 'invalid_argument'),
    );
    assert.throws(
      () => validateDirectory('/a//'),
      (e: unknown) => isErrorCode(e, 'invalid_argument'),
    );
  });

  it('orders paths exactly as their UTF-8 bytes, surrogate pairs included', () => {
    const alphabet = ['a', 'b', '/', '-', '0', 'é', '\uffee', '\ue000', '😀', '𝄞', '\u0001'];
    const rnd = (() => {
      let s = 7;
      return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
    })();
    const strings = Array.from({ length: 400 }, () =>
      Array.from(
        { length: 1 + Math.floor(rnd() * 5) },
        () => alphabet[Math.floor(rnd() * alphabet.length)],
      ).join(''),
    );
    for (let i = 0; i < strings.length; i++) {
      for (let j = 0; j < 40; j++) {
        const a = strings[i]!;
        const b = strings[(i * 31 + j) % strings.length]!;
        assert.equal(
          Math.sign(comparePaths(a, b)),
          Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))),
          `${a} vs ${b}`,
        );
      }
    }
  });

  it('computes the end of a directory range and the directories a path implies', () => {
    assert.equal(prefixEnd('/a/'), '/a0');
    assert.ok(comparePaths('/a/zzz/\uffff', prefixEnd('/a/')) < 0);
    assert.ok(comparePaths('/a0', prefixEnd('/a/')) >= 0);
    assert.deepEqual(parentDirectories('/a/b/c'), ['/', '/a/', '/a/b/']);
  });
});
