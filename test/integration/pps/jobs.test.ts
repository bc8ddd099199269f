import assert from 'node:assert/strict';
import { JobState } from '../../../proto/gen/terrain/pps/v1/job.ts';
import { DatumState } from '../../../proto/gen/terrain/pps/v1/datum.ts';
import { LogSource } from '../../../proto/gen/terrain/pps/v1/logs.ts';
import { FakeWorker, readText, startTestCluster, type TestCluster } from './test-pps.ts';

function spec(name: string, input: string, glob: string): string {
  return JSON.stringify({
    pipeline: { name },
    transform: { cmd: ['sh', '-c', 'cp -r /pfs/in/* /pfs/out/'] },
    input: { pfs: { repo: input, glob, name: 'in' } },
  });
}

/** Copies each datum's input files to the output, upper-cased, under the same path. */
function upper(
  c: TestCluster,
): (d: {
  inputs: { file?: { path: string; commit?: { repo?: { name: string }; id: string } } }[];
}) => Record<string, string> {
  void c;
  return (d) => {
    const out: Record<string, string> = {};
    for (const i of d.inputs)
      out[i.file!.path] = `from ${i.file!.commit!.repo!.name}@${i.file!.commit!.id}:${i.file!.path}`;
    return out;
  };
}

async function waitJob(c: TestCluster, pipeline: string, id: string) {
  return c.client.pps.inspectJob(
    { job: { pipeline: { name: pipeline }, id }, wait: true },
    { timeoutMs: 60_000 },
  );
}

describe('pps jobs', function () {
  this.timeout(120_000);
  let c: TestCluster;
  const workers: FakeWorker[] = [];

  beforeEach(async function () {
    c = await startTestCluster('pps-jobs');
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.stop();
    await c.stop();
  });

  it('creates a job with the input commit global ID, one datum per top-level file, and skips unchanged datums next time', async () => {
    await c.client.pfs.createRepo({ repo: { name: 'images' } });
    await c.client.pps.createPipeline({ specJson: spec('copy', 'images', '/*') });
    const w = new FakeWorker(c, 'copy', { process: upper(c) });
    workers.push(w);
    await w.start();

    const put = await c.client.pfs.startCommit({ branch: { repo: { name: 'images' }, name: 'master' } });
    const id = put.commit!.id;
    for (const f of ['a', 'b', 'c']) await c.client.pfs.putFile(`images@${id}`, `/${f}.txt`, Buffer.from(f));
    await c.client.pfs.finishCommit({ commit: { repo: { name: 'images' }, id } });

    const job = await waitJob(c, 'copy', id);
    assert.equal(job.state, JobState.SUCCESS, job.reason);
    assert.equal(job.outputCommit?.id, id);
    assert.equal(job.dataTotal, 3n);
    assert.equal(job.dataProcessed, 3n);
    assert.equal(job.dataSkipped, 0n);
    assert.equal(await readText(c.client, `copy@${id}:/b.txt`), `from images@${id}:/b.txt`);

    // Change one file: exactly one datum runs, the two others are skipped and their outputs kept.
    const second = await c.client.pfs.startCommit({ branch: { repo: { name: 'images' }, name: 'master' } });
    const id2 = second.commit!.id;
    await c.client.pfs.putFile(`images@${id2}`, '/b.txt', Buffer.from('B'));
    await c.client.pfs.finishCommit({ commit: { repo: { name: 'images' }, id: id2 } });
    const job2 = await waitJob(c, 'copy', id2);
    assert.equal(job2.state, JobState.SUCCESS, job2.reason);
    assert.equal(job2.dataTotal, 3n);
    assert.equal(job2.dataProcessed, 1n);
    assert.equal(job2.dataSkipped, 2n);
    assert.equal(await readText(c.client, `copy@${id2}:/b.txt`), `from images@${id2}:/b.txt`);
    assert.equal(await readText(c.client, `copy@${id2}:/a.txt`), `from images@${id}:/a.txt`);

    // Delete a file: its datum disappears and so does its output.
    const third = await c.client.pfs.startCommit({ branch: { repo: { name: 'images' }, name: 'master' } });
    const id3 = third.commit!.id;
    await c.client.pfs.modifyFile([
      { body: { $case: 'setCommit', value: { repo: { name: 'images' }, id: id3 } } },
      { body: { $case: 'deleteFile', value: { path: '/c.txt' } } },
    ]);
    await c.client.pfs.finishCommit({ commit: { repo: { name: 'images' }, id: id3 } });
    const job3 = await waitJob(c, 'copy', id3);
    assert.equal(job3.state, JobState.SUCCESS, job3.reason);
    assert.equal(job3.dataTotal, 2n);
    assert.equal(job3.dataSkipped, 2n);
    const files: string[] = [];
    for await (const f of c.client.pfs.listFile({
      file: { commit: { repo: { name: 'copy' }, id: id3 }, path: '/' },
    }))
      files.push(f.file!.path);
    assert.deepEqual(files.sort(), ['/a.txt', '/b.txt']);

    const datums = [];
    for await (const d of c.client.pps.listDatum({ job: { pipeline: { name: 'copy' }, id: id2 } }))
      datums.push(d);
    assert.equal(datums.filter((d) => d.state === DatumState.SKIPPED).length, 2);
    assert.equal(datums.filter((d) => d.state === DatumState.SUCCESS).length, 1);
  });
});

describe('pps shards, failures and chains', function () {
  this.timeout(120_000);
  let c: TestCluster;
  const workers: FakeWorker[] = [];

  beforeEach(async function () {
    c = await startTestCluster('pps-faults', { workerLeaseTtlSeconds: 2 });
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.stop();
    await c.stop();
  });

  async function putFiles(repo: string, names: string[]): Promise<string> {
    const put = await c.client.pfs.startCommit({ branch: { repo: { name: repo }, name: 'master' } });
    const id = put.commit!.id;
    for (const f of names) await c.client.pfs.putFile(`${repo}@${id}`, `/${f}`, Buffer.from(f));
    await c.client.pfs.finishCommit({ commit: { repo: { name: repo }, id } });
    return id;
  }

  it('re-leases a shard when its worker stops renewing, and counts each datum once', async () => {
    await c.client.pfs.createRepo({ repo: { name: 'in' } });
    await c.client.pps.createPipeline({ specJson: spec('p', 'in', '/*') });
    const id = await putFiles('in', ['x', 'y']);
    // A worker that takes the shard, then stops renewing and never reports.
    const reg = await c.worker.registerWorker({ pipeline: { name: 'p' }, name: 'dead' });
    let stolen;
    for (let i = 0; i < 30 && !stolen; i++) {
      await c.worker.renewLease({ workerId: reg.workerId });
      stolen = (
        await c.worker.acquireShard({ workerId: reg.workerId, wait: { seconds: 0n, nanos: 500_000_000 } })
      ).shard;
    }
    assert.ok(stolen, 'the dead worker got a shard');
    // Only after its 2 s lease expires does a healthy worker get the shard.
    const w = new FakeWorker(c, 'p', { process: upper(c) });
    workers.push(w);
    await w.start();
    const job = await waitJob(c, 'p', id);
    assert.equal(job.state, JobState.SUCCESS, job.reason);
    assert.equal(job.dataProcessed, 2n);
    assert.deepEqual([...w.datumsSeen].sort(), stolen.datums.map((d) => d.id).sort());
    // The dead worker's late report is refused and changes nothing.
    await assert.rejects(
      c.worker.completeShard({ workerId: reg.workerId, shardId: stolen.id, results: [] }),
      (err: { code?: string }) => err.code === 'not_found' || err.code === 'aborted',
    );
  });

  it('retries a failing datum datum_tries times, then fails the job with its logs retrievable, and downstream jobs are unrunnable', async () => {
    await c.client.pfs.createRepo({ repo: { name: 'in' } });
    await c.client.pps.createPipeline({
      specJson: JSON.stringify({ ...JSON.parse(spec('bad', 'in', '/*')), datum_tries: 2 }),
    });
    await c.client.pps.createPipeline({ specJson: spec('after', 'bad', '/') });
    const tries = new Map<string, number>();
    const w = new FakeWorker(c, 'bad', {
      process: (d) => {
        tries.set(d.id, (tries.get(d.id) ?? 0) + 1);
        return d.inputs[0]!.file!.path === '/broken'
          ? { error: 'exit code 3' }
          : { [d.inputs[0]!.file!.path]: 'ok' };
      },
    });
    workers.push(w);
    await w.start();
    const id = await putFiles('in', ['fine', 'broken']);
    const job = await waitJob(c, 'bad', id);
    assert.equal(job.state, JobState.FAILURE);
    assert.match(job.reason, /failed after 2 tries: exit code 3/);
    const broken = [...tries.entries()].find(([, n]) => n === 2);
    assert.ok(broken, `one datum was tried twice: ${JSON.stringify([...tries])}`);
    const info = await c.client.pfs.inspectCommit({ commit: { repo: { name: 'bad' }, id }, wait: 3 });
    assert.match(info.error, /exit code 3/);
    const lines: string[] = [];
    for await (const l of c.client.pps.getLogs({
      job: { pipeline: { name: 'bad' }, id },
      datumId: broken[0],
    }))
      lines.push(l.message);
    assert.deepEqual(lines, ['boom: exit code 3', 'boom: exit code 3']);
    const downstream = await waitJob(c, 'after', id);
    assert.equal(downstream.state, JobState.UNRUNNABLE);
  });

  it('runs a chain of three pipelines from one put, every job under the input commit global ID', async () => {
    await c.client.pfs.createRepo({ repo: { name: 'src' } });
    await c.client.pps.createPipeline({ specJson: spec('one', 'src', '/*') });
    await c.client.pps.createPipeline({ specJson: spec('two', 'one', '/*') });
    await c.client.pps.createPipeline({ specJson: spec('three', 'two', '/*') });
    for (const p of ['one', 'two', 'three']) {
      const w = new FakeWorker(c, p, { process: upper(c) });
      workers.push(w);
      await w.start();
    }
    const id = await putFiles('src', ['f']);
    for (const p of ['one', 'two', 'three']) {
      const job = await waitJob(c, p, id);
      assert.equal(job.state, JobState.SUCCESS, `${p}: ${job.reason}`);
      assert.equal(job.outputCommit?.id, id);
    }
    assert.equal(await readText(c.client, `three@${id}:/f`), `from two@${id}:/f`);
  });

  it('fails the job naming the path and both datums when two datums write the same output path', async () => {
    await c.client.pfs.createRepo({ repo: { name: 'in' } });
    await c.client.pps.createPipeline({ specJson: spec('clash', 'in', '/*') });
    const w = new FakeWorker(c, 'clash', { process: () => ({ '/same.txt': 'x' }) });
    workers.push(w);
    await w.start();
    const id = await putFiles('in', ['a', 'b']);
    const job = await waitJob(c, 'clash', id);
    assert.equal(job.state, JobState.FAILURE);
    const datums = [];
    for await (const d of c.client.pps.listDatum({ job: { pipeline: { name: 'clash' }, id } }))
      datums.push(d.datum!.id);
    assert.match(job.reason, /\/same\.txt/);
    for (const d of datums) assert.ok(job.reason.includes(d), `${job.reason} names ${d}`);
  });
});

describe('pps restart', function () {
  this.timeout(120_000);

  it('resumes a running job after pps restarts, and its logs survive', async () => {
    const first = await startTestCluster('pps-restart', { workerLeaseTtlSeconds: 2 });
    await first.client.pfs.createRepo({ repo: { name: 'in' } });
    await first.client.pps.createPipeline({ specJson: spec('p', 'in', '/*') });
    const put = await first.client.pfs.startCommit({ branch: { repo: { name: 'in' }, name: 'master' } });
    const id = put.commit!.id;
    await first.client.pfs.putFile(`in@${id}`, '/a', Buffer.from('a'));
    await first.client.pfs.finishCommit({ commit: { repo: { name: 'in' }, id } });
    // Wait until the job runs (shards exist), then stop pps with no worker having touched it.
    for (let i = 0; i < 100; i++) {
      const j = await first.client.pps
        .inspectJob({ job: { pipeline: { name: 'p' }, id } })
        .catch(() => undefined);
      if (j?.state === JobState.RUNNING) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(
      (await first.client.pps.inspectJob({ job: { pipeline: { name: 'p' }, id } })).state,
      JobState.RUNNING,
    );
    const shared = { kv: first.kv, objects: first.objects };
    await first.stop();

    const second = await startTestCluster('pps-restart', { share: shared, workerLeaseTtlSeconds: 2 });
    const w = new FakeWorker(second, 'p', { process: upper(second) });
    try {
      await w.start();
      const job = await waitJob(second, 'p', id);
      assert.equal(job.state, JobState.SUCCESS, job.reason);
      assert.equal(await readText(second.client, `p@${id}:/a`), `from in@${id}:/a`);
      const lines: string[] = [];
      for await (const l of second.client.pps.getLogs({ pipeline: { name: 'p' } })) lines.push(l.message);
      assert.ok(
        lines.some((l) => l.startsWith(`job ${id} created`)),
        lines.join('\n'),
      );
      assert.ok(
        lines.some((l) => l.startsWith('processed ')),
        lines.join('\n'),
      );
    } finally {
      await w.stop();
      await second.stop();
    }
  });
});

describe('pps restart with a claimed shard', function () {
  this.timeout(120_000);

  it('accepts the report of a shard claimed before pps restarted, and the job succeeds', async () => {
    const first = await startTestCluster('pps-restart2', { workerLeaseTtlSeconds: 10 });
    await first.client.pfs.createRepo({ repo: { name: 'in' } });
    await first.client.pps.createPipeline({ specJson: spec('p', 'in', '/*') });
    const put = await first.client.pfs.startCommit({ branch: { repo: { name: 'in' }, name: 'master' } });
    const id = put.commit!.id;
    await first.client.pfs.putFile(`in@${id}`, '/a', Buffer.from('a'));
    await first.client.pfs.finishCommit({ commit: { repo: { name: 'in' }, id } });
    const reg = await first.worker.registerWorker({ pipeline: { name: 'p' }, name: 'survivor' });
    let shard;
    for (let i = 0; i < 30 && !shard; i++) {
      shard = (await first.worker.acquireShard({ workerId: reg.workerId, wait: { seconds: 1n, nanos: 0 } }))
        .shard;
    }
    assert.ok(shard);
    const shared = { kv: first.kv, objects: first.objects };
    await first.stop();

    const second = await startTestCluster('pps-restart2', { share: shared, workerLeaseTtlSeconds: 10 });
    try {
      await second.worker.renewLease({ workerId: reg.workerId });
      const w = new FakeWorker(second, 'p', { process: upper(second) });
      w.workerId = reg.workerId;
      await w.processShard(shard);
      const job = await waitJob(second, 'p', id);
      assert.equal(job.state, JobState.SUCCESS, job.reason);
      assert.equal(job.dataProcessed, 1n);
      assert.equal(await readText(second.client, `p@${id}:/a`), `from in@${id}:/a`);
    } finally {
      await second.stop();
    }
  });
});

describe('pps job control and logs', function () {
  this.timeout(60_000);
  let c: TestCluster;

  beforeEach(async () => {
    c = await startTestCluster('pps-control');
    await c.client.pfs.createRepo({ repo: { name: 'in' } });
    await c.client.pps.createPipeline({ specJson: spec('p', 'in', '/*') });
  });
  afterEach(async () => {
    await c.stop();
  });

  async function putOne(): Promise<string> {
    const put = await c.client.pfs.startCommit({ branch: { repo: { name: 'in' }, name: 'master' } });
    const id = put.commit!.id;
    await c.client.pfs.putFile(`in@${id}`, '/a', Buffer.from('a'));
    await c.client.pfs.finishCommit({ commit: { repo: { name: 'in' }, id } });
    return id;
  }

  it('kills a running job with StopJob: KILLED, its output commit finished with the reason, and its shards gone', async () => {
    const id = await putOne();
    const seen: number[] = [];
    const sub = (async () => {
      for await (const j of c.client.pps.subscribeJob(
        { pipeline: { name: 'p' }, includeExisting: true },
        { timeoutMs: 30_000 },
      )) {
        seen.push(j.state);
        if (j.state === JobState.KILLED) return;
      }
    })();
    for (let i = 0; i < 100; i++) {
      const j = await c.client.pps
        .inspectJob({ job: { pipeline: { name: 'p' }, id } })
        .catch(() => undefined);
      if (j?.state === JobState.RUNNING) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const res = await c.client.pps.stopJob({ job: { pipeline: { name: 'p' }, id }, reason: 'testing' });
    assert.equal(res.jobInfo?.state, JobState.KILLED);
    const info = await c.client.pfs.inspectCommit(
      { commit: { repo: { name: 'p' }, id }, wait: 3 },
      { timeoutMs: 30_000 },
    );
    assert.match(info.error, /job killed: testing/);
    await sub;
    assert.ok(seen.includes(JobState.KILLED));
    const reg = await c.worker.registerWorker({ pipeline: { name: 'p' }, name: 'late' });
    const got = await c.worker.acquireShard({ workerId: reg.workerId });
    assert.equal(got.shard, undefined);
    await assert.rejects(
      c.client.pps.stopJob({ job: { pipeline: { name: 'p' }, id: 'f'.repeat(32) } }),
      (e: { code?: string }) => e.code === 'not_found',
    );
  });

  it('follows new log lines of a datum as a worker pushes them', async () => {
    const id = await putOne();
    await waitJobRunning(c, id);
    const reg = await c.worker.registerWorker({ pipeline: { name: 'p' }, name: 'w' });
    const ctl = new AbortController();
    const got: string[] = [];
    const follow = (async () => {
      try {
        for await (const l of c.client.pps.getLogs(
          { job: { pipeline: { name: 'p' }, id }, datumId: 'd1', follow: true },
          { signal: ctl.signal },
        )) {
          got.push(l.message);
          if (got.length === 2) ctl.abort();
        }
      } catch (err) {
        if (!ctl.signal.aborted) throw err;
      }
    })();
    const line = (message: string, datumId: string) => ({
      pipeline: { name: 'p' },
      jobId: id,
      datumId,
      time: new Date(),
      source: LogSource.STDOUT,
      message,
    });
    await c.worker.pushLogs([
      { workerId: reg.workerId, lines: [line('first', 'd1'), line('other datum', 'd2')] },
    ]);
    await new Promise((r) => setTimeout(r, 200));
    await c.worker.pushLogs([{ workerId: reg.workerId, lines: [line('second', 'd1')] }]);
    await follow;
    assert.deepEqual(got, ['first', 'second']);
  });
});

async function waitJobRunning(c: TestCluster, id: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const j = await c.client.pps.inspectJob({ job: { pipeline: { name: 'p' }, id } }).catch(() => undefined);
    if (j?.state === JobState.RUNNING) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('job never ran');
}
