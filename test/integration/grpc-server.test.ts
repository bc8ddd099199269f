import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { GrpcServer } from '../../services/platform/grpc-server.ts';
import { unary } from '../../services/platform/grpc-handlers.ts';
import { errorFactory } from '../../services/platform/errors.ts';
import { fromServiceError } from '../../services/platform/grpc-status.ts';
import { silentLogger } from '../../services/platform/logging.ts';

const require = createRequire(import.meta.url);
const reflectionProto = join(
  dirname(require.resolve('@grpc/reflection/package.json')),
  'build/proto/grpc/reflection/v1/reflection.proto',
);

type Ctor = new (
  address: string,
  creds: grpc.ChannelCredentials,
) => grpc.Client & Record<string, CallableFunction>;

function clientCtor(protoFile: string, serviceName: string): Ctor {
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(protoFile, { keepCase: true, enums: String }));
  let node: unknown = pkg;
  for (const part of serviceName.split('.')) node = (node as Record<string, unknown>)[part];
  return node as Ctor;
}

async function listServicesByReflection(address: string): Promise<string[]> {
  const Reflection = clientCtor(reflectionProto, 'grpc.reflection.v1.ServerReflection');
  const client = new Reflection(address, grpc.credentials.createInsecure());
  try {
    const call = (client['ServerReflectionInfo'] as () => grpc.ClientDuplexStream<unknown, unknown>).call(
      client,
    );
    const answer = new Promise<string[]>((resolve, reject) => {
      call.on('data', (res: { list_services_response?: { service: { name: string }[] } }) => {
        resolve((res.list_services_response?.service ?? []).map((s) => s.name));
        call.end();
      });
      call.on('error', reject);
    });
    call.write({ list_services: '' });
    return await answer;
  } finally {
    client.close();
  }
}

async function healthCheck(address: string, service = ''): Promise<string> {
  const Health = clientCtor(healthProtoPath, 'grpc.health.v1.Health');
  const client = new Health(address, grpc.credentials.createInsecure());
  try {
    return await new Promise<string>((resolve, reject) => {
      const check = client['Check'] as (
        req: { service: string },
        cb: (err: grpc.ServiceError | null, res: { status: string }) => void,
      ) => void;
      check.call(client, { service }, (err: grpc.ServiceError | null, res: { status: string }) =>
        err ? reject(err) : resolve(res.status),
      );
    });
  } finally {
    client.close();
  }
}

describe('the gRPC server bootstrap', () => {
  let server: GrpcServer;
  let address: string;

  // A tiny service defined in-line, to exercise handlers and error mapping without the real contracts.
  const echoDefinition: grpc.ServiceDefinition = {
    Echo: {
      path: '/test.Echo/Echo',
      requestStream: false,
      responseStream: false,
      requestSerialize: (v: string) => Buffer.from(v),
      requestDeserialize: (b: Buffer) => b.toString(),
      responseSerialize: (v: string) => Buffer.from(v),
      responseDeserialize: (b: Buffer) => b.toString(),
    },
  };

  before(async () => {
    server = new GrpcServer({ logger: silentLogger() });
    const errors = errorFactory('echo');
    server.addService('test.Echo', echoDefinition, {
      Echo: unary<string, string>(silentLogger(), 'Echo', async (req) => {
        if (req === 'shout') throw errors.invalidArgument('refusing "shout": send anything else');
        return req.toUpperCase();
      }),
    });
    const { port } = await server.listen('127.0.0.1:0');
    address = `127.0.0.1:${port}`;
  });

  after(async () => {
    await server.shutdown(1000);
  });

  it('lists its services through reflection', async () => {
    const names = await listServicesByReflection(address);
    assert.ok(names.includes('grpc.health.v1.Health'), `reflection listed ${names.join(', ')}`);
    for (const expected of ['terrain.pfs.v1.Pfs', 'terrain.pps.v1.Pps', 'terrain.lineage.v1.Lineage']) {
      assert.ok(
        names.includes(expected),
        `reflection should list ${expected}; it listed ${names.join(', ')}`,
      );
    }
  });

  it('answers SERVING to a health check, for the server and for each service', async () => {
    assert.equal(await healthCheck(address), 'SERVING');
    assert.equal(await healthCheck(address, 'test.Echo'), 'SERVING');
  });

  it('answers the Python client example (generated stubs) with SERVING', async () => {
    const run = promisify(execFile);
    const { stdout } = await run('/usr/bin/python3', [
      'clients/python/example_health.py',
      address,
      'test.Echo',
    ]);
    assert.equal(stdout.trim(), 'SERVING');
    await assert.rejects(
      run('/usr/bin/python3', ['clients/python/example_health.py', address, 'no.Such']),
      /NOT_FOUND/,
    );
  });

  it('carries typed errors to the client', async () => {
    const client = new grpc.Client(address, grpc.credentials.createInsecure());
    try {
      const err = await new Promise<unknown>((resolve) => {
        client.makeUnaryRequest(
          '/test.Echo/Echo',
          (v: string) => Buffer.from(v),
          (b: Buffer) => b.toString(),
          'shout',
          (e) => resolve(e),
        );
      });
      const typed = fromServiceError(err) as Error & { code: string; service: string };
      assert.equal(typed.code, 'invalid_argument');
      assert.equal(typed.service, 'echo');
      assert.match(typed.message, /^echo: refusing "shout"/);
    } finally {
      client.close();
    }
  });

  it('turns NOT_SERVING and stops accepting calls on shutdown', async () => {
    const other = new GrpcServer({ logger: silentLogger() });
    const { port } = await other.listen('127.0.0.1:0');
    assert.equal(await healthCheck(`127.0.0.1:${port}`), 'SERVING');
    await other.shutdown(500);
    await assert.rejects(healthCheck(`127.0.0.1:${port}`));
  });
});
