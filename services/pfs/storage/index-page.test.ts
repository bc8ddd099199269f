import assert from 'node:assert/strict';
import { isErrorCode } from '../../platform/errors.ts';
import { sha256Sync } from './hash.ts';
import { decodePage, encodePage, type IndexEntry, type IndexPage } from './index-page.ts';

const h = (s: string): string => sha256Sync(Buffer.from(s));

describe('index pages', () => {
  it('round-trips leaf entries of every op, with tags, unicode keys and sizes beyond 2^32', () => {
    const entries: IndexEntry[] = [
      { path: '/a', op: 'put', size: 0, contentHash: h(''), refs: [], tag: '' },
      {
        path: '/a/b',
        op: 'append',
        size: 2 ** 33 + 5,
        contentHash: '',
        refs: [
          { chunk: h('c1'), offset: 0, length: 2 ** 33 },
          { chunk: h('c2'), offset: 7, length: 5 },
        ],
        tag: 'datum-1',
      },
      { path: '/a/c/', op: 'deletePrefix', size: 0, contentHash: '', refs: [], tag: '' },
      { path: '/a/d', op: 'delete', size: 0, contentHash: '', refs: [], tag: '' },
      {
        path: '/a/d😀',
        op: 'put',
        size: 3,
        contentHash: h('x'),
        refs: [{ chunk: h('c1'), offset: 2 ** 33, length: 3 }],
        tag: 'ü',
      },
      {
        path: '/a/d😁',
        op: 'put',
        size: 1,
        contentHash: h('y'),
        refs: [{ chunk: h('c2'), offset: 0, length: 1 }],
        tag: '',
      },
    ];
    const page: IndexPage = { kind: 'leaf', level: 0, entries };
    const bytes = encodePage(page);
    assert.deepEqual(decodePage(bytes), page);
    // Two refs into one chunk store its hash once (the chunk table).
    assert.ok(bytes.length < 2 * 32 + 4 * 32 + 200, `${bytes.length} bytes`);
  });

  it('round-trips inner pages', () => {
    const page: IndexPage = {
      kind: 'inner',
      level: 2,
      children: [
        { firstKey: '/a', hash: h('p1'), count: 3, bytes: 2 ** 40 },
        { firstKey: '/b/日本', hash: h('p2'), count: 1, bytes: 0 },
      ],
    };
    assert.deepEqual(decodePage(encodePage(page)), page);
  });

  it('encodes deterministically: equal pages, equal bytes', () => {
    const make = (): IndexPage => ({
      kind: 'leaf',
      level: 0,
      entries: [
        {
          path: '/x',
          op: 'put',
          size: 1,
          contentHash: h('1'),
          refs: [{ chunk: h('c'), offset: 0, length: 1 }],
          tag: '',
        },
      ],
    });
    assert.ok(Buffer.from(encodePage(make())).equals(encodePage(make())));
  });

  it('rejects truncated, padded and unknown-version bytes as DATA_LOSS', () => {
    const bytes = Buffer.from(
      encodePage({
        kind: 'leaf',
        level: 0,
        entries: [
          {
            path: '/x',
            op: 'put',
            size: 1,
            contentHash: h('1'),
            refs: [{ chunk: h('c'), offset: 0, length: 1 }],
            tag: '',
          },
        ],
      }),
    );
    for (const bad of [
      bytes.subarray(0, bytes.length - 3),
      Buffer.concat([bytes, Buffer.from([0])]),
      Buffer.concat([Buffer.from([9]), bytes.subarray(1)]),
    ]) {
      assert.throws(
        () => decodePage(bad),
        (e: unknown) => isErrorCode(e, 'data_loss'),
      );
    }
  });
});
