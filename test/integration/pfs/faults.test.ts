/**
 * pfs under faults: the pfs process is SIGKILLed in the middle of an upload and of a FinishCommit,
 * and a chunk is corrupted on disk. pfs runs as a child process (services/pfs/main.ts) on the
 * harness's etcd, under its own etcd prefix, with a local-directory object store in the harness's
 * scratch directory — so the test can look at (and damage) the objects on disk.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { join } from 'node:path';
import { CommitState } from '../../../proto/gen/terrain/pfs/v1/commit.ts';
import type { ModifyFileRequest } from '../../../proto/gen/terrain/pfs/v1/file.ts';
import type { Commit } from '../../../proto/gen/terrain/pfs/v1/refs.ts';
import { Kv, watchKey } from '../../../services/platform/etcd/index.ts';
import { decode, keys } from '../../../services/pfs/records.ts';
import { testEnv, uniquePrefix } from '../../harness/index.ts';
import { startPfsProcess, type PfsProcess } from './fixtures/pfs-process.ts';

const MiB = 1024 * 1024;
const repo = (name: string) => ({ name });
const onBranch = (r: string, b = 'master'): Commit => ({ repo: repo(r), id: '', branch: b, ancestors: 0 });
const commitOf = (r: string, id: string): Commit => ({ repo: repo(r), id, branch: '', ancestors: 0 });
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const NO_GRACE = { seconds: 0n, nanos: 1_000_000 }; // 1 ms: everything older than the mark

type Files = Map<string, Buffer>;

/** A ModifyFile stream: set_commit, then one put per file (bytes in ≤ 1 MiB messages), then deletes. */
function* putMessages(
  target: Commit,
  files: Iterable<[string, Buffer]>,
  deletes: string[] = [],
): Generator<ModifyFileRequest> {
  yield { body: { $case: 'setCommit', value: target } };
  for (const [path, data] of files) {
    yield {
      body: {
        $case: 'putFile',
        value: {
          path,
          append: false,
          data: data.subarray(0, MiB),
          datum: '',
          metadata: {},
          ifNotExists: false,
        },
      },
    };
    for (let off = MiB; off < data.length; off += MiB)
      yield { body: { $case: 'data', value: data.subarray(off, off + MiB) } };
  }
  for (const path of deletes) yield { body: { $case: 'deleteFile', value: { path, datum: '' } } };
}

/** Bytes of `name` version `v`: small, distinct per path and version. */
const small = (name: string, v: number): Buffer =>
  Buffer.from(`${name} v${v} ${'x'.repeat(name.length % 50)}\n`);

describe('pfs under faults (pfs as a child process, real etcd, local object store)', function () {
  let dir: string;
  let prefix: string;
  let pfs: PfsProcess | undefined;

  const start = async (): Promise<PfsProcess> =>
    (pfs = await startPfsProcess({
      etcdEndpoint: testEnv().etcd.endpoint,
      etcdPrefix: prefix,
      storage: `local:${join(dir, 'store')}`,
      logFile: join(dir, 'pfs.log'),
    }));
  const chunkDir = (): string => join(dir, 'store', 'objects', 'chunks');
  const chunkFiles = (): string[] => {
    try {
      return readdirSync(chunkDir());
    } catch {
      return [];
    }
  };
  const chunkBytesOnDisk = (): number =>
    chunkFiles().reduce((sum, f) => sum + statSync(join(chunkDir(), f)).size, 0);

  async function read(p: PfsProcess, commit: Commit, path: string): Promise<Buffer> {
    const parts = await p.collect(p.client.getFile, {
      file: { commit, path, fileSetId: '' },
      offset: 0n,
      length: 0n,
    });
    return Buffer.concat(parts.map((x) => x.data));
  }
  async function walk(p: PfsProcess, commit: Commit): Promise<Map<string, string>> {
    const infos = await p.collect(p.client.walkFile, {
      file: { commit, path: '/', fileSetId: '' },
      pageSize: 0,
      pageToken: '',
      filesOnly: true,
    });
    return new Map(infos.map((i) => [i.file!.path, i.hash]));
  }
  /** Every file of `commit` reads back byte-identical to `expected`, and nothing else is there. */
  async function assertContents(p: PfsProcess, commit: Commit, expected: Files, what: string): Promise<void> {
    const listed = await walk(p, commit);
    assert.deepEqual([...listed.keys()].sort(), [...expected.keys()].sort(), `${what}: the file list`);
    for (const [path, data] of expected) {
      assert.equal(listed.get(path), sha256(data), `${what}: hash of ${path}`);
      if (data.length > 64 * 1024)
        assert.equal(sha256(await read(p, commit, path)), sha256(data), `${what}: bytes of ${path}`);
    }
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(testEnv().scratchDir, 'pfs-faults-'));
    prefix = uniquePrefix('pfs-faults');
    const p = await start();
    await p.call(p.client.createRepo, {
      repo: repo('data'),
      description: '',
      update: false,
      type: 0,
      pipeline: '',
    });
  });
  afterEach(async () => {
    await pfs?.kill();
    pfs = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows no partial file or commit after a SIGKILL during a 200 MiB upload, keeps every earlier commit, and collects the strays', async () => {
    let p = pfs!;
    // Three finished commits, each checked later at its own ID.
    const history: { id: string; files: Files }[] = [];
    const current: Files = new Map();
    const rounds: [string, Buffer][][] = [
      [
        ['/a.bin', randomBytes(3 * MiB + 5)],
        ...Array.from({ length: 40 }, (_, i): [string, Buffer] => [`/small/${i}`, small(`s${i}`, 1)]),
      ],
      [
        ['/b.bin', randomBytes(2 * MiB)],
        ['/small/7', small('s7', 2)],
      ],
      [
        ['/a.bin', randomBytes(MiB + 1)],
        ['/c/d.bin', randomBytes(700_000)],
      ],
    ];
    let liveBytes = 0;
    for (const round of rounds) {
      const res = await p.modify(putMessages(onBranch('data'), round));
      for (const [path, data] of round) current.set(path, data);
      liveBytes += round.reduce((n, [, d]) => n + d.length, 0);
      history.push({ id: res.commit!.id, files: new Map(current) });
    }
    // An open commit with one staged file: the upload goes into it.
    const { commit: open } = await p.call(p.client.startCommit, {
      branch: { repo: repo('data'), name: 'master' },
      description: '',
      parent: undefined,
      expectedHead: undefined,
    });
    const staged = randomBytes(100_000);
    await p.modify(putMessages(open!, [['/staged.bin', staged]]));
    liveBytes += staged.length;

    // 200 MiB in 1 MiB messages; SIGKILL once about half of it is in the store as chunks. The stream
    // is never ended before the kill, so the upload cannot complete first.
    const before = chunkFiles().length;
    let chunksAtKill = 0;
    const killed = (async () => {
      const deadline = Date.now() + 30_000;
      while (chunkFiles().length < before + 100 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      chunksAtKill = chunkFiles().length - before;
      await p.kill('SIGKILL');
    })();
    function* huge(): Generator<ModifyFileRequest> {
      yield { body: { $case: 'setCommit', value: open! } };
      yield {
        body: {
          $case: 'putFile',
          value: {
            path: '/huge.bin',
            append: false,
            data: randomBytes(MiB),
            datum: '',
            metadata: {},
            ifNotExists: false,
          },
        },
      };
      for (let i = 1; i < 200; i++) yield { body: { $case: 'data', value: randomBytes(MiB) } };
    }
    await assert.rejects(p.modify(huge(), killed), (err: Error & { code?: string }) => {
      assert.ok(
        ['unavailable', 'cancelled', 'internal', 'unknown'].includes(err.code ?? ''),
        `upload failed with ${err.code}: ${err.message}`,
      );
      return true;
    });
    await killed;
    assert.ok(
      chunksAtKill >= 100,
      `pfs was killed after ${chunksAtKill} chunks of the upload were stored (wanted ≥ 100)`,
    );
    const strays = chunkFiles().length - before;

    p = await start();
    // The open commit is still open, with exactly its staged file over its parent's tree.
    const info = await p.call(p.client.inspectCommit, { commit: open!, wait: 0 });
    assert.equal(info.state, CommitState.STARTED);
    const openFiles = new Map([...current, ['/staged.bin', staged]]);
    await assertContents(p, open!, openFiles, 'the open commit after restart');
    await assert.rejects(
      read(p, open!, '/huge.bin'),
      (err: Error & { code?: string }) => err.code === 'not_found',
    );
    const commits = await p.collect(p.client.listCommit, {
      repo: repo('data'),
      from: undefined,
      to: undefined,
      number: 0n,
      reverse: false,
      all: true,
      origin: 0,
      startedBefore: undefined,
    });
    assert.deepEqual(
      commits.map((c) => c.commit!.id).sort(),
      [...history.map((h) => h.id), open!.id].sort(),
      'no commit from the aborted upload',
    );
    for (const h of history) await assertContents(p, commitOf('data', h.id), h.files, `commit ${h.id}`);

    // S3 and local stores stamp objects at one-second resolution at worst: let the mark start later.
    await new Promise((r) => setTimeout(r, 1100));
    const report = await p.call(p.client.runGc, { grace: NO_GRACE, dryRun: false });
    assert.ok(
      report.objectsDeleted >= BigInt(strays),
      `GC deleted ${report.objectsDeleted} objects; the upload left ${strays} chunks`,
    );
    assert.ok(report.bytesFreed >= 100n * BigInt(MiB), `GC freed ${report.bytesFreed} bytes`);
    // What is left in chunks/ is exactly the live data (random bytes: nothing deduplicates).
    assert.equal(
      chunkBytesOnDisk(),
      liveBytes,
      'chunk bytes on disk after GC equal the bytes of the live files',
    );
    for (const h of history)
      await assertContents(p, commitOf('data', h.id), h.files, `commit ${h.id} after GC`);
    await p.call(p.client.finishCommit, { commit: open!, description: '', error: '', force: false });
    await assertContents(p, onBranch('data'), openFiles, 'the finished commit');
  });

  it('completes a commit after a SIGKILL in the middle of its FinishCommit, with the right contents', async () => {
    let p = pfs!;
    const expected: Files = new Map();
    const base: [string, Buffer][] = Array.from({ length: 20_000 }, (_, i) => [
      `/base/${String(i).padStart(5, '0')}`,
      small(`b${i}`, 1),
    ]);
    await p.modify(putMessages(onBranch('data'), base));
    for (const [path, data] of base) expected.set(path, data);

    // A commit with eight staged file sets: overwrites, new files, a directory delete.
    const { commit: c } = await p.call(p.client.startCommit, {
      branch: { repo: repo('data'), name: 'master' },
      description: '',
      parent: undefined,
      expectedHead: undefined,
    });
    for (let s = 0; s < 8; s++) {
      const files: [string, Buffer][] = [];
      for (let i = 0; i < 2500; i++) {
        const n = s * 2500 + i;
        files.push(
          n % 2 === 0
            ? [`/base/${String(n).padStart(5, '0')}`, small(`b${n}`, 2)]
            : [`/new/${s}/${i}`, small(`n${n}`, 1)],
        );
      }
      const deletes = s === 7 ? ['/new/3/'] : [];
      await p.modify(putMessages(c!, files, deletes));
      for (const [path, data] of files) expected.set(path, data);
      for (const d of deletes)
        for (const path of [...expected.keys()]) if (path.startsWith(d)) expected.delete(path);
    }

    // Kill pfs the moment the commit record says FINISHING (the FinishCommit call is then merging).
    const kv = Kv.connect({ endpoints: [testEnv().etcd.endpoint], prefix }).child('pfs/');
    const watching = new AbortController();
    try {
      const fromRevision = (await kv.revision()) + 1;
      const sawFinishing = (async () => {
        for await (const ev of watchKey(kv, keys.finishing('data', c!.id), {
          fromRevision,
          signal: watching.signal,
        })) {
          if (ev.type === 'put') {
            process.kill(p.pid, 'SIGKILL');
            return;
          }
        }
      })();
      const finishing = p.call(p.client.finishCommit, {
        commit: c!,
        description: '',
        error: '',
        force: false,
      });
      await sawFinishing;
      await assert.rejects(finishing, 'the FinishCommit call dies with pfs');
      await p.kill();
      const record = decode.commit((await kv.get(keys.commit('data', c!.id)))!);
      assert.equal(
        record.state,
        CommitState.FINISHING,
        'pfs died while the commit was FINISHING (not before, not after)',
      );
    } finally {
      watching.abort();
      kv.close();
    }

    p = await start();
    const done = await p.call(p.client.inspectCommit, { commit: c!, wait: CommitState.FINISHED }, 30_000);
    assert.equal(done.state, CommitState.FINISHED);
    assert.equal(done.error, '');
    const head = await p.call(p.client.inspectCommit, { commit: onBranch('data'), wait: 0 });
    assert.equal(head.commit!.id, c!.id);
    await assertContents(p, c!, expected, 'the commit finished after restart');
    assert.equal((await read(p, c!, '/base/00002')).toString(), small('b2', 2).toString());
    assert.equal((await read(p, c!, '/base/00001')).toString(), small('b1', 1).toString());
  });

  it('fails a read of a chunk corrupted on disk with DATA_LOSS and leaves other files readable', async () => {
    let p = pfs!;
    const victim = randomBytes(3 * MiB);
    const bystander = randomBytes(3 * MiB);
    const before = new Set(chunkFiles());
    await p.modify(putMessages(onBranch('data'), [['/victim.bin', victim]]));
    const victimChunks = chunkFiles().filter((f) => !before.has(f));
    await p.modify(
      putMessages(onBranch('data'), [
        ['/bystander.bin', bystander],
        ['/note', small('note', 1)],
      ]),
    );
    assert.ok(victimChunks.length >= 2, `the victim is ${victimChunks.length} chunks`);

    // Flip one byte in the middle of one of the victim's chunk files, in place.
    const path = join(chunkDir(), victimChunks[0]!);
    const at = Math.floor(statSync(path).size / 2);
    const fd = openSync(path, 'r+');
    try {
      const b = Buffer.alloc(1);
      readSync(fd, b, 0, 1, at);
      b[0] = b[0]! ^ 0x01;
      writeSync(fd, b, 0, 1, at);
    } finally {
      closeSync(fd);
    }
    // A fresh process: no verified chunk in memory.
    await p.kill();
    p = await start();
    await assert.rejects(read(p, onBranch('data'), '/victim.bin'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'data_loss', err.message);
      return true;
    });
    assert.equal(sha256(await read(p, onBranch('data'), '/bystander.bin')), sha256(bystander));
    assert.equal((await read(p, onBranch('data'), '/note')).toString(), small('note', 1).toString());
    // Metadata does not depend on the chunk: the file is still listed with its original hash.
    const info = await p.call(p.client.inspectFile, {
      file: { commit: onBranch('data'), path: '/victim.bin', fileSetId: '' },
    });
    assert.equal(info.hash, sha256(victim));
  });
});
