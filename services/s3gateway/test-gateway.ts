/**
 * Unit-test fixture: a gateway on a loopback port over an in-memory FakePfs, an AWS SDK client for
 * it, and a raw HTTP helper for requests the SDK cannot make (tampered, chunk-signed, expired).
 */
import { request } from 'node:http';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { silentLogger } from '../platform/logging.ts';
import { s3GatewayConfig, type S3GatewayConfig } from './config.ts';
import { FakePfs } from './pfs-fake.ts';
import { startS3Gateway, type RunningS3Gateway } from './server.ts';
import { TEST_ACCESS_KEY, TEST_SECRET } from './test-signing.ts';

export interface TestGateway {
  pfs: FakePfs;
  gateway: RunningS3Gateway;
  client: S3Client;
  host: string;
  /** A client with other credentials or options. */
  clientWith(options: Partial<S3ClientConfig>): S3Client;
  stop(): Promise<void>;
}

export async function startTestGateway(config: Partial<S3GatewayConfig> = {}): Promise<TestGateway> {
  const pfs = new FakePfs();
  const gateway = await startS3Gateway(
    s3GatewayConfig({
      address: '127.0.0.1:0',
      credentials: { [TEST_ACCESS_KEY]: TEST_SECRET },
      minPartBytes: 1024,
      shutdownGraceMs: 1000,
      ...config,
    }),
    { pfs, logger: silentLogger() },
  );
  const clients: S3Client[] = [];
  const clientWith = (options: Partial<S3ClientConfig>): S3Client => {
    const client = new S3Client({
      endpoint: gateway.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: TEST_ACCESS_KEY, secretAccessKey: TEST_SECRET },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 1,
      ...options,
    });
    clients.push(client);
    return client;
  };
  const client = clientWith({});
  return {
    pfs,
    gateway,
    client,
    host: `127.0.0.1:${gateway.port}`,
    clientWith,
    stop: async () => {
      for (const c of clients) c.destroy();
      await gateway.stop();
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Sends one HTTP request as given (no signing, no rewriting). */
export function rawRequest(
  port: number,
  options: { method: string; path: string; headers: Record<string, string>; body?: Buffer },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: options.method, path: options.path, headers: options.headers },
      (res) => {
        const pieces: Buffer[] = [];
        res.on('data', (d: Buffer) => pieces.push(d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(pieces) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The `<Code>` of an S3 error body. */
export function errorCode(body: Buffer): string | undefined {
  return /<Code>([^<]+)<\/Code>/.exec(body.toString('utf8'))?.[1];
}

export async function bodyText(body: unknown): Promise<string> {
  return await (body as { transformToString(): Promise<string> }).transformToString();
}

export async function bodyBytes(body: unknown): Promise<Buffer> {
  return Buffer.from(await (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}
