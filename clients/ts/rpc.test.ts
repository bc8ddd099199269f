import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import { Metadata, status, type Client } from '@grpc/grpc-js';
import { PfsService } from '../../proto/gen/terrain/pfs/v1/pfs.ts';
import * as pfsRepo from '../../proto/gen/terrain/pfs/v1/repo.ts';
import { isErrorCode } from '../../services/platform/errors.ts';
import { PFS_MESSAGE_MODULES, connect } from './client.ts';
import { pfsHelpers, chunked } from './pfs.ts';
import { makeStub } from './rpc.ts';

/** Lets pending promise callbacks and stream events run (no timers involved). */
const ticks = async (n = 5): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

function serviceError(code: status, details: string, service?: string): Error {
  const metadata = new Metadata();
  if (service) metadata.set('terrain-error-service', service);
  return Object.assign(new Error(details), { code, details, metadata });
}

type Callback = (err: Error | null, value?: unknown) => void;

class FakeWritableCall extends EventEmitter {
  readonly written: unknown[] = [];
  ended = false;
  cancelled = false;
  full = false;
  callback: Callback = () => {};

  write(message: unknown): boolean {
    this.written.push(message);
    return !this.full;
  }

  end(): void {
    this.ended = true;
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.callback(serviceError(status.CANCELLED, 'Cancelled on client'));
  }
}

class FakeChannel {
  readonly clientCalls: FakeWritableCall[] = [];
  readonly serverCalls: { request: unknown; stream: Readable & { cancelled?: boolean } }[] = [];
  readonly unaryCalls: { request: unknown; callback: Callback; cancelled: boolean }[] = [];
  serverMessages: unknown[] = [];
  serverError: Error | undefined;

  makeClientStreamRequest(
    _path: string,
    _s: unknown,
    _d: unknown,
    _m: unknown,
    _o: unknown,
    callback: Callback,
  ): FakeWritableCall {
    const call = new FakeWritableCall();
    call.callback = callback;
    this.clientCalls.push(call);
    return call;
  }

  makeServerStreamRequest(_path: string, _s: unknown, _d: unknown, request: unknown): Readable {
    const messages = [...this.serverMessages];
    const error = this.serverError;
    const stream = new Readable({
      objectMode: true,
      highWaterMark: 1,
      read() {
        if (messages.length > 0) this.push(messages.shift());
        else if (error) this.destroy(error);
        else this.push(null);
      },
    }) as Readable & { cancelled?: boolean; cancel?: () => void };
    stream.cancel = () => {
      stream.cancelled = true;
    };
    this.serverCalls.push({ request, stream });
    return stream;
  }

  makeUnaryRequest(
    _path: string,
    _s: unknown,
    _d: unknown,
    request: unknown,
    _m: unknown,
    _o: unknown,
    callback: Callback,
  ) {
    const entry = { request, callback, cancelled: false };
    this.unaryCalls.push(entry);
    return {
      cancel: () => {
        entry.cancelled = true;
        callback(serviceError(status.CANCELLED, 'Cancelled on client'));
      },
    };
  }
}

function pfsStub(channel: FakeChannel) {
  const stub = makeStub(PfsService, PFS_MESSAGE_MODULES, {
    channel: channel as unknown as Client,
    service: 'pfs',
    address: 'test:1',
  });
  return Object.assign(stub, pfsHelpers(stub));
}

describe('gRPC stubs', () => {
  it('finds a request message for every method of every service', () => {
    const client = connect('127.0.0.1:9', { context: null, env: {} });
    try {
      for (const api of [client.pfs, client.pps, client.lineage, client.version]) {
        for (const method of Object.values(api)) assert.equal(typeof method, 'function');
      }
      assert.equal(typeof client.pfs.modifyFile, 'function');
      assert.equal(typeof client.lineage.upstream, 'function');
    } finally {
      client.close();
    }
  });

  it('refuses at construction a service whose request messages it was not given', () => {
    assert.throws(
      () =>
        makeStub(PfsService, [pfsRepo], {
          channel: new FakeChannel() as unknown as Client,
          service: 'pfs',
          address: 'test:1',
        }),
      /CreateBranchRequest not found/,
    );
  });

  it('completes partial requests with default values before sending', async () => {
    const channel = new FakeChannel();
    const stub = pfsStub(channel);
    const pending = stub.createRepo({ repo: { name: 'images' } });
    channel.unaryCalls[0]?.callback(null, { repoInfo: undefined });
    await pending;
    assert.deepEqual(channel.unaryCalls[0]?.request, {
      repo: { name: 'images' },
      description: '',
      update: false,
      type: 0,
      pipeline: '',
    });
  });

  it('rebuilds the typed error a server sent', async () => {
    const channel = new FakeChannel();
    const stub = pfsStub(channel);
    const pending = stub.inspectRepo({ repo: { name: 'x' } });
    channel.unaryCalls[0]?.callback(serviceError(status.NOT_FOUND, 'pfs: repo "x" not found', 'pfs'));
    await assert.rejects(
      pending,
      (err: unknown) => isErrorCode(err, 'not_found') && (err as Error).message === 'pfs: repo "x" not found',
    );
  });

  it('says which address could not be reached when nothing answers', async () => {
    const channel = new FakeChannel();
    const pending = pfsStub(channel).inspectRepo({ repo: { name: 'x' } });
    channel.unaryCalls[0]?.callback(
      serviceError(
        status.UNAVAILABLE,
        'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1650 (2026)',
      ),
    );
    await assert.rejects(pending, (err: unknown) => {
      assert.ok(isErrorCode(err, 'unavailable'));
      assert.equal(
        (err as Error).message,
        'pfs: cannot reach test:1 (connect ECONNREFUSED): is the cluster running? (terrain up, terrain status)',
      );
      return true;
    });
  });

  it('cancels a unary call when its signal aborts', async () => {
    const channel = new FakeChannel();
    const controller = new AbortController();
    const pending = pfsStub(channel).inspectRepo({ repo: { name: 'x' } }, { signal: controller.signal });
    controller.abort();
    await assert.rejects(pending, (err: unknown) => isErrorCode(err, 'cancelled'));
    assert.equal(channel.unaryCalls[0]?.cancelled, true);
  });

  it('does not pull the next request until grpc-js drains its buffer', async () => {
    const channel = new FakeChannel();
    let produced = 0;
    async function* requests() {
      for (let i = 0; i < 4; i++) {
        produced++;
        yield { body: { $case: 'data' as const, value: Buffer.from([i]) } };
      }
    }
    const pending = pfsStub(channel).modifyFile(requests());
    await ticks();
    const call = channel.clientCalls[0];
    assert.ok(call);
    assert.equal(produced, 4, 'with room in the buffer every request is written');
    assert.equal(call.ended, true);
    call.callback(null, { filesWritten: 0n });
    await pending;

    const slow = new FakeChannel();
    produced = 0;
    const pendingSlow = pfsStub(slow).modifyFile(requests());
    const slowCall = slow.clientCalls[0]; // the call is made before the first request is pulled
    assert.ok(slowCall);
    slowCall.full = true;
    await ticks(10);
    assert.equal(produced, 1, 'nothing more is produced while the buffer is full');
    slowCall.emit('drain');
    await ticks(10);
    assert.equal(produced, 2, 'one drain lets exactly one more request through');
    slowCall.full = false;
    slowCall.emit('drain');
    await ticks(10);
    assert.equal(produced, 4);
    assert.equal(slowCall.ended, true);
    slowCall.callback(null, {});
    await pendingSlow;
  });

  it('stops producing and reports the server error when the server fails mid-stream', async () => {
    const channel = new FakeChannel();
    let produced = 0;
    let closed = false;
    async function* requests() {
      try {
        for (let i = 0; ; i++) {
          produced++;
          yield { body: { $case: 'data' as const, value: Buffer.from([i]) } };
        }
      } finally {
        closed = true;
      }
    }
    const first = pfsStub(channel).modifyFile(requests());
    const call = channel.clientCalls[0];
    assert.ok(call);
    call.full = true;
    await ticks(2);
    call.callback(serviceError(status.FAILED_PRECONDITION, 'pfs: commit r@abc is finished', 'pfs'));
    await assert.rejects(first, (err: unknown) => isErrorCode(err, 'failed_precondition'));
    assert.ok(closed, 'the request source was closed');
    assert.equal(produced, 1);
    assert.equal(call.ended, false);
  });

  it('cancels the call and reports the source error when the request source fails', async () => {
    const channel = new FakeChannel();
    async function* requests() {
      yield { body: { $case: 'data' as const, value: Buffer.from([1]) } };
      throw new Error('disk on fire');
    }
    await assert.rejects(pfsStub(channel).modifyFile(requests()), /disk on fire/);
    assert.equal(channel.clientCalls[0]?.cancelled, true);
  });

  it('cancels a client stream when its signal aborts', async () => {
    const channel = new FakeChannel();
    const controller = new AbortController();
    async function* requests() {
      for (;;) yield { body: { $case: 'data' as const, value: Buffer.from([0]) } };
    }
    const pending = pfsStub(channel).modifyFile(requests(), { signal: controller.signal });
    const call = channel.clientCalls[0];
    assert.ok(call);
    call.full = true;
    await ticks(2);
    controller.abort();
    await assert.rejects(pending, (err: unknown) => isErrorCode(err, 'cancelled'));
    assert.equal(call.cancelled, true);
  });

  it('starts a server stream lazily and cancels it when the consumer stops early', async () => {
    const channel = new FakeChannel();
    channel.serverMessages = [
      { data: Buffer.from('a') },
      { data: Buffer.from('b') },
      { data: Buffer.from('c') },
    ];
    const stream = pfsStub(channel).readFile('r@master:/x');
    assert.equal(channel.serverCalls.length, 0, 'no call before the first read');
    const seen: string[] = [];
    for await (const chunk of stream) {
      seen.push(Buffer.from(chunk).toString());
      if (seen.length === 2) break;
    }
    assert.deepEqual(seen, ['a', 'b']);
    assert.equal(channel.serverCalls[0]?.stream.cancelled, true);
    const request = channel.serverCalls[0]?.request as { file: { path: string; commit: { branch: string } } };
    assert.equal(request.file.path, '/x');
    assert.equal(request.file.commit.branch, 'master');
  });

  it('turns a server-stream failure into a typed error', async () => {
    const channel = new FakeChannel();
    channel.serverMessages = [{ repo: { name: 'a' } }];
    channel.serverError = serviceError(status.DATA_LOSS, 'pfs: chunk 12ab does not match its hash', 'pfs');
    const names: string[] = [];
    await assert.rejects(
      async () => {
        for await (const info of pfsStub(channel).listRepo()) names.push(info.repo?.name ?? '');
      },
      (err: unknown) => isErrorCode(err, 'data_loss'),
    );
    assert.deepEqual(names, ['a']);
  });

  it('writes a file as set_commit, put_file and data messages of at most 1 MiB', async () => {
    const channel = new FakeChannel();
    const bytes = new Uint8Array(2.5 * 1024 * 1024).fill(7);
    const pending = pfsStub(channel).putFile('images@master', '/big.bin', bytes, { append: true });
    await ticks(10);
    const call = channel.clientCalls[0];
    assert.ok(call);
    call.callback(null, { filesWritten: 1n });
    await pending;
    const cases = call.written.map((m) => (m as { body?: { $case: string } }).body?.$case);
    assert.deepEqual(cases, ['setCommit', 'putFile', 'data', 'data', 'data']);
    const sizes = call.written.slice(2).map((m) => (m as { body: { value: Buffer } }).body.value.byteLength);
    assert.deepEqual(sizes, [1024 * 1024, 1024 * 1024, 512 * 1024]);
    const put = (call.written[1] as { body: { value: { path: string; append: boolean } } }).body.value;
    assert.equal(put.path, '/big.bin');
    assert.equal(put.append, true);
  });

  it('splits chunks without copying their bytes', async () => {
    const source = new Uint8Array(10).map((_, i) => i);
    const pieces: Buffer[] = [];
    for await (const piece of chunked(source, 4)) pieces.push(piece);
    assert.deepEqual(
      pieces.map((p) => [...p]),
      [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9],
      ],
    );
    assert.equal(pieces[1]?.buffer, source.buffer);
  });
});
