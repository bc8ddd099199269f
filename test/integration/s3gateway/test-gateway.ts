/**
 * An S3 gateway over a real pfs (its own etcd prefix and bucket on the harness's Swift), talking
 * gRPC to it exactly as in production, with an AWS SDK client pointed at the gateway.
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { silentLogger } from '../../../services/platform/logging.ts';
import { s3GatewayConfig, type S3GatewayConfig } from '../../../services/s3gateway/config.ts';
import { connectPfsForS3 } from '../../../services/s3gateway/pfs-grpc.ts';
import type { PfsForS3 } from '../../../services/s3gateway/pfs-port.ts';
import { startS3Gateway, type RunningS3Gateway } from '../../../services/s3gateway/server.ts';
import { startTestPfs, type TestPfs } from '../pfs/test-pfs.ts';

export const ACCESS_KEY = 'terrain-test';
export const SECRET = 'terrain-test-secret';

export interface GatewayOverPfs {
  pfsServer: TestPfs;
  /** The gateway's own view of pfs (gRPC). */
  pfs: PfsForS3;
  gateway: RunningS3Gateway;
  client: S3Client;
  host: string;
  clientWith(options: Partial<S3ClientConfig>): S3Client;
  /** The head commit of a branch (undefined when it has none): "nothing was written" checks compare it. */
  head(repo: string, branch?: string): Promise<string | undefined>;
  stop(): Promise<void>;
}

export async function startGatewayOverPfs(
  name: string,
  config: Partial<S3GatewayConfig> = {},
): Promise<GatewayOverPfs> {
  const pfsServer = await startTestPfs(name);
  const pfs = connectPfsForS3(pfsServer.address);
  const gateway = await startS3Gateway(
    s3GatewayConfig({
      address: '127.0.0.1:0',
      credentials: { [ACCESS_KEY]: SECRET },
      minPartBytes: 1024,
      shutdownGraceMs: 2000,
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
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 1,
      ...options,
    });
    clients.push(client);
    return client;
  };
  return {
    pfsServer,
    pfs,
    gateway,
    client: clientWith({}),
    host: `127.0.0.1:${gateway.port}`,
    clientWith,
    head: async (repo, branch = 'master') => (await pfs.inspectBranch(repo, branch)).head,
    stop: async () => {
      for (const c of clients) c.destroy();
      await gateway.stop();
      pfs.close();
      await pfsServer.stop();
    },
  };
}
