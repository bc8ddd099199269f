import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { isErrorCode } from '../platform/errors.ts';
import { compileGlob } from '../platform/glob.ts';
import type { CommitRef } from './commit-access.ts';
import { FileSetHandles } from './file-sets.ts';
import {
  ClockObjectStore,
  FakeCommitAccess,
  MemoryKv,
  TestClock,
  collectBytes,
  opsOf,
  toArray,
} from './file-test-helpers.ts';
import { Files, decodeFileTag, encodeFileTag, type FileInfo, type FileRef, type ModifyOp } from './files.ts';
import { FileSetStorage } from './storage/index.ts';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const master: CommitRef = { repo: 'images', branch: 'master' };

function setup() {
  const clock = new TestClock();
  const store = new ClockObjectStore(clock);
  const storage = new FileSetStorage(store, {
    chunking: { minSize: 1024, avgSize: 4096, maxSize: 16_384 },
    tree: { leafBits: 2, innerBits: 2 },
  });
  const commits = new FakeCommitAccess(storage);
  commits.createRepo('images');
  const handles = new FileSetHandles({ kv: new MemoryKv(), now: clock.now });
  const files = new Files({ commits, storage, handles, now: clock.now });
  return { clock, store, storage, commits, handles, files };
}

type Ctx = ReturnType<typeof setup>;

function put(
  path: string,
  data: string | Uint8Array,
  extra: Partial<Extract<ModifyOp, { op: 'put' }>> = {},
): ModifyOp {
  return { op: 'put', path, data: typeof data === 'string' ? Buffer.from(data) : data, ...extra };
}

function at(ref: CommitRef, path: string): FileRef {
  return { source: { kind: 'commit', ref }, path };
}

async function write(ctx: Ctx, ...ops: ModifyOp[]) {
  return await ctx.files.modifyFile(master, opsOf(...ops));
}

async function read(
  ctx: Ctx,
  path: string,
  ref: CommitRef = master,
  range: { offset?: number; length?: number } = {},
): Promise<string> {
  return (await collectBytes(ctx.files.getFile(at(ref, path), range))).toString();
}

async function paths(source: AsyncIterable<FileInfo>): Promise<string[]> {
  return (await toArray(source)).map((i) => i.path);
}

function code(c: string, fragment?: string) {
  return (e: unknown) =>
    isErrorCode(e, c as never) && (fragment === undefined || (e as Error).message.includes(fragment));
}

/** Random-ish bytes that do not deduplicate against each other. */
function bytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('files', () => {
  describe('ModifyFile', () => {
    it('writes files to a branch as one new commit and reads them back', async () => {
      const ctx = setup();
      const big = bytes(100_000, 1);
      const res = await write(ctx, put('/a.txt', 'hello'), put('/dir/big.bin', big));
      assert.equal(res.filesWritten, 2);
      assert.equal(res.bytesWritten, 5 + big.length);
      assert.equal(res.commit.repo, 'images');
      assert.equal(ctx.commits.writeStagedCalls, 1);
      assert.equal(await read(ctx, '/a.txt'), 'hello');
      assert.ok((await collectBytes(ctx.files.getFile(at(master, '/dir/big.bin')))).equals(big));
    });

    it('streams a put body given as an async iterable, counting its bytes', async () => {
      const ctx = setup();
      async function* body() {
        for (let i = 0; i < 10; i++) yield Buffer.from(`part${i};`);
      }
      const res = await write(ctx, { op: 'put', path: '/parts', data: body() });
      assert.equal(res.bytesWritten, 60);
      assert.equal(await read(ctx, '/parts'), 'part0;part1;part2;part3;part4;part5;part6;part7;part8;part9;');
    });

    it('is atomic: when the op stream fails midway, writeStaged is never called and nothing appears', async () => {
      const ctx = setup();
      await write(ctx, put('/before', 'kept'));
      const calls = ctx.commits.writeStagedCalls;
      async function* failing(): AsyncGenerator<ModifyOp> {
        yield put('/new1', 'x');
        yield { op: 'delete', path: '/before' };
        async function* body() {
          yield Buffer.from('half of a file');
          throw new Error('client went away');
        }
        yield { op: 'put', path: '/new2', data: body() };
        yield put('/never', 'y');
      }
      await assert.rejects(ctx.files.modifyFile(master, failing()), /client went away/);
      assert.equal(ctx.commits.writeStagedCalls, calls);
      assert.equal(await read(ctx, '/before'), 'kept');
      await assert.rejects(read(ctx, '/new1'), code('not_found'));
      assert.deepEqual(await paths(ctx.files.walkFile(at(master, '/'))), ['/', '/before']);
    });

    it('is atomic when the caller aborts between operations', async () => {
      const ctx = setup();
      const open = ctx.commits.startCommit('images');
      const ref = { repo: 'images', id: open.id };
      const controller = new AbortController();
      async function* ops(): AsyncGenerator<ModifyOp> {
        yield put('/one', '1');
        controller.abort(new Error('cancelled by the client'));
        yield put('/two', '2');
      }
      await assert.rejects(
        ctx.files.modifyFile(ref, ops(), { signal: controller.signal }),
        /cancelled by the client/,
      );
      assert.equal(ctx.commits.writeStagedCalls, 0);
      assert.deepEqual(await paths(ctx.files.walkFile(at(ref, '/'))), ['/']);
    });

    it('refuses a finished commit with FAILED_PRECONDITION before reading any byte', async () => {
      const ctx = setup();
      const done = (await write(ctx, put('/a', 'a'))).commit;
      const chunkPuts = ctx.store.putsUnder('chunks/');
      let pulled = false;
      async function* ops(): AsyncGenerator<ModifyOp> {
        pulled = true;
        yield put('/b', 'b');
      }
      await assert.rejects(
        ctx.files.modifyFile({ repo: 'images', id: done.id }, ops()),
        code('failed_precondition', done.id),
      );
      assert.equal(pulled, false);
      assert.equal(ctx.store.putsUnder('chunks/'), chunkPuts);
    });

    it('refuses bad paths with INVALID_ARGUMENT naming them, and changes nothing', async () => {
      const ctx = setup();
      await write(ctx, put('/keep', 'k'));
      const head = (await ctx.commits.resolve(master)).id;
      const bad = ['/a/../b', '/a//b', '/a\u0000b', `/${'x'.repeat(5000)}`, 'relative', '/dir/', '/', '/./a'];
      for (const path of bad) {
        await assert.rejects(
          ctx.files.modifyFile(master, opsOf(put('/fine', 'f'), put(path, 'x'))),
          (e: unknown) =>
            isErrorCode(e, 'invalid_argument') &&
            (e as Error).message.includes(JSON.stringify(path).slice(0, 40)),
          JSON.stringify(path).slice(0, 40),
        );
      }
      await assert.rejects(
        ctx.files.modifyFile(master, opsOf<ModifyOp>({ op: 'delete', path: '/a/../b' })),
        code('invalid_argument', '/a/../b'),
      );
      await assert.rejects(
        ctx.files.modifyFile(master, opsOf<ModifyOp>({ op: 'copy', src: at(master, '/keep'), dst: '/x//y' })),
        code('invalid_argument', '/x//y'),
      );
      assert.equal((await ctx.commits.resolve(master)).id, head, 'no new commit');
      assert.deepEqual(await paths(ctx.files.walkFile(at(master, '/'))), ['/', '/keep']);
    });

    it('applies put, append, delete and overwrite in stream order', async () => {
      const ctx = setup();
      await write(ctx, put('/log', 'a'), put('/d/x', 'x'), put('/d/y', 'y'), put('/gone', 'g'));
      await write(
        ctx,
        put('/log', 'b', { append: true }),
        { op: 'delete', path: '/gone' },
        { op: 'delete', path: '/d' },
        put('/d/z', 'z'),
      );
      assert.equal(await read(ctx, '/log'), 'ab');
      assert.deepEqual(await paths(ctx.files.walkFile(at(master, '/'), { filesOnly: true })), [
        '/d/z',
        '/log',
      ]);
      await write(
        ctx,
        put('/log', 'c', { append: true }),
        put('/log', 'C', { append: true }),
        put('/new', 'n', { append: true }),
      );
      assert.equal(await read(ctx, '/log'), 'abcC');
      assert.equal(await read(ctx, '/new'), 'n');
      await write(ctx, put('/log', 'replaced'), { op: 'delete', path: '/' }, put('/only', 'o'));
      assert.deepEqual(await paths(ctx.files.walkFile(at(master, '/'), { filesOnly: true })), ['/only']);
    });

    it('lets reads of an open commit see what was staged so far', async () => {
      const ctx = setup();
      const open = ctx.commits.startCommit('images');
      const ref = { repo: 'images', id: open.id };
      await ctx.files.modifyFile(ref, opsOf(put('/a', '1')));
      await ctx.files.modifyFile(ref, opsOf(put('/b', '2'), put('/a', '+', { append: true })));
      assert.equal(await read(ctx, '/a', ref), '1+');
      assert.equal(await read(ctx, '/b', ref), '2');
    });

    it('copies by reference: no new chunk objects, same bytes, files and directories', async () => {
      const ctx = setup();
      const big = bytes(200_000, 7);
      await write(ctx, put('/src/big.bin', big), put('/src/sub/s.txt', 'small'));
      const chunkPuts = ctx.store.putsUnder('chunks/');
      const src = (await ctx.commits.resolve(master)).id;
      await write(
        ctx,
        { op: 'copy', src: at({ repo: 'images', id: src }, '/src/big.bin'), dst: '/copy.bin' },
        { op: 'copy', src: at({ repo: 'images', id: src }, '/src/'), dst: '/tree' },
      );
      assert.equal(ctx.store.putsUnder('chunks/'), chunkPuts, 'a copy must not write chunks');
      assert.ok((await collectBytes(ctx.files.getFile(at(master, '/copy.bin')))).equals(big));
      assert.deepEqual(await paths(ctx.files.walkFile(at(master, '/tree'), { filesOnly: true })), [
        '/tree/big.bin',
        '/tree/sub/s.txt',
      ]);
      const info = await ctx.files.inspectFile(at(master, '/copy.bin'));
      assert.equal(info.hash, sha(big));
    });

    it('copies from another repo and appends a copy to an existing file', async () => {
      const ctx = setup();
      ctx.commits.createRepo('other');
      await ctx.files.modifyFile({ repo: 'other', branch: 'master' }, opsOf(put('/o', 'other')));
      await write(ctx, put('/log', 'mine-'));
      await write(ctx, {
        op: 'copy',
        src: at({ repo: 'other', branch: 'master' }, '/o'),
        dst: '/log',
        append: true,
      });
      assert.equal(await read(ctx, '/log'), 'mine-other');
    });

    it('fails a copy from a missing source with NOT_FOUND naming it, applying nothing', async () => {
      const ctx = setup();
      await write(ctx, put('/a', 'a'));
      const calls = ctx.commits.writeStagedCalls;
      await assert.rejects(
        write(ctx, put('/b', 'b'), { op: 'copy', src: at(master, '/nope'), dst: '/c' }),
        code('not_found', 'images@'),
      );
      await assert.rejects(
        write(ctx, { op: 'copy', src: at(master, '/nope'), dst: '/c' }),
        code('not_found', ':/nope'),
      );
      assert.equal(ctx.commits.writeStagedCalls, calls);
    });

    it('fails the whole stream with FAILED_PRECONDITION for if_not_exists on an existing file', async () => {
      const ctx = setup();
      await write(ctx, put('/exists', 'old'));
      const calls = ctx.commits.writeStagedCalls;
      await assert.rejects(
        write(ctx, put('/other', 'x'), put('/exists', 'new', { ifNotExists: true })),
        code('failed_precondition', '/exists'),
      );
      assert.equal(ctx.commits.writeStagedCalls, calls);
      assert.equal(await read(ctx, '/exists'), 'old');
      await assert.rejects(read(ctx, '/other'), code('not_found'));
      await write(ctx, put('/fresh', 'new', { ifNotExists: true }));
      assert.equal(await read(ctx, '/fresh'), 'new');
    });

    it('deletes only the files tagged with a datum when a delete names one', async () => {
      const ctx = setup();
      await write(
        ctx,
        put('/out/a', 'a', { datum: 'd1' }),
        put('/out/b', 'b', { datum: 'd2' }),
        put('/out/sub/c', 'c', { datum: 'd1' }),
        put('/top', 't', { datum: 'd1' }),
      );
      await write(ctx, { op: 'delete', path: '/out', datum: 'd1' });
      assert.deepEqual(await paths(ctx.files.walkFile(at(master, '/'), { filesOnly: true })), [
        '/out/b',
        '/top',
      ]);
      assert.equal((await ctx.files.inspectFile(at(master, '/out/b'))).datum, 'd2');
    });

    it('stores datum and metadata with a file; append keeps metadata unless it brings new', async () => {
      const ctx = setup();
      await write(ctx, put('/m', 'x', { datum: 'dd', metadata: { 'content-type': 'text/plain', b: '2' } }));
      let info = await ctx.files.inspectFile(at(master, '/m'));
      assert.equal(info.datum, 'dd');
      assert.deepEqual(info.metadata, { b: '2', 'content-type': 'text/plain' });
      await write(ctx, put('/m', 'y', { append: true }));
      info = await ctx.files.inspectFile(at(master, '/m'));
      assert.deepEqual(info.metadata, { b: '2', 'content-type': 'text/plain' });
      await write(ctx, put('/m', 'z', { append: true, metadata: { c: '3' } }));
      info = await ctx.files.inspectFile(at(master, '/m'));
      assert.deepEqual(info.metadata, { c: '3' });
      await write(ctx, put('/m', 'w'));
      assert.deepEqual((await ctx.files.inspectFile(at(master, '/m'))).metadata, {});
      await assert.rejects(
        write(ctx, put('/big-meta', 'x', { metadata: { k: 'v'.repeat(9000) } })),
        code('invalid_argument', 'metadata'),
      );
      await assert.rejects(
        write(ctx, put('/bad-datum', 'x', { datum: 'a\u0000b' })),
        code('invalid_argument', 'datum'),
      );
    });
  });

  describe('file tags', () => {
    it('round-trips datum and metadata, and reads a bare tag as a datum', () => {
      assert.equal(encodeFileTag('d', {}), 'd');
      assert.deepEqual(decodeFileTag('d'), { datum: 'd', metadata: {} });
      assert.deepEqual(decodeFileTag(encodeFileTag('', { a: '1' })), { datum: '', metadata: { a: '1' } });
      assert.deepEqual(decodeFileTag(encodeFileTag('x', { z: 'é', a: '' })), {
        datum: 'x',
        metadata: { a: '', z: 'é' },
      });
    });
  });

  describe('GetFile', () => {
    it('reads byte ranges, cutting ranges past the end', async () => {
      const ctx = setup();
      const data = bytes(50_000, 3);
      await write(ctx, put('/f', data), put('/s', '0123456789'));
      assert.equal(await read(ctx, '/s', master, { offset: 2, length: 3 }), '234');
      assert.equal(await read(ctx, '/s', master, { offset: 7 }), '789');
      assert.equal(await read(ctx, '/s', master, { offset: 8, length: 100 }), '89');
      assert.equal(await read(ctx, '/s', master, { offset: 10 }), '');
      assert.equal(await read(ctx, '/s', master, { offset: 1000 }), '');
      const part = await collectBytes(
        ctx.files.getFile(at(master, '/f'), { offset: 12_345, length: 30_000 }),
      );
      assert.ok(part.equals(data.subarray(12_345, 42_345)));
    });

    it('refuses negative ranges and directories with INVALID_ARGUMENT', async () => {
      const ctx = setup();
      await write(ctx, put('/d/f', 'x'));
      await assert.rejects(read(ctx, '/d/f', master, { offset: -1 }), code('invalid_argument', '-1'));
      await assert.rejects(read(ctx, '/d/f', master, { length: -5 }), code('invalid_argument', '-5'));
      await assert.rejects(read(ctx, '/d', master), code('invalid_argument', 'get file -r'));
      await assert.rejects(read(ctx, '/', master), code('invalid_argument', 'directory'));
    });

    it('names repo@commit:/path when the file is missing', async () => {
      const ctx = setup();
      const { commit } = await write(ctx, put('/a', 'a'));
      await assert.rejects(read(ctx, '/missing'), code('not_found', `images@${commit.id}:/missing`));
      await assert.rejects(read(ctx, '/a', { repo: 'images', branch: 'nope' }), code('not_found'));
    });
  });

  describe('InspectFile, ListFile, WalkFile', () => {
    async function tree(ctx: Ctx): Promise<Map<string, number>> {
      const sizes = new Map<string, number>();
      const ops: ModifyOp[] = [];
      for (let i = 0; i < 40; i++) {
        const path = `/d${i % 3}/${i % 2 ? 'sub/' : ''}f${String(i).padStart(2, '0')}`;
        ops.push(put(path, 'x'.repeat(i + 1)));
        sizes.set(path, i + 1);
      }
      ops.push(put('/top', 'top!'));
      sizes.set('/top', 4);
      await write(ctx, ...ops);
      return sizes;
    }

    const sumUnder = (sizes: Map<string, number>, dir: string) =>
      [...sizes].filter(([p]) => p.startsWith(dir)).reduce((n, [, s]) => n + s, 0);

    it('inspects files and directories, with directory sizes summed over everything beneath', async () => {
      const ctx = setup();
      const sizes = await tree(ctx);
      const f = await ctx.files.inspectFile(at(master, '/d1/f04'));
      assert.equal(f.type, 'file');
      assert.equal(f.sizeBytes, 5);
      assert.equal(f.hash, sha(Buffer.from('xxxxx')));
      assert.ok(f.committed instanceof Date);
      for (const dir of ['/', '/d0/', '/d1/', '/d2/sub/']) {
        const d = await ctx.files.inspectFile(at(master, dir));
        assert.equal(d.type, 'dir');
        assert.equal(d.path, dir);
        assert.equal(d.sizeBytes, sumUnder(sizes, dir), dir);
      }
      assert.equal((await ctx.files.inspectFile(at(master, '/d0'))).path, '/d0/');
      await assert.rejects(ctx.files.inspectFile(at(master, '/d9')), code('not_found', ':/d9'));
    });

    it('lists one level with implied directories and their sizes; a file lists itself', async () => {
      const ctx = setup();
      const sizes = await tree(ctx);
      const top = await toArray(ctx.files.listFile(at(master, '/')));
      assert.deepEqual(
        top.map((i) => [i.path, i.type, i.sizeBytes]),
        [
          ['/d0/', 'dir', sumUnder(sizes, '/d0/')],
          ['/d1/', 'dir', sumUnder(sizes, '/d1/')],
          ['/d2/', 'dir', sumUnder(sizes, '/d2/')],
          ['/top', 'file', 4],
        ],
      );
      assert.deepEqual(await paths(ctx.files.listFile(at(master, '/d1/'))), [
        '/d1/f04',
        '/d1/f10',
        '/d1/f16',
        '/d1/f22',
        '/d1/f28',
        '/d1/f34',
        '/d1/sub/',
      ]);
      assert.deepEqual(await paths(ctx.files.listFile(at(master, '/top'))), ['/top']);
      await assert.rejects(toArray(ctx.files.listFile(at(master, '/nope'))), code('not_found', '/nope'));
      assert.deepEqual(
        await paths(
          ctx.files.listFile(at({ repo: 'images', id: ctx.commits.startCommit('images', 'empty').id }, '/')),
        ),
        [],
      );
    });

    it('paginates ListFile and WalkFile with the last path as token, for every page size', async () => {
      const ctx = setup();
      await tree(ctx);
      for (const [name, list] of [
        [
          'list /d0',
          (o: { pageSize: number; pageToken?: string }) => ctx.files.listFile(at(master, '/d0'), o),
        ],
        ['walk /', (o: { pageSize: number; pageToken?: string }) => ctx.files.walkFile(at(master, '/'), o)],
      ] as const) {
        const all = await paths(list({ pageSize: 0 }));
        for (const pageSize of [1, 2, 3, 7, 100]) {
          const got: string[] = [];
          let token: string | undefined;
          for (;;) {
            const page = await paths(
              list({ pageSize, ...(token !== undefined ? { pageToken: token } : {}) }),
            );
            assert.ok(page.length <= pageSize);
            got.push(...page);
            if (page.length < pageSize) break;
            token = page[page.length - 1];
          }
          assert.deepEqual(got, all, `${name} with pages of ${pageSize}`);
        }
      }
    });

    it('walks recursively in path order, each directory right before its contents', async () => {
      const ctx = setup();
      await write(
        ctx,
        put('/a.txt', '1'),
        put('/a/b/c', '2'),
        put('/a/b0', '3'),
        put('/a/x/y/z', '4'),
        put('/b', '5'),
      );
      assert.deepEqual(await paths(ctx.files.walkFile(at(master, '/'))), [
        '/',
        '/a.txt',
        '/a/',
        '/a/b/',
        '/a/b/c',
        '/a/b0',
        '/a/x/',
        '/a/x/y/',
        '/a/x/y/z',
        '/b',
      ]);
      assert.deepEqual(await paths(ctx.files.walkFile(at(master, '/a'))), [
        '/a/',
        '/a/b/',
        '/a/b/c',
        '/a/b0',
        '/a/x/',
        '/a/x/y/',
        '/a/x/y/z',
      ]);
      assert.deepEqual(await paths(ctx.files.walkFile(at(master, '/a/'), { filesOnly: true })), [
        '/a/b/c',
        '/a/b0',
        '/a/x/y/z',
      ]);
      assert.deepEqual(await paths(ctx.files.walkFile(at(master, '/b'))), ['/b']);
      await assert.rejects(toArray(ctx.files.walkFile(at(master, '/zz'))), code('not_found'));
    });
  });

  describe('GlobFile', () => {
    const layout = [
      '/a.csv',
      '/a/b.csv',
      '/a/b/c.txt',
      '/a/b/d.csv',
      '/b/x.csv',
      '/b/y.json',
      '/data/2024-01/x',
      '/data/2024-02/y',
      '/data/2023/z',
      '/top',
    ];

    async function walkAll(ctx: Ctx): Promise<string[]> {
      return await paths(ctx.files.walkFile(at(master, '/')));
    }

    it('returns exactly the files and directories the pattern matches, in path order', async () => {
      const ctx = setup();
      await write(ctx, ...layout.map((p) => put(p, p)));
      const everything = await walkAll(ctx);
      for (const pattern of [
        '/',
        '/*',
        '*',
        '/*/*',
        '/**',
        '/**.csv',
        '/a/**',
        '/{a,b}/*',
        '/data/2024-*',
        '/data/2024-*/*',
        '/?/*.csv',
        '/[ab]',
        '/[!a]*',
        '/top',
        '/nothing/*',
        '/a/b/{c.txt,d.csv}',
      ]) {
        const g = compileGlob(pattern);
        const expected = everything.filter((p) => g.matches(p));
        const got = await paths(ctx.files.globFile({ kind: 'commit', ref: master }, pattern));
        assert.deepEqual(got, expected, pattern);
      }
      assert.deepEqual(await paths(ctx.files.globFile({ kind: 'commit', ref: master }, '/*')), [
        '/a.csv',
        '/a/',
        '/b/',
        '/data/',
        '/top',
      ]);
    });

    it('refuses a malformed pattern with INVALID_ARGUMENT naming it', async () => {
      const ctx = setup();
      await write(ctx, put('/a', 'a'));
      await assert.rejects(
        toArray(ctx.files.globFile({ kind: 'commit', ref: master }, '/a[')),
        code('invalid_argument', '"/a["'),
      );
    });

    it('reports directory sizes for matched directories', async () => {
      const ctx = setup();
      await write(ctx, put('/d/x', '123'), put('/d/y/z', '45'));
      const [d] = await toArray(ctx.files.globFile({ kind: 'commit', ref: master }, '/*'));
      assert.equal(d?.path, '/d/');
      assert.equal(d?.sizeBytes, 5);
    });
  });

  describe('DiffFile', () => {
    it('diffs a commit against its parent: added, changed, deleted, in path order', async () => {
      const ctx = setup();
      await write(ctx, put('/same', 's'), put('/change', 'v1'), put('/del', 'd'), put('/dir/keep', 'k'));
      await write(
        ctx,
        put('/change', 'v2'),
        { op: 'delete', path: '/del' },
        put('/new', 'n'),
        put('/same', 's'),
        put('/dir/add', 'a'),
      );
      const diff = await toArray(ctx.files.diffFile(at(master, '/'), undefined));
      assert.deepEqual(
        diff.map((d) => [d.change, d.newFile?.path ?? d.oldFile?.path]),
        [
          ['changed', '/change'],
          ['deleted', '/del'],
          ['added', '/dir/add'],
          ['added', '/new'],
        ],
      );
      const changed = diff[0]!;
      assert.equal(changed.oldFile!.hash, sha(Buffer.from('v1')));
      assert.equal(changed.newFile!.hash, sha(Buffer.from('v2')));
      assert.deepEqual(
        (await toArray(ctx.files.diffFile(at(master, '/dir'), undefined))).map((d) => [
          d.change,
          d.newFile?.path,
        ]),
        [['added', '/dir/add']],
      );
      assert.deepEqual(
        (await toArray(ctx.files.diffFile(at(master, '/change'), undefined))).map((d) => d.change),
        ['changed'],
      );
    });

    it('reports everything as added for a first commit, and compares two explicit commits', async () => {
      const ctx = setup();
      const c1 = (await write(ctx, put('/a', '1'), put('/b', '2'))).commit;
      await write(ctx, put('/c', '3'));
      const c3 = (await write(ctx, { op: 'delete', path: '/a' })).commit;
      assert.deepEqual(
        (await toArray(ctx.files.diffFile(at({ repo: 'images', id: c1.id }, '/'), undefined))).map(
          (d) => d.change + d.newFile!.path,
        ),
        ['added/a', 'added/b'],
      );
      const diff = await toArray(
        ctx.files.diffFile(at({ repo: 'images', id: c3.id }, '/'), at({ repo: 'images', id: c1.id }, '/')),
      );
      assert.deepEqual(
        diff.map((d) => `${d.change}${(d.newFile ?? d.oldFile)!.path}`),
        ['deleted/a', 'added/c'],
      );
    });

    it('compares two different directories by relative path', async () => {
      const ctx = setup();
      await write(ctx, put('/v1/a', '1'), put('/v1/b', '2'), put('/v2/b', '2'), put('/v2/c', '3'));
      const diff = await toArray(ctx.files.diffFile(at(master, '/v2'), at(master, '/v1')));
      assert.deepEqual(
        diff.map((d) => [d.change, d.oldFile?.path, d.newFile?.path]),
        [
          ['deleted', '/v1/a', undefined],
          ['added', undefined, '/v2/c'],
        ],
      );
    });
  });
});
