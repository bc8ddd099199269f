import assert from 'node:assert/strict';
import { readdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { datumId } from './datum-hash.ts';
import { iterateDatums } from './iterate.ts';
import { matchFiles } from './match-files.ts';
import { input, show, TestRepos } from './test-helpers.ts';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('datums', () => {
  describe('of one pfs input', () => {
    let repos: TestRepos;
    before(async () => {
      repos = new TestRepos();
      await repos.commit('images', {
        '/a.png': 'A',
        '/b/1.png': 'B1',
        '/b/2.png': 'B2',
        '/b/c/3.png': 'C3',
        '/d.txt': 'D',
      });
    });

    it('makes one datum of the whole commit with glob "/", listing every file with its hash', async () => {
      const ds = await repos.datums(input({ pfs: { repo: 'images', glob: '/' } }));
      assert.equal(ds.length, 1);
      const [only] = ds[0]!.inputs;
      assert.equal(only!.path, '/');
      assert.equal(only!.kind, 'directory');
      assert.deepEqual(
        only!.files.map((f) => [f.path, f.hash, f.size]),
        [
          ['/a.png', sha('A'), 1],
          ['/b/1.png', sha('B1'), 2],
          ['/b/2.png', sha('B2'), 2],
          ['/b/c/3.png', sha('C3'), 2],
          ['/d.txt', sha('D'), 1],
        ],
      );
      assert.equal(only!.fileCount, 5);
      assert.equal(only!.sizeBytes, 8);
      assert.equal(only!.filesTruncated, false);
      assert.equal(only!.commit, repos.heads.get('images@master')!.commit);
      assert.deepEqual(
        [only!.repo, only!.branch, only!.name, only!.glob],
        ['images', 'master', 'images', '/'],
      );
    });

    it('makes one datum per top-level file or directory with "/*", in path order', async () => {
      const ds = await repos.datums(input({ pfs: { repo: 'images', glob: '/*' } }));
      assert.deepEqual(show(ds), ['images:/a.png', 'images:/b/', 'images:/d.txt']);
      const dir = ds[1]!.inputs[0]!;
      assert.equal(dir.kind, 'directory');
      assert.deepEqual(
        dir.files.map((f) => f.path),
        ['/b/1.png', '/b/2.png', '/b/c/3.png'],
      );
      assert.equal(ds[0]!.inputs[0]!.hash, sha('A'), "a file match's hash is its content hash");
    });

    it('goes one level deeper with "/*/*" and matches files and directories at every depth with "**"', async () => {
      assert.deepEqual(show(await repos.datums(input({ pfs: { repo: 'images', glob: '/*/*' } }))), [
        'images:/b/1.png',
        'images:/b/2.png',
        'images:/b/c/',
      ]);
      assert.deepEqual(show(await repos.datums(input({ pfs: { repo: 'images', glob: '/**' } }))), [
        'images:/a.png',
        'images:/b/',
        'images:/b/1.png',
        'images:/b/2.png',
        'images:/b/c/',
        'images:/b/c/3.png',
        'images:/d.txt',
      ]);
      assert.deepEqual(show(await repos.datums(input({ pfs: { repo: 'images', glob: '/**.png' } }))), [
        'images:/a.png',
        'images:/b/1.png',
        'images:/b/2.png',
        'images:/b/c/3.png',
      ]);
    });

    it('narrows the walk to a literal prefix and honours extensions and classes', async () => {
      assert.deepEqual(show(await repos.datums(input({ pfs: { repo: 'images', glob: '/b/*.png' } }))), [
        'images:/b/1.png',
        'images:/b/2.png',
      ]);
      assert.deepEqual(show(await repos.datums(input({ pfs: { repo: 'images', glob: '/b/[2-9]*' } }))), [
        'images:/b/2.png',
      ]);
      assert.deepEqual(show(await repos.datums(input({ pfs: { repo: 'images', glob: '/*.{txt,png}' } }))), [
        'images:/a.png',
        'images:/d.txt',
      ]);
      assert.deepEqual(show(await repos.datums(input({ pfs: { repo: 'images', glob: '/nothing/*' } }))), []);
      assert.deepEqual(show(await repos.datums(input({ pfs: { repo: 'images', glob: '/b' } }))), [
        'images:/b/',
      ]);
    });

    it('carries the input name, empty_files and lazy to every match', async () => {
      const ds = await repos.datums(
        input({ pfs: { repo: 'images', name: 'pics', glob: '/a.png', empty_files: true, lazy: true } }),
      );
      assert.deepEqual(show(ds), ['pics:/a.png']);
      assert.equal(ds[0]!.inputs[0]!.emptyFiles, true);
      assert.equal(ds[0]!.inputs[0]!.lazy, true);
    });

    it('lists at most maxFilesPerInput files of a match but counts and hashes them all', async () => {
      const full = (await repos.datums(input({ pfs: { repo: 'images', glob: '/' } })))[0]!.inputs[0]!;
      const cut = (
        await repos.datums(input({ pfs: { repo: 'images', glob: '/' } }), { maxFilesPerInput: 2 })
      )[0]!.inputs[0]!;
      assert.equal(cut.files.length, 2);
      assert.equal(cut.filesTruncated, true);
      assert.equal(cut.fileCount, 5);
      assert.equal(cut.hash, full.hash);
      const all = [];
      for await (const f of matchFiles(repos.resolve({ repo: 'images', branch: 'master' })!.reader, cut.path))
        all.push(f.path);
      assert.equal(all.length, 5);
    });
  });

  it('yields nothing for an empty commit or an input branch without a commit', async () => {
    const repos = new TestRepos();
    await repos.commit('empty', {});
    assert.deepEqual(await repos.datums(input({ pfs: { repo: 'empty', glob: '/' } })), []);
    assert.deepEqual(await repos.datums(input({ pfs: { repo: 'empty', glob: '/*' } })), []);
    assert.deepEqual(await repos.datums(input({ pfs: { repo: 'never', glob: '/*' } })), []);
  });

  describe('combined', () => {
    let repos: TestRepos;
    before(async () => {
      repos = new TestRepos();
      await repos.commit('a', { '/1': 'a1', '/2': 'a2' });
      await repos.commit('b', { '/x': 'bx', '/y': 'by', '/z': 'bz' });
      await repos.commit('c', { '/k': 'ck' });
      await repos.commit('none', {});
    });

    it('crosses inputs with the first one varying slowest', async () => {
      const ds = await repos.datums(
        input({ cross: [{ pfs: { repo: 'a', glob: '/*' } }, { pfs: { repo: 'b', glob: '/*' } }] }),
      );
      assert.deepEqual(show(ds), [
        'a:/1 b:/x',
        'a:/1 b:/y',
        'a:/1 b:/z',
        'a:/2 b:/x',
        'a:/2 b:/y',
        'a:/2 b:/z',
      ]);
      assert.equal(new Set(ds.map((d) => d.id)).size, 6);
    });

    it('crosses to nothing when any input is empty', async () => {
      assert.deepEqual(
        await repos.datums(
          input({ cross: [{ pfs: { repo: 'a', glob: '/*' } }, { pfs: { repo: 'none', glob: '/*' } }] }),
        ),
        [],
      );
      assert.deepEqual(
        await repos.datums(
          input({ cross: [{ pfs: { repo: 'none', glob: '/*' } }, { pfs: { repo: 'a', glob: '/*' } }] }),
        ),
        [],
      );
    });

    it('concatenates the inputs of a union', async () => {
      const ds = await repos.datums(
        input({
          union: [
            { pfs: { repo: 'b', glob: '/*' } },
            { pfs: { repo: 'none', glob: '/*' } },
            { pfs: { repo: 'a', glob: '/*' } },
          ],
        }),
      );
      assert.deepEqual(show(ds), ['b:/x', 'b:/y', 'b:/z', 'a:/1', 'a:/2']);
    });

    it('nests: a cross of a union and an input', async () => {
      const tree = input({
        cross: [
          {
            union: [
              { pfs: { repo: 'a', name: 'in', glob: '/*' } },
              { pfs: { repo: 'c', name: 'in', glob: '/*' } },
            ],
          },
          { pfs: { repo: 'b', glob: '/{x,y}' } },
        ],
      });
      const expected = ['in:/1 b:/x', 'in:/1 b:/y', 'in:/2 b:/x', 'in:/2 b:/y', 'in:/k b:/x', 'in:/k b:/y'];
      assert.deepEqual(show(await repos.datums(tree)), expected);
      // Without the in-memory buffer the inner input is read again per outer datum: same result.
      assert.deepEqual(show(await repos.datums(tree, { crossBufferFiles: 0 })), expected);
      const nested = input({
        cross: [
          { pfs: { repo: 'c', glob: '/*' } },
          { cross: [{ pfs: { repo: 'a', glob: '/1' } }, { pfs: { repo: 'b', glob: '/z' } }] },
        ],
      });
      assert.deepEqual(show(await repos.datums(nested)), ['c:/k a:/1 b:/z']);
    });

    it('gives a datum the same ID whatever the order of its inputs', async () => {
      const ab = await repos.datums(
        input({ cross: [{ pfs: { repo: 'a', glob: '/*' } }, { pfs: { repo: 'b', glob: '/*' } }] }),
      );
      const ba = await repos.datums(
        input({ cross: [{ pfs: { repo: 'b', glob: '/*' } }, { pfs: { repo: 'a', glob: '/*' } }] }),
      );
      assert.deepEqual(new Set(ab.map((d) => d.id)), new Set(ba.map((d) => d.id)));
      assert.deepEqual(new Set(ab.map((d) => d.hash)), new Set(ba.map((d) => d.hash)));
    });
  });

  describe('joined and grouped', () => {
    let repos: TestRepos;
    before(async () => {
      repos = new TestRepos();
      await repos.commit('readings', {
        '/ID1234/file1.txt': 'r1',
        '/ID1234/file2.txt': 'r2',
        '/ID1234/file3.txt': 'r3',
        '/ID1234/file4.txt': 'r4',
        '/ID5678/file1.txt': 'r5',
      });
      await repos.commit('parameters', {
        '/file1.txt': 'p1',
        '/file2.txt': 'p2',
        '/file3.txt': 'p3',
        '/file9.txt': 'p9',
      });
    });

    const readings = (extra: Record<string, unknown> = {}) => ({
      pfs: { repo: 'readings', glob: '/*/(*).txt', join_on: '$1', ...extra },
    });
    const parameters = (extra: Record<string, unknown> = {}) => ({
      pfs: { repo: 'parameters', glob: '/(*).txt', join_on: '$1', ...extra },
    });

    it('joins matches with equal keys across inputs, crossing the matches of each key', async () => {
      const ds = await repos.datums(input({ join: [readings(), parameters()] }));
      assert.deepEqual(show(ds), [
        'readings:/ID1234/file1.txt parameters:/file1.txt',
        'readings:/ID5678/file1.txt parameters:/file1.txt',
        'readings:/ID1234/file2.txt parameters:/file2.txt',
        'readings:/ID1234/file3.txt parameters:/file3.txt',
      ]);
      assert.deepEqual(
        ds.map((d) => d.inputs.map((i) => i.joinKey)),
        [
          ['file1', 'file1'],
          ['file1', 'file1'],
          ['file2', 'file2'],
          ['file3', 'file3'],
        ],
      );
    });

    it('keeps the unmatched matches of outer_join inputs', async () => {
      assert.deepEqual(
        show(await repos.datums(input({ join: [readings({ outer_join: true }), parameters()] }))),
        [
          'readings:/ID1234/file1.txt parameters:/file1.txt',
          'readings:/ID5678/file1.txt parameters:/file1.txt',
          'readings:/ID1234/file2.txt parameters:/file2.txt',
          'readings:/ID1234/file3.txt parameters:/file3.txt',
          'readings:/ID1234/file4.txt',
        ],
      );
      assert.deepEqual(
        show(
          await repos.datums(
            input({ join: [readings({ outer_join: true }), parameters({ outer_join: true })] }),
          ),
        ),
        [
          'readings:/ID1234/file1.txt parameters:/file1.txt',
          'readings:/ID5678/file1.txt parameters:/file1.txt',
          'readings:/ID1234/file2.txt parameters:/file2.txt',
          'readings:/ID1234/file3.txt parameters:/file3.txt',
          'readings:/ID1234/file4.txt',
          'parameters:/file9.txt',
        ],
      );
    });

    it('gives the same joins when the key sort spills to disk', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'pps-join-test-'));
      try {
        const tree = input({ join: [readings({ outer_join: true }), parameters({ outer_join: true })] });
        const inMemory = await repos.datums(tree);
        const spilled = await repos.datums(tree, { sortBufferRecords: 2, tmpDir: dir });
        assert.deepEqual(spilled, inMemory);
        assert.deepEqual(await readdir(dir), [], 'sort runs are removed');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('groups every match with the same key into one datum, across inputs', async () => {
      const ds = await repos.datums(
        input({
          group: [
            { pfs: { repo: 'readings', glob: '/*/(*).txt', group_by: '$1' } },
            { pfs: { repo: 'parameters', glob: '/(*).txt', group_by: '$1' } },
          ],
        }),
      );
      assert.deepEqual(show(ds), [
        'readings:/ID1234/file1.txt readings:/ID5678/file1.txt parameters:/file1.txt',
        'readings:/ID1234/file2.txt parameters:/file2.txt',
        'readings:/ID1234/file3.txt parameters:/file3.txt',
        'readings:/ID1234/file4.txt',
        'parameters:/file9.txt',
      ]);
      assert.deepEqual(
        ds[0]!.inputs.map((i) => i.groupKey),
        ['file1', 'file1', 'file1'],
      );
    });

    it('groups the matches of one input by a key built from directory names', async () => {
      const ds = await repos.datums(
        input({ group: [{ pfs: { repo: 'readings', glob: '/(*)/*', group_by: '$1' } }] }),
      );
      assert.deepEqual(show(ds), [
        'readings:/ID1234/file1.txt readings:/ID1234/file2.txt readings:/ID1234/file3.txt readings:/ID1234/file4.txt',
        'readings:/ID5678/file1.txt',
      ]);
    });

    it('crosses a join with another input', async () => {
      await repos.commit('models', { '/m1': 'M' });
      const ds = await repos.datums(
        input({ cross: [{ join: [readings(), parameters()] }, { pfs: { repo: 'models', glob: '/*' } }] }),
      );
      assert.equal(ds.length, 4);
      assert.ok(show(ds).every((s) => s.endsWith(' models:/m1')));
    });
  });

  it('reads tick files of a cron input, one datum per tick', async () => {
    const repos = new TestRepos();
    await repos.commit('p_tick', { '/2024-01-01T00:00:00Z': '', '/2024-01-01T01:00:00Z': '' });
    const ds = await repos.datums(input({ cron: { name: 'tick', spec: '@hourly' } }));
    assert.deepEqual(show(ds), ['tick:/2024-01-01T00:00:00Z', 'tick:/2024-01-01T01:00:00Z']);
    assert.equal(ds[0]!.inputs[0]!.repo, 'p_tick');
  });

  describe('IDs and hashes', () => {
    it('are stable across runs, storages and commits, and are lower-case hex', async () => {
      const build = async (): Promise<TestRepos> => {
        const r = new TestRepos();
        await r.commit('a', { '/x': '1', '/d/y': '2' });
        await r.commit('a', { '/unrelated': '3' }); // a second commit: another commit ID
        return r;
      };
      const tree = input({ pfs: { repo: 'a', glob: '/*' } });
      const one = await (await build()).datums(tree, { salt: 's' });
      const two = await (await build()).datums(tree, { salt: 's' });
      assert.deepEqual(
        one.map((d) => [d.id, d.hash]),
        two.map((d) => [d.id, d.hash]),
      );
      for (const d of one) {
        assert.match(d.id, /^[0-9a-f]{64}$/);
        assert.match(d.hash, /^[0-9a-f]{64}$/);
      }
      // The ID depends on (name, repo, branch, path) only.
      assert.equal(one[0]!.id, datumId([{ name: 'a', repo: 'a', branch: 'master', path: '/d/' }]));
    });

    it('change the hash, not the ID, when a file of the datum changes; other datums keep theirs', async () => {
      const repos = new TestRepos();
      await repos.commit('a', { '/d/1': 'one', '/d/2': 'two', '/e': 'e' });
      const tree = input({ pfs: { repo: 'a', glob: '/*' } });
      const before = await repos.datums(tree);
      await repos.commit('a', { '/d/2': 'TWO' });
      const after = await repos.datums(tree);
      assert.deepEqual(
        after.map((d) => d.id),
        before.map((d) => d.id),
      );
      assert.notEqual(after[0]!.hash, before[0]!.hash, '/d/ changed');
      assert.equal(after[1]!.hash, before[1]!.hash, '/e did not');
      // A file added under a directory match, or renamed inside it, changes its hash too.
      await repos.commit('a', { '/d/3': 'three' });
      const added = await repos.datums(tree);
      assert.notEqual(added[0]!.hash, after[0]!.hash);
      await repos.commit('a', { '/d/3': null, '/d/4': 'three' });
      const renamed = await repos.datums(tree);
      assert.notEqual(renamed[0]!.hash, added[0]!.hash);
      assert.equal(renamed[0]!.id, added[0]!.id);
    });

    it('change the hash, not the ID, with the salt', async () => {
      const repos = new TestRepos();
      await repos.commit('a', { '/x': '1' });
      const tree = input({ pfs: { repo: 'a', glob: '/*' } });
      const [s1] = await repos.datums(tree, { salt: 'one' });
      const [s2] = await repos.datums(tree, { salt: 'two' });
      assert.equal(s1!.id, s2!.id);
      assert.notEqual(s1!.hash, s2!.hash);
    });

    it('change the ID with the input name, the branch or the path', async () => {
      const repos = new TestRepos();
      await repos.commit('a', { '/x': '1' });
      await repos.commit('a@dev', { '/x': '1' });
      const id = async (v: unknown): Promise<string> => (await repos.datums(input(v)))[0]!.id;
      const base = await id({ pfs: { repo: 'a', glob: '/*' } });
      assert.notEqual(await id({ pfs: { repo: 'a', name: 'other', glob: '/*' } }), base);
      assert.notEqual(await id({ pfs: { repo: 'a', branch: 'dev', glob: '/*' } }), base);
      assert.notEqual(await id({ pfs: { repo: 'a', glob: '/' } }), base, '"/" matches the root, not /x');
    });
  });

  it('stops when the signal aborts', async () => {
    const repos = new TestRepos();
    await repos.commit('a', Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`/f${i}`, `${i}`])));
    const ac = new AbortController();
    const seen: string[] = [];
    await assert.rejects(async () => {
      for await (const d of iterateDatums(input({ pfs: { repo: 'a', glob: '/*' } }), {
        resolve: repos.resolve,
        signal: ac.signal,
      })) {
        seen.push(d.id);
        if (seen.length === 3) ac.abort(new Error('stopped by test'));
      }
    }, /stopped by test/);
    assert.equal(seen.length, 3);
  });
});
