import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isErrorCode } from '../../services/platform/errors.ts';
import { destinationFor, joinPfsPath } from './file.ts';
import {
  localTarget,
  measureTree,
  readLocalFile,
  urlFileName,
  walkFiles,
  writeLocalFile,
} from './local-files.ts';

describe('put file destinations', () => {
  const file = (refPath: string | undefined, multipleSources = false) =>
    destinationFor({ refPath, sourceName: 'a.txt', isDirectory: false, multipleSources });
  const dir = (refPath: string | undefined) =>
    destinationFor({ refPath, sourceName: 'photos', isDirectory: true, multipleSources: false });

  it('uses the local name at the root when the ref has no path', () => {
    assert.equal(file(undefined), '/a.txt');
    assert.equal(dir(undefined), '/photos/');
  });

  it('treats a path ending in "/" as a directory and any other path as the file', () => {
    assert.equal(file('/dir/'), '/dir/a.txt');
    assert.equal(file('/b.txt'), '/b.txt');
  });

  it('treats the path as a directory when several sources are given', () => {
    assert.equal(file('/dir', true), '/dir/a.txt');
  });

  it('puts a directory tree beneath the given path', () => {
    assert.equal(dir('/'), '/');
    assert.equal(dir('/imgs'), '/imgs/');
    assert.equal(joinPfsPath('/imgs/', 'cats/1.png'), '/imgs/cats/1.png');
    assert.equal(joinPfsPath('/', 'données/é.txt'), '/données/é.txt');
  });

  it('names a downloaded file after the last segment of its URL', () => {
    assert.equal(urlFileName('https://example.com/data/train%20set.csv?x=1'), 'train set.csv');
    assert.throws(
      () => urlFileName('https://example.com/'),
      (err: unknown) => isErrorCode(err, 'invalid_argument'),
    );
  });
});

describe('local files', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'terrain-local-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('walks every regular file beneath a directory, with relative slash paths', async () => {
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    writeFileSync(join(root, 'top.txt'), 'x');
    writeFileSync(join(root, 'a', 'b', 'deep.bin'), Buffer.alloc(3000));
    writeFileSync(join(root, 'a', 'empty'), '');
    writeFileSync(join(root, 'a', '日本 語.txt'), 'ü');
    const found: string[] = [];
    for await (const file of walkFiles(root)) found.push(`${file.relative}:${file.size}`);
    assert.deepEqual(found.sort(), ['a/b/deep.bin:3000', 'a/empty:0', 'a/日本 語.txt:2', 'top.txt:1']);
    assert.deepEqual(await measureTree(root), { files: 4, bytes: 3003 });
  });

  it('follows symbolic links to files but not to directories, reporting what it skips', async () => {
    mkdirSync(join(root, 'd'));
    writeFileSync(join(root, 'd', 'f'), 'data');
    symlinkSync(join(root, 'd', 'f'), join(root, 'link-to-file'));
    symlinkSync(root, join(root, 'd', 'loop'));
    symlinkSync(join(root, 'missing'), join(root, 'broken'));
    const skipped: string[] = [];
    const found: string[] = [];
    for await (const file of walkFiles(root, {
      onSkip: (path, why) => skipped.push(`${path.slice(root.length)}: ${why}`),
    })) {
      found.push(file.relative);
    }
    assert.deepEqual(found.sort(), ['d/f', 'link-to-file']);
    assert.deepEqual(skipped.sort(), [
      '/broken: broken symbolic link',
      '/d/loop: symbolic link to a directory',
    ]);
  });

  it('reads a file in pieces of at most 1 MiB', async () => {
    const path = join(root, 'big');
    writeFileSync(path, Buffer.alloc(2.5 * 1024 * 1024, 1));
    const sizes: number[] = [];
    let counted = 0;
    for await (const piece of readLocalFile(path, { onBytes: (n) => (counted += n) }))
      sizes.push(piece.byteLength);
    assert.ok(sizes.every((s) => s <= 1024 * 1024));
    assert.equal(counted, 2.5 * 1024 * 1024);
  });

  it('writes a file through a temporary name, leaving nothing behind on failure', async () => {
    const target = join(root, 'out', 'nested', 'f.txt');
    await writeLocalFile(
      target,
      (async function* () {
        yield Buffer.from('hello ');
        yield Buffer.from('world');
      })(),
    );
    assert.equal(readFileSync(target, 'utf8'), 'hello world');
    const failing = join(root, 'out', 'bad.txt');
    await assert.rejects(
      writeLocalFile(
        failing,
        (async function* () {
          yield Buffer.from('partial');
          throw new Error('stream broke');
        })(),
      ),
      /stream broke/,
    );
    assert.deepEqual(readdirSync(join(root, 'out')).sort(), ['nested']);
  });

  it('maps pfs paths beneath a prefix into the output directory and refuses escapes', () => {
    assert.equal(localTarget('/out', '/dir/', '/dir/a/b.txt'), '/out/a/b.txt');
    assert.equal(localTarget('/out', '/', '/x.txt'), '/out/x.txt');
    assert.throws(
      () => localTarget('/out', '/', '/../etc/passwd'),
      (err: unknown) => isErrorCode(err, 'data_loss'),
    );
  });
});
