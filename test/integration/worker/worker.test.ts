/**
 * The worker sidecar against real pfs (etcd + Swift from the harness) and a fake pps Worker
 * server written here: it processes a shard, its outputs read back through pfs, and a worker
 * killed with SIGKILL stops renewing its lease.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, credentials } from '@grpc/grpc-js';
import type * as pfsFile from '../../../proto/gen/terrain/pfs/v1/file.ts';
import { PfsService } from '../../../proto/gen/terrain/pfs/v1/pfs.ts';
import type { Commit } from '../../../proto/gen/terrain/pfs/v1/refs.ts';
import { DatumState, type DatumInput } from '../../../proto/gen/terrain/pps/v1/datum.ts';
import type { Shard, Transform } from '../../../proto/gen/terrain/pps/v1/worker.ts';
import { PFS_MESSAGE_MODULES } from '../../../clients/ts/client.ts';
import { makeStub, type DeepPartial } from '../../../clients/ts/rpc.ts';
import { Kv } from '../../../services/platform/etcd/index.ts';
import { silentLogger } from '../../../services/platform/logging.ts';
import { S3ObjectStore } from '../../../services/platform/object-store/s3.ts';
import { FileSetStorage } from '../../../services/pfs/storage/index.ts';
import { DatumRunner } from '../../../services/worker/datum-runner.ts';
import { PfsCommitRoots, pfsRegisterFileSet } from '../../../services/worker/pfs-data-plane.ts';
import { connectWorkerClients, type WorkerClients } from '../../../services/worker/rpc-clients.ts';
import { Worker } from '../../../services/worker/worker.ts';
import { LocalLauncher } from '../../../services/pps/launchers/local.ts';
import { detectIsolation } from '../../../services/worker/isolation.ts';
import { freshBucket, testEnv, uniquePrefix } from '../../harness/index.ts';
import { startTestPfs, type TestPfs } from '../pfs/test-pfs.ts';
import { startFakePps, type FakePps } from './fake-pps.ts';

const JOB = 'c'.repeat(32);

function transform(partial: Partial<Transform>): Transform {
  return {
    cmd: [],
    stdin: [],
    env: {},
    image: '',
    workingDir: '',
    errCmd: [],
    errStdin: [],
    acceptReturnCode: [],
    user: '',
    ...partial,
  };
}

function input(commit: Commit, path: string): DatumInput {
  return {
    name: 'images',
    file: { commit, path, fileSetId: '' },
    hash: '',
    sizeBytes: 0n,
    glob: '/*',
    joinKey: '',
    emptyFiles: false,
  };
}

function shard(id: string, commit: Commit, paths: string[], t: Partial<Transform>): Shard {
  return {
    id,
    job: { pipeline: { name: 'copy' }, id: JOB },
    pipelineVersion: 1n,
    outputCommit: { repo: { name: 'copy' }, id: JOB, branch: 'master', ancestors: 0 },
    transform: transform(t),
    datums: paths.map((p, i) => ({ id: `datum${i}`, hash: `h${i}`, inputs: [input(commit, p)], attempt: 1 })),
    datumTimeout: undefined,
    datumTries: 3,
  };
}

describe('worker sidecar (real pfs, fake pps)', function () {
  this.timeout(60_000);
  let bucket: string;
  let kv: Kv;
  let objects: S3ObjectStore;
  let t: TestPfs;
  let pps: FakePps;
  let pfs: ReturnType<typeof pfsStub>;
  let commit: Commit;
  let scratch: string;

  function pfsStub(address: string) {
    return makeStub(PfsService, PFS_MESSAGE_MODULES, {
      channel: new Client(address, credentials.createInsecure()),
      service: 'pfs',
      address,
    });
  }

  async function readFileSet(id: string, path: string): Promise<string> {
    const parts: Buffer[] = [];
    for await (const r of pfs.getFile({ file: { fileSetId: id, path } })) parts.push(Buffer.from(r.data));
    return Buffer.concat(parts).toString();
  }

  beforeEach(async () => {
    const { etcd, s3 } = testEnv();
    bucket = await freshBucket('worker');
    kv = Kv.connect({ endpoints: [etcd.endpoint], prefix: uniquePrefix('worker') });
    objects = new S3ObjectStore({
      bucket,
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    t = await startTestPfs('worker', { kv, objects });
    pfs = pfsStub(t.address);
    await pfs.createRepo({ repo: { name: 'images' } });
    const puts: DeepPartial<pfsFile.ModifyFileRequest>[] = [
      { body: { $case: 'setCommit', value: { repo: { name: 'images' }, branch: 'master' } } },
    ];
    for (const n of ['a', 'b', 'c', 'd']) {
      puts.push({
        body: { $case: 'putFile', value: { path: `/${n}.txt`, data: Buffer.from(`content of ${n}\n`) } },
      });
    }
    const res = await pfs.modifyFile(puts);
    commit = res.commit!;
    pps = await startFakePps(900);
    scratch = await mkdtemp(join(tmpdir(), 'worker-it-'));
  });

  afterEach(async () => {
    await pps.stop();
    await t.stop();
    kv.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('processes a shard and reports output file sets that read back through pfs, tagged with each datum', async () => {
    const clients: WorkerClients = connectWorkerClients(pps.address, t.address);
    const storage = new FileSetStorage(objects);
    const runner = new DatumRunner({
      storage,
      roots: new PfsCommitRoots(clients.pfs),
      registerFileSet: pfsRegisterFileSet(clients.pfs),
      scratchDir: scratch,
      isolation: await detectIsolation('auto'),
      baseEnv: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    });
    const worker = new Worker(
      { pipeline: 'copy', name: 'it', concurrency: 2 },
      { pps: clients.pps, runner, logger: silentLogger() },
    );
    try {
      await worker.start();
      assert.equal(worker.state, 'RUNNING');
      pps.enqueue(
        shard('s1', commit, ['/a.txt', '/b.txt', '/c.txt'], {
          cmd: [
            'sh',
            '-c',
            'echo "log for $PACH_DATUM_ID"; tr a-z A-Z < "$images" > /pfs/out/$(basename "$images")',
          ],
        }),
      );
      await pps.until(() => pps.completed.has('s1'));
      const results = pps.results.get('s1')!;
      assert.deepEqual(
        results.map((r) => [r.datumId, r.state, r.error]),
        [
          ['datum0', DatumState.SUCCESS, ''],
          ['datum1', DatumState.SUCCESS, ''],
          ['datum2', DatumState.SUCCESS, ''],
        ],
      );
      for (const [i, n] of ['a', 'b', 'c'].entries()) {
        const r = results[i]!;
        assert.equal(await readFileSet(r.outputFileSetId, `/${n}.txt`), `CONTENT OF ${n.toUpperCase()}\n`);
        const infos = [];
        for await (const f of pfs.listFile({ file: { fileSetId: r.outputFileSetId, path: '/' } }))
          infos.push(f);
        assert.deepEqual(
          infos.map((f) => [f.file?.path, f.datum]),
          [[`/${n}.txt`, `datum${i}`]],
        );
        assert.deepEqual(
          r.inputFiles.map((f) => [f.file?.commit?.id, f.file?.path]),
          [[commit.id, `/${n}.txt`]],
        );
        assert.ok(r.stats?.processTime !== undefined);
      }
      await pps.until(() => pps.logs.some((l) => l.message === 'log for datum2'));
      const line = pps.logs.find((l) => l.message === 'log for datum2')!;
      assert.equal(line.jobId, JOB);
      assert.equal(line.datumId, 'datum2');
      assert.equal(line.pipeline?.name, 'copy');
    } finally {
      await worker.stop(1000);
      clients.close();
    }
    assert.equal(worker.state, 'STOPPED');
  });

  it('reports an empty output file set for a datum that writes nothing, and the failure reason for one that fails', async () => {
    const clients = connectWorkerClients(pps.address, t.address);
    const runner = new DatumRunner({
      storage: new FileSetStorage(objects),
      roots: new PfsCommitRoots(clients.pfs),
      registerFileSet: pfsRegisterFileSet(clients.pfs),
      scratchDir: scratch,
      isolation: 'directory',
      baseEnv: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    });
    const worker = new Worker(
      { pipeline: 'copy', name: 'it' },
      { pps: clients.pps, runner, logger: silentLogger() },
    );
    try {
      await worker.start();
      pps.enqueue(
        shard('e1', commit, ['/a.txt', '/b.txt'], {
          cmd: ['sh', '-c', 'case "$images" in *a.txt) exit 0;; *) echo boom >&2; exit 4;; esac'],
        }),
      );
      await pps.until(() => pps.completed.has('e1'));
      const [empty, failed] = pps.results.get('e1')!;
      assert.equal(empty!.state, DatumState.SUCCESS);
      const listed = [];
      for await (const f of pfs.listFile({ file: { fileSetId: empty!.outputFileSetId, path: '/' } }))
        listed.push(f);
      assert.deepEqual(listed, []);
      assert.equal(failed!.state, DatumState.FAILED);
      assert.equal(failed!.error, 'exit code 4');
      assert.equal(failed!.exitCode, 4);
      await pps.until(() => pps.logs.some((l) => l.message === 'boom' && l.datumId === 'datum1'));
    } finally {
      await worker.stop(1000);
      clients.close();
    }
  });

  it('abandons the running shard without reporting it when its lease is lost, then registers again', async () => {
    const clients = connectWorkerClients(pps.address, t.address);
    const runner = new DatumRunner({
      storage: new FileSetStorage(objects),
      roots: new PfsCommitRoots(clients.pfs),
      registerFileSet: pfsRegisterFileSet(clients.pfs),
      scratchDir: scratch,
      isolation: 'directory',
      baseEnv: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
      killGraceMs: 200,
    });
    const worker = new Worker(
      { pipeline: 'copy', name: 'it' },
      { pps: clients.pps, runner, logger: silentLogger() },
    );
    try {
      await worker.start();
      pps.enqueue(shard('s2', commit, ['/a.txt'], { cmd: ['sh', '-c', 'echo started; sleep 30'] }));
      await pps.until(() => pps.logs.some((l) => l.message === 'started'));
      pps.expire(worker.workerId);
      await pps.until(() => pps.registrations.length === 2);
      pps.enqueue(shard('s3', commit, ['/b.txt'], { cmd: ['sh', '-c', 'cp "$images" /pfs/out/'] }));
      await pps.until(() => pps.completed.has('s3'));
      assert.equal(pps.results.has('s2'), false, 'the abandoned shard was not reported');
      assert.equal(pps.results.get('s3')![0]!.state, DatumState.SUCCESS);
    } finally {
      await worker.stop(1000);
      clients.close();
    }
  });

  it('kills the user code of a shard that pps cancels and does not report it', async () => {
    const clients = connectWorkerClients(pps.address, t.address);
    const runner = new DatumRunner({
      storage: new FileSetStorage(objects),
      roots: new PfsCommitRoots(clients.pfs),
      registerFileSet: pfsRegisterFileSet(clients.pfs),
      scratchDir: scratch,
      isolation: 'directory',
      baseEnv: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
      killGraceMs: 200,
    });
    const worker = new Worker(
      { pipeline: 'copy', name: 'it' },
      { pps: clients.pps, runner, logger: silentLogger() },
    );
    try {
      await worker.start();
      pps.enqueue(shard('s5', commit, ['/a.txt'], { cmd: ['sh', '-c', 'echo started; sleep 30'] }));
      await pps.until(() => pps.logs.some((l) => l.message === 'started'));
      const started = Date.now();
      pps.cancel('s5');
      pps.enqueue(shard('s6', commit, ['/b.txt'], { cmd: ['sh', '-c', 'cp "$images" /pfs/out/'] }));
      await pps.until(() => pps.completed.has('s6'));
      assert.ok(Date.now() - started < 10_000, 'the sleeping datum was killed, not waited for');
      assert.equal(pps.results.has('s5'), false);
      assert.equal(pps.registrations.length, 1, 'a cancelled shard does not cost the lease');
    } finally {
      await worker.stop(1000);
      clients.close();
    }
  });

  it('stops renewing its lease when the worker process is killed with SIGKILL mid-datum', async () => {
    const { s3 } = testEnv();
    const child: ChildProcess = spawn(process.execPath, ['services/worker/main.ts'], {
      env: {
        PATH: process.env['PATH'],
        HOME: process.env['HOME'],
        TERRAIN_STORAGE: `s3://${bucket}?endpoint=${encodeURIComponent(s3.endpoint)}&region=${s3.region}&forcePathStyle=true`,
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        TERRAIN_PPS_ADDRESS: pps.address,
        TERRAIN_PFS_ADDRESS: t.address,
        TERRAIN_WORKER_PIPELINE: 'copy',
        TERRAIN_WORKER_SCRATCH_DIR: join(scratch, 'child'),
        TERRAIN_LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    let userPid = 0;
    try {
      await pps.until(() => pps.registrations.length === 1, 30_000);
      // `exec` makes the sleeping command the leader of its process group, whose PID it prints.
      pps.enqueue(shard('s4', commit, ['/a.txt'], { cmd: ['sh', '-c', 'echo "started $$"; exec sleep 30'] }));
      await pps.until(() => pps.logs.some((l) => l.message.startsWith('started ')));
      userPid = Number(pps.logs.find((l) => l.message.startsWith('started '))!.message.split(' ')[1]);
      assert.doesNotThrow(() => process.kill(userPid, 0), 'the user code runs');
      // It renews while the datum runs...
      const before = pps.renewals.length;
      await pps.until(() => pps.renewals.length >= before + 2);
      child.kill('SIGKILL');
      await exited;
      const atKill = pps.renewals.length;
      // ...and not after: wait three lease periods (the fake's TTL is 0.9 s, renewals every 0.3 s).
      await new Promise((r) => setTimeout(r, 2700));
      assert.equal(pps.renewals.length, atKill, 'no renewal after SIGKILL');
      // setpriv --pdeathsig took the user code down with the worker.
      assert.throws(() => process.kill(userPid, 0), 'the user code died with the worker');
      assert.equal(pps.results.has('s4'), false);
    } finally {
      child.kill('SIGKILL');
      if (userPid > 0) {
        try {
          process.kill(-userPid, 'SIGKILL'); // the test's own user code, if it survived a failure
        } catch {
          // already gone
        }
      }
    }
  });

  function launcher(): LocalLauncher {
    const { s3 } = testEnv();
    return new LocalLauncher({
      storage: `s3://${bucket}?endpoint=${encodeURIComponent(s3.endpoint)}&region=${s3.region}&forcePathStyle=true`,
      logger: silentLogger(),
      env: {
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        TERRAIN_LOG_LEVEL: 'silent',
        TERRAIN_WORKER_SCRATCH_DIR: join(scratch, 'launched'),
      },
      stderr: 'ignore',
      stopGraceMs: 5000,
    });
  }

  it('runs parallelism real worker processes through the local launcher and stops them with the pipeline', async () => {
    const l = launcher();
    try {
      await l.start({
        name: 'copy',
        specVersion: 1,
        parallelism: 2,
        ppsAddress: pps.address,
        pfsAddress: t.address,
      });
      await pps.until(() => pps.registrations.length === 2, 30_000);
      assert.deepEqual(pps.registrations.map((r) => r.name).sort(), ['copy-v1-0', 'copy-v1-1']);
      pps.enqueue(shard('L1', commit, ['/a.txt', '/b.txt'], { cmd: ['sh', '-c', 'cp "$images" /pfs/out/'] }));
      pps.enqueue(shard('L2', commit, ['/c.txt', '/d.txt'], { cmd: ['sh', '-c', 'cp "$images" /pfs/out/'] }));
      await pps.until(() => pps.completed.has('L1') && pps.completed.has('L2'));
      const outputs = [...pps.results.get('L1')!, ...pps.results.get('L2')!];
      assert.deepEqual(
        outputs.map((r) => r.state),
        [DatumState.SUCCESS, DatumState.SUCCESS, DatumState.SUCCESS, DatumState.SUCCESS],
      );
      assert.equal(await readFileSet(outputs[3]!.outputFileSetId, '/d.txt'), 'content of d\n');
      const pids = l.status('copy').map((s) => s.pid!);
      await l.stop('copy');
      for (const pid of pids) assert.throws(() => process.kill(pid, 0), 'the worker process is gone');
      const after = pps.renewals.length;
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(pps.renewals.length, after, 'no renewals after stop');
    } finally {
      await l.close();
    }
  });

  it('lets a worker that pps drains exit cleanly, and does not restart it', async () => {
    const l = launcher();
    try {
      await l.start({
        name: 'copy',
        specVersion: 1,
        parallelism: 1,
        ppsAddress: pps.address,
        pfsAddress: t.address,
      });
      await pps.until(() => pps.registrations.length === 1, 30_000);
      const pid = l.status('copy')[0]!.pid!;
      pps.drain();
      await pps.until(() => l.status('copy')[0]!.pid === undefined, 20_000);
      assert.throws(() => process.kill(pid, 0));
      assert.equal(l.status('copy')[0]!.restarts, 0);
    } finally {
      await l.close();
    }
  });
});
