import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatumState } from '../../proto/gen/terrain/pps/v1/datum.ts';
import type { LogMessage } from '../../proto/gen/terrain/pps/v1/logs.ts';
import type { CompleteShardRequest, Shard } from '../../proto/gen/terrain/pps/v1/worker.ts';
import { TerrainError } from '../platform/errors.ts';
import { silentLogger } from '../platform/logging.ts';
import { MemoryObjectStore } from '../platform/object-store/memory.ts';
import { EMPTY_ROOT, FileSetStorage } from '../pfs/storage/index.ts';
import { DatumRunner } from './datum-runner.ts';
import type { WorkerStub } from './rpc-clients.ts';
import { Worker, type WorkerState } from './worker.ts';

/** An in-memory pps Worker service: one shard queue, no network. */
function fakePps(opts: { registerError?: TerrainError } = {}) {
  const queue: Shard[] = [];
  const reports: CompleteShardRequest[] = [];
  const logs: LogMessage[] = [];
  let drain = false;
  const stub = {
    registerWorker: async () => {
      if (opts.registerError) throw opts.registerError;
      return { workerId: 'w1', leaseTtl: { seconds: 30n, nanos: 0 }, leaseExpires: undefined };
    },
    renewLease: async () => ({ leaseExpires: undefined, cancelledShardIds: [], drain }),
    acquireShard: async (_req: unknown, o?: { signal?: AbortSignal }) => {
      const shard = queue.shift();
      if (!shard && !drain) {
        // A short long-poll that ends early when the worker stops polling.
        await new Promise<void>((r) => {
          const t = setTimeout(r, 20);
          o?.signal?.addEventListener('abort', () => {
            clearTimeout(t);
            r();
          });
        });
        if (o?.signal?.aborted) throw new TerrainError('pps', 'cancelled', 'call cancelled');
      }
      return { shard, drain };
    },
    completeShard: async (req: CompleteShardRequest) => {
      reports.push(req);
      return { accepted: req.results.length };
    },
    pushLogs: async (reqs: Iterable<{ lines?: LogMessage[] }>) => {
      for (const r of reqs) logs.push(...(r.lines ?? []));
      return { stored: 0n };
    },
  };
  return {
    stub: stub as unknown as WorkerStub,
    queue,
    reports,
    logs,
    drain: () => {
      drain = true;
    },
  };
}

function shard(id: string, cmd: string[], datums = 1): Shard {
  return {
    id,
    job: { pipeline: { name: 'p' }, id: 'j'.repeat(32) },
    pipelineVersion: 1n,
    outputCommit: undefined,
    transform: {
      cmd,
      stdin: [],
      env: {},
      image: '',
      workingDir: '',
      errCmd: [],
      errStdin: [],
      acceptReturnCode: [],
      user: '',
    },
    // No inputs: these tests are about the state machine, not materializing.
    datums: Array.from({ length: datums }, (_, i) => ({ id: `d${i}`, hash: '', inputs: [], attempt: 1 })),
    datumTimeout: undefined,
    datumTries: 3,
  };
}

describe('Worker state machine', function () {
  this.timeout(20_000);
  let scratch: string;
  let runner: DatumRunner;

  beforeEach(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'worker-sm-'));
    let n = 0;
    runner = new DatumRunner({
      storage: new FileSetStorage(new MemoryObjectStore(), { hashWorker: false }),
      roots: { root: async () => EMPTY_ROOT },
      registerFileSet: async () => `fs${n++}`,
      scratchDir: scratch,
      isolation: 'directory',
      baseEnv: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
      killGraceMs: 100,
      maxProcesses: 2,
    });
  });
  afterEach(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('goes INITIALIZED → RUNNING → DRAINING → STOPPED and reports every datum of a shard in order', async () => {
    const pps = fakePps();
    const states: WorkerState[] = [];
    const w = new Worker(
      { pipeline: 'p', name: 't', concurrency: 2 },
      { pps: pps.stub, runner, logger: silentLogger() },
    );
    w.onState((s) => states.push(s));
    assert.equal(w.state, 'INITIALIZED');
    pps.queue.push(shard('s1', ['sh', '-c', 'echo "$PACH_DATUM_ID" > /pfs/out/id'], 5));
    await w.start();
    while (pps.reports.length === 0) await new Promise((r) => setImmediate(r));
    await w.stop(1000);
    assert.deepEqual(states, ['RUNNING', 'DRAINING', 'STOPPED']);
    const [report] = pps.reports;
    assert.equal(report!.partial, false);
    assert.deepEqual(
      report!.results.map((r) => [r.datumId, r.state]),
      [0, 1, 2, 3, 4].map((i) => [`d${i}`, DatumState.SUCCESS]),
    );
  });

  it('splits a large report into partial CompleteShard calls', async () => {
    const pps = fakePps();
    const w = new Worker(
      { pipeline: 'p', name: 't', concurrency: 2, resultsPerReport: 2 },
      { pps: pps.stub, runner, logger: silentLogger() },
    );
    pps.queue.push(shard('s1', ['true'], 5));
    await w.start();
    while (pps.reports.length < 3) await new Promise((r) => setImmediate(r));
    await w.stop(1000);
    assert.deepEqual(
      pps.reports.map((r) => [r.results.length, r.partial]),
      [
        [2, true],
        [2, true],
        [1, false],
      ],
    );
  });

  it('stops in two phases: waits the grace period, then kills running user code and reports nothing', async () => {
    const pps = fakePps();
    const w = new Worker({ pipeline: 'p', name: 't' }, { pps: pps.stub, runner, logger: silentLogger() });
    pps.queue.push(shard('s1', ['sh', '-c', 'echo started; exec sleep 30']));
    await w.start();
    while (!pps.logs.some((l) => l.message === 'started')) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const t0 = Date.now();
    await w.stop(300);
    const took = Date.now() - t0;
    assert.ok(took >= 280, `waited the grace period (${took} ms)`);
    assert.ok(took < 5000, `then forced (${took} ms)`);
    assert.equal(w.state, 'STOPPED');
    assert.deepEqual(pps.reports, []);
  });

  it('drains when pps says so and finishes the shard in hand', async () => {
    const pps = fakePps();
    const w = new Worker({ pipeline: 'p', name: 't' }, { pps: pps.stub, runner, logger: silentLogger() });
    pps.queue.push(shard('s1', ['true']));
    await w.start();
    pps.drain();
    assert.equal(await w.done(), 'DRAINING');
    await w.stop(0);
    assert.equal(w.state, 'STOPPED');
    assert.equal(pps.reports.length, 1);
  });

  it('fails to start, naming the cause, when pps does not know the pipeline; stops quietly when it is stopped', async () => {
    const missing = new Worker(
      { pipeline: 'p', name: 't' },
      {
        pps: fakePps({ registerError: new TerrainError('pps', 'not_found', 'pipeline "p" not found') }).stub,
        runner,
        logger: silentLogger(),
      },
    );
    await assert.rejects(missing.start(), /pipeline "p" not found/);
    assert.equal(missing.state, 'FAILED');
    const stopped = new Worker(
      { pipeline: 'p', name: 't' },
      {
        pps: fakePps({
          registerError: new TerrainError('pps', 'failed_precondition', 'pipeline "p" is stopped'),
        }).stub,
        runner,
        logger: silentLogger(),
      },
    );
    await stopped.start();
    assert.equal(stopped.state, 'STOPPED');
  });
});
