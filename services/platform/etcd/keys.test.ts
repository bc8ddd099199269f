import assert from 'node:assert/strict';
import { isErrorCode } from '../errors.ts';
import { checkKey, checkNamespace, keyAfter, prefixEnd, toBytes } from './keys.ts';

describe('etcd key arithmetic', function () {
  it('ends a prefix range just past every key with that prefix', function () {
    assert.deepEqual([...prefixEnd(Buffer.from('/terrain/'))], [...Buffer.from('/terrain0')]);
    assert.deepEqual([...prefixEnd(Buffer.from([0x61, 0xff, 0xff]))], [0x62]);
    assert.deepEqual([...prefixEnd(Buffer.from([0x61, 0xfe]))], [0x61, 0xff]);
  });

  it('ends an all-0xff or empty prefix at the end of the keyspace', function () {
    assert.deepEqual([...prefixEnd(Buffer.from([0xff, 0xff]))], [0]);
    assert.deepEqual([...prefixEnd(Buffer.alloc(0))], [0]);
  });

  it('does not change the prefix it was given', function () {
    const prefix = Buffer.from([0x61, 0xff]);
    prefixEnd(prefix);
    assert.deepEqual([...prefix], [0x61, 0xff]);
  });

  it('starts the next page right after the last key', function () {
    const next = keyAfter(Buffer.from('a/b'));
    assert.ok(Buffer.compare(next, Buffer.from('a/b')) > 0);
    assert.ok(Buffer.compare(next, Buffer.from('a/b\x01')) < 0);
  });

  it('refuses empty keys, NUL bytes and namespaces without slashes', function () {
    assert.throws(
      () => checkKey(''),
      (e: unknown) => isErrorCode(e, 'invalid_argument'),
    );
    assert.equal(checkKey('', { allowEmpty: true }), '');
    assert.throws(
      () => checkKey('a\0b'),
      (e: unknown) => isErrorCode(e, 'invalid_argument'),
    );
    assert.throws(
      () => checkNamespace('terrain/'),
      (e: unknown) => isErrorCode(e, 'invalid_argument'),
    );
    assert.throws(
      () => checkNamespace('/terrain'),
      (e: unknown) => isErrorCode(e, 'invalid_argument'),
    );
    assert.equal(checkNamespace('/t/'), '/t/');
  });

  it('encodes strings as UTF-8 and views byte arrays without copying', function () {
    assert.deepEqual([...toBytes('é')], [0xc3, 0xa9]);
    const backing = new Uint8Array([1, 2, 3, 4]);
    const view = toBytes(backing.subarray(1, 3));
    assert.deepEqual([...view], [2, 3]);
    backing[1] = 9;
    assert.equal(view[0], 9);
  });
});
