import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { ModifyFileRequest, ModifyFileResponse } from '../../../proto/gen/terrain/pfs/v1/file.ts';
import { FileChange, FileType } from '../../../proto/gen/terrain/pfs/v1/file.ts';
import type { Commit } from '../../../proto/gen/terrain/pfs/v1/refs.ts';
import { fromServiceError } from '../../../services/platform/grpc-status.ts';
import { startTestPfs, type TestPfs } from './test-pfs.ts';

const repo = (name: string) => ({ name });
const onBranch = (r: string, b = 'master', ancestors = 0): Commit => ({
  repo: repo(r),
  id: '',
  branch: b,
  ancestors,
});
const commitOf = (r: string, id: string): Commit => ({ repo: repo(r), id, branch: '', ancestors: 0 });

type Op =
  | { put: string; data: Buffer | Buffer[]; append?: boolean }
  | { del: string }
  | { copy: string; from: { commit: Commit; path: string } };

function requests(target: Commit, ops: Op[]): ModifyFileRequest[] {
  const out: ModifyFileRequest[] = [{ body: { $case: 'setCommit', value: target } }];
  for (const op of ops) {
    if ('put' in op) {
      const parts = Array.isArray(op.data) ? op.data : [op.data];
      out.push({
        body: {
          $case: 'putFile',
          value: {
            path: op.put,
            append: op.append ?? false,
            data: parts[0] ?? Buffer.alloc(0),
            datum: '',
            metadata: {},
            ifNotExists: false,
          },
        },
      });
      for (const part of parts.slice(1)) out.push({ body: { $case: 'data', value: part } });
    } else if ('del' in op) {
      out.push({ body: { $case: 'deleteFile', value: { path: op.del, datum: '' } } });
    } else {
      out.push({
        body: {
          $case: 'copyFile',
          value: {
            dst: op.copy,
            src: { commit: op.from.commit, path: op.from.path, fileSetId: '' },
            append: false,
            datum: '',
          },
        },
      });
    }
  }
  return out;
}

describe('pfs files (real etcd + Swift, over gRPC)', function () {
  let t: TestPfs;

  beforeEach(async () => {
    t = await startTestPfs('files');
    await t.call(t.client.createRepo, {
      repo: repo('data'),
      description: '',
      update: false,
      type: 0,
      pipeline: '',
    });
  });
  afterEach(async () => {
    await t.stop();
  });

  /** Sends a ModifyFile stream; `abortAfter` cancels the call after that many messages. */
  async function modify(target: Commit, ops: Op[], abortAfter?: number): Promise<ModifyFileResponse> {
    return await new Promise<ModifyFileResponse>((resolve, reject) => {
      const call = t.client.modifyFile((err, res) =>
        err ? reject(fromServiceError(err, 'pfs')) : resolve(res),
      );
      const messages = requests(target, ops);
      void (async () => {
        for (const [i, m] of messages.entries()) {
          if (abortAfter !== undefined && i === abortAfter) {
            await new Promise((r) => setTimeout(r, 100));
            call.cancel();
            return;
          }
          if (!call.write(m)) await new Promise((r) => call.once('drain', r));
        }
        call.end();
      })();
    });
  }

  async function get(commit: Commit, path: string, offset = 0n, length = 0n): Promise<Buffer> {
    const parts = await t.collect(t.client.getFile, {
      file: { commit, path, fileSetId: '' },
      offset,
      length,
    });
    return Buffer.concat(parts.map((p) => p.data));
  }

  it('puts files in one commit per stream and reads them back exactly, with ranges', async () => {
    const big = randomBytes(3 * 1024 * 1024 + 17);
    const res = await modify(onBranch('data'), [
      { put: '/a.txt', data: Buffer.from('hello') },
      { put: '/dir/big.bin', data: [big.subarray(0, 1 << 20), big.subarray(1 << 20)] },
      { put: '/dir/sub/empty', data: Buffer.alloc(0) },
    ]);
    assert.equal(res.filesWritten, 3n);
    const commits = await t.collect(t.client.listCommit, {
      repo: repo('data'),
      from: onBranch('data'),
      to: undefined,
      number: 0n,
      reverse: false,
      all: false,
      origin: 0,
      startedBefore: undefined,
    });
    assert.equal(commits.length, 1, 'one ModifyFile stream is one commit');
    assert.equal((await get(onBranch('data'), '/a.txt')).toString(), 'hello');
    const back = await get(onBranch('data'), '/dir/big.bin');
    assert.equal(
      createHash('sha256').update(back).digest('hex'),
      createHash('sha256').update(big).digest('hex'),
    );
    assert.deepEqual(
      await get(onBranch('data'), '/dir/big.bin', 1_000_001n, 70_000n),
      big.subarray(1_000_001, 1_070_001),
    );
    assert.equal((await get(onBranch('data'), '/dir/sub/empty')).length, 0);

    const top = await t.collect(t.client.listFile, {
      file: { commit: onBranch('data'), path: '/', fileSetId: '' },
      pageSize: 0,
      pageToken: '',
    });
    assert.deepEqual(
      top.map((f) => [f.file!.path, f.fileType]),
      [
        ['/a.txt', FileType.FILE],
        ['/dir/', FileType.DIR],
      ],
    );
    const walked = await t.collect(t.client.walkFile, {
      file: { commit: onBranch('data'), path: '/', fileSetId: '' },
      pageSize: 0,
      pageToken: '',
      filesOnly: true,
    });
    assert.deepEqual(
      walked.map((f) => f.file!.path),
      ['/a.txt', '/dir/big.bin', '/dir/sub/empty'],
    );
    const globbed = await t.collect(t.client.globFile, {
      commit: onBranch('data'),
      pattern: '/dir/**',
      fileSetId: '',
    });
    assert.ok(globbed.some((f) => f.file!.path === '/dir/big.bin'));
    const info = await t.call(t.client.inspectFile, {
      file: { commit: onBranch('data'), path: '/dir/big.bin', fileSetId: '' },
    });
    assert.equal(info.sizeBytes, BigInt(big.length));
    assert.equal(info.hash, createHash('sha256').update(big).digest('hex'));
  });

  it('appends, deletes, copies by reference, and diffs commits', async () => {
    await modify(onBranch('data'), [
      { put: '/log', data: Buffer.from('one\n') },
      { put: '/old/x', data: Buffer.from('x') },
    ]);
    const first = (await t.call(t.client.inspectCommit, { commit: onBranch('data'), wait: 0 })).commit!.id;
    await modify(onBranch('data'), [
      { put: '/log', data: Buffer.from('two\n'), append: true },
      { del: '/old' },
      { copy: '/copied', from: { commit: commitOf('data', first), path: '/old/x' } },
    ]);
    assert.equal((await get(onBranch('data'), '/log')).toString(), 'one\ntwo\n');
    assert.equal((await get(onBranch('data'), '/copied')).toString(), 'x');
    await assert.rejects(
      get(onBranch('data'), '/old/x'),
      (err: Error & { code?: string }) => err.code === 'not_found',
    );
    // The old commit still reads as it was.
    assert.equal((await get(commitOf('data', first), '/old/x')).toString(), 'x');
    const diff = await t.collect(t.client.diffFile, {
      newFile: { commit: onBranch('data'), path: '/', fileSetId: '' },
      oldFile: { commit: commitOf('data', first), path: '/', fileSetId: '' },
    });
    const changes = Object.fromEntries(diff.map((d) => [(d.newFile ?? d.oldFile)!.file!.path, d.change]));
    assert.deepEqual(changes, {
      '/copied': FileChange.ADDED,
      '/log': FileChange.CHANGED,
      '/old/x': FileChange.DELETED,
    });
  });

  it('makes nothing visible from a stream the client aborts midway', async () => {
    await modify(onBranch('data'), [{ put: '/keep', data: Buffer.from('kept') }]);
    await assert.rejects(
      modify(
        onBranch('data'),
        [
          { put: '/partial-1', data: Buffer.from('a') },
          { put: '/partial-2', data: [randomBytes(1 << 20), randomBytes(1 << 20)] },
          { put: '/never', data: Buffer.from('b') },
        ],
        3,
      ),
    );
    const walked = await t.collect(t.client.walkFile, {
      file: { commit: onBranch('data'), path: '/', fileSetId: '' },
      pageSize: 0,
      pageToken: '',
      filesOnly: true,
    });
    assert.deepEqual(
      walked.map((f) => f.file!.path),
      ['/keep'],
    );
  });

  it('refuses a write to a finished commit with FAILED_PRECONDITION naming it', async () => {
    await modify(onBranch('data'), [{ put: '/a', data: Buffer.from('a') }]);
    const head = (await t.call(t.client.inspectCommit, { commit: onBranch('data'), wait: 0 })).commit!.id;
    await assert.rejects(
      modify(commitOf('data', head), [{ put: '/b', data: Buffer.from('b') }]),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'failed_precondition');
        assert.match(err.message, new RegExp(`data@${head} is finished`));
        return true;
      },
    );
  });

  it('refuses bad paths with INVALID_ARGUMENT naming them, and changes nothing', async () => {
    for (const bad of ['/a/../b', '/a//b', 'relative', '/nul\u0000x', '/' + 'x'.repeat(5000)]) {
      await assert.rejects(
        modify(onBranch('data'), [
          { put: '/fine', data: Buffer.from('f') },
          { put: bad, data: Buffer.from('x') },
        ]),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'invalid_argument', `${JSON.stringify(bad).slice(0, 40)}: ${err.message}`);
          return true;
        },
      );
    }
    await assert.rejects(
      t.call(t.client.inspectCommit, { commit: onBranch('data'), wait: 0 }),
      /has no commits yet|not found/,
    );
    await assert.rejects(
      t.collect(t.client.globFile, { commit: onBranch('data'), pattern: '/[abc', fileSetId: '' }),
      (err: Error & { code?: string }) => err.code === 'invalid_argument' || err.code === 'not_found',
    );
  });

  it('reads an open commit with its staged writes', async () => {
    const { commit } = await t.call(t.client.startCommit, {
      branch: { repo: repo('data'), name: 'master' },
      description: '',
      parent: undefined,
      expectedHead: undefined,
    });
    await modify(commit!, [{ put: '/staged', data: Buffer.from('visible') }]);
    assert.equal((await get(commit!, '/staged')).toString(), 'visible');
    await t.call(t.client.finishCommit, { commit: commit!, description: '', error: '', force: false });
    assert.equal((await get(onBranch('data'), '/staged')).toString(), 'visible');
  });

  it('fails a read of a corrupted chunk with DATA_LOSS and leaves other files readable', async () => {
    await modify(onBranch('data'), [{ put: '/victim', data: randomBytes(300_000) }]);
    await modify(onBranch('data'), [{ put: '/bystander', data: randomBytes(300_000) }]);
    // Find the victim's chunks: everything the first commit wrote that the second did not.
    const keysNow: string[] = [];
    for await (const o of t.objects.list('chunks/')) keysNow.push(o.key);
    const victimBytes = await get(onBranch('data'), '/victim');
    let corrupted = false;
    for (const key of keysNow) {
      const chunk: Buffer[] = [];
      for await (const part of t.objects.get(key)) chunk.push(Buffer.from(part));
      const bytes = Buffer.concat(chunk);
      if (victimBytes.includes(bytes.subarray(0, 64))) {
        bytes[10] = bytes[10]! ^ 0xff;
        await t.objects.put(key, bytes);
        corrupted = true;
        break;
      }
    }
    assert.ok(corrupted, 'found a chunk of the victim to corrupt');
    // A fresh server, so no verified chunk is cached in memory.
    const fresh = await startTestPfsSharing(t);
    try {
      await assert.rejects(
        fresh.collect(fresh.client.getFile, {
          file: { commit: onBranch('data'), path: '/victim', fileSetId: '' },
          offset: 0n,
          length: 0n,
        }),
        (err: Error & { code?: string }) => err.code === 'data_loss',
      );
      const ok = await fresh.collect(fresh.client.getFile, {
        file: { commit: onBranch('data'), path: '/bystander', fileSetId: '' },
        offset: 0n,
        length: 0n,
      });
      assert.equal(Buffer.concat(ok.map((p) => p.data)).length, 300_000);
    } finally {
      await fresh.stop();
    }
  });

  it('garbage-collects what no commit reaches and keeps what one does', async () => {
    await modify(onBranch('data'), [{ put: '/keep', data: randomBytes(200_000) }]);
    // An aborted upload leaves unreachable chunks behind.
    await assert.rejects(
      modify(
        onBranch('data'),
        [{ put: '/lost', data: [randomBytes(1 << 20), randomBytes(1 << 20), randomBytes(1 << 20)] }],
        3,
      ),
    );
    // S3 times have one-second resolution: let the mark start in a later second than those writes.
    await new Promise((r) => setTimeout(r, 1100));
    const report = await t.call(t.client.runGc, { grace: { seconds: 0n, nanos: 0 }, dryRun: false });
    assert.ok(report.objectsDeleted > 0n, `GC deleted ${report.objectsDeleted} objects`);
    assert.ok(report.bytesFreed > 0n);
    assert.equal((await get(onBranch('data'), '/keep')).length, 200_000);
    const again = await t.call(t.client.runGc, { grace: { seconds: 0n, nanos: 0 }, dryRun: false });
    assert.equal(again.objectsDeleted, 0n, 'a second run finds nothing more');
  });
});

/** A second pfs server on the same etcd prefix and bucket as `t` (empty caches). */
async function startTestPfsSharing(t: TestPfs): Promise<TestPfs> {
  return await startTestPfs('files', { kv: t.kv, objects: t.objects });
}
