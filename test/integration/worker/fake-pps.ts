/**
 * A fake pps Worker service for worker tests: hands out the shards queued with `enqueue`, collects
 * results and log lines, records every lease renewal, and lets a test expire a worker's lease.
 * It implements the contract in proto/terrain/pps/v1/worker.proto, nothing more.
 */
import { Server, ServerCredentials, status, type ServiceError } from '@grpc/grpc-js';
import {
  WorkerService,
  type DatumResult,
  type Shard,
  type WorkerServer,
} from '../../../proto/gen/terrain/pps/v1/worker.ts';
import type { LogMessage } from '../../../proto/gen/terrain/pps/v1/logs.ts';

export interface FakePps {
  address: string;
  /** Shards not handed out yet. */
  enqueue(shard: Shard): void;
  /** Completed shards' results, by shard ID (partial reports concatenated). */
  results: Map<string, DatumResult[]>;
  /** Shards whose final (non-partial) report arrived. */
  completed: Set<string>;
  /** Shards handed out, by worker ID. */
  handedOut: { workerId: string; shardId: string }[];
  renewals: { workerId: string; at: number }[];
  registrations: { workerId: string; name: string; concurrency: number }[];
  logs: LogMessage[];
  /** Makes RenewLease/AcquireShard answer NOT_FOUND for this worker (its lease expired). */
  expire(workerId: string): void;
  /** Answered in RenewLease once. */
  cancel(shardId: string): void;
  /** Every later AcquireShard and RenewLease says drain. */
  drain(): void;
  /** Resolves when `pred` holds (checked on every event). */
  until(pred: () => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

function err(code: status, details: string): Partial<ServiceError> {
  return { code, details, message: details };
}

export async function startFakePps(leaseTtlMs = 1000): Promise<FakePps> {
  const queue: Shard[] = [];
  const expired = new Set<string>();
  const cancelled: string[] = [];
  const owner = new Map<string, string>();
  let draining = false;
  let nextWorker = 1;
  const waiters: (() => void)[] = [];
  const notify = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  const fake: Omit<FakePps, 'address' | 'stop'> = {
    enqueue: (s) => {
      queue.push(s);
      notify();
    },
    results: new Map(),
    completed: new Set(),
    handedOut: [],
    renewals: [],
    registrations: [],
    logs: [],
    expire: (id) => {
      expired.add(id);
      notify();
    },
    cancel: (id) => cancelled.push(id),
    drain: () => {
      draining = true;
      notify();
    },
    until: async (pred, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error('fake pps: condition not met in time');
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
    },
  };
  const impl: WorkerServer = {
    registerWorker: (call, cb) => {
      const workerId = `worker-${nextWorker++}`;
      fake.registrations.push({ workerId, name: call.request.name, concurrency: call.request.concurrency });
      notify();
      cb(null, {
        workerId,
        leaseTtl: { seconds: BigInt(Math.floor(leaseTtlMs / 1000)), nanos: (leaseTtlMs % 1000) * 1e6 },
        leaseExpires: new Date(Date.now() + leaseTtlMs),
      });
    },
    acquireShard: (call, cb) => {
      const id = call.request.workerId;
      if (expired.has(id)) return cb(err(status.NOT_FOUND, `worker ${id} not found`), null);
      const give = (): void => {
        const shard = draining ? undefined : queue.shift();
        if (shard) {
          owner.set(shard.id, id);
          fake.handedOut.push({ workerId: id, shardId: shard.id });
          notify();
        }
        cb(null, { shard, drain: draining });
      };
      if (queue.length > 0 || draining) return give();
      // Long poll, shortened for tests.
      setTimeout(give, 100);
    },
    renewLease: (call, cb) => {
      const id = call.request.workerId;
      if (expired.has(id)) return cb(err(status.NOT_FOUND, `worker ${id} not found`), null);
      fake.renewals.push({ workerId: id, at: Date.now() });
      notify();
      cb(null, {
        leaseExpires: new Date(Date.now() + leaseTtlMs),
        cancelledShardIds: cancelled.splice(0),
        drain: draining,
      });
    },
    completeShard: (call, cb) => {
      const { workerId, shardId, results, partial } = call.request;
      if (expired.has(workerId) || owner.get(shardId) !== workerId) {
        return cb(err(status.ABORTED, `shard ${shardId} is not held by ${workerId}`), null);
      }
      fake.results.set(shardId, [...(fake.results.get(shardId) ?? []), ...results]);
      if (!partial) fake.completed.add(shardId);
      notify();
      cb(null, { accepted: results.length });
    },
    pushLogs: (call, cb) => {
      let stored = 0n;
      call.on('data', (req: { lines: LogMessage[] }) => {
        fake.logs.push(...req.lines);
        stored += BigInt(req.lines.length);
        notify();
      });
      call.on('end', () => cb(null, { stored }));
    },
  };
  const server = new Server();
  server.addService(WorkerService, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return {
    ...fake,
    address: `127.0.0.1:${port}`,
    stop: async () => {
      await new Promise<void>((r) => server.tryShutdown(() => r()));
    },
  };
}
