/**
 * Production-like backends in containers: MinIO (S3) and etcd, through testcontainers.
 *
 * Used where a Docker engine answers. On machines without one (this project's CI has none), the
 * probe fails within milliseconds and callers skip with the reason instead of hanging.
 */
import type { TestEtcd, TestS3 } from './index.ts';

export interface ContainerBackends {
  etcd: TestEtcd;
  s3: TestS3;
}

/** Resolves to undefined when a container runtime answers, or to the reason it does not. */
export async function containerRuntimeUnavailableReason(timeoutMs = 1000): Promise<string | undefined> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  const timeout = new Promise<string>((resolve) => {
    setTimeout(() => resolve(`no container runtime answered within ${timeoutMs} ms`), timeoutMs).unref();
  });
  const probe = getContainerRuntimeClient().then(
    () => undefined,
    (err: unknown) => `no container runtime: ${err instanceof Error ? err.message : String(err)}`,
  );
  return Promise.race([probe, timeout]);
}

const MINIO_IMAGE = 'minio/minio:RELEASE.2025-04-22T22-12-26Z';
const ETCD_IMAGE = 'quay.io/coreos/etcd:v3.5.21';

/** Starts MinIO and etcd containers. Call only after `containerRuntimeUnavailableReason()` said yes. */
export async function startContainerBackends(): Promise<ContainerBackends> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const accessKeyId = 'terrain';
  const secretAccessKey = 'terrain-secret';
  const [minio, etcd] = await Promise.all([
    new GenericContainer(MINIO_IMAGE)
      .withCommand(['server', '/data'])
      .withEnvironment({ MINIO_ROOT_USER: accessKeyId, MINIO_ROOT_PASSWORD: secretAccessKey })
      .withExposedPorts(9000)
      .withWaitStrategy(Wait.forHttp('/minio/health/ready', 9000))
      .start(),
    new GenericContainer(ETCD_IMAGE)
      .withCommand([
        'etcd',
        '--listen-client-urls=http://0.0.0.0:2379',
        '--advertise-client-urls=http://0.0.0.0:2379',
        '--auto-compaction-mode=revision',
        '--auto-compaction-retention=1000',
      ])
      .withExposedPorts(2379)
      .withWaitStrategy(Wait.forLogMessage(/ready to serve client requests/))
      .start(),
  ]);
  return {
    etcd: {
      endpoint: `http://${etcd.getHost()}:${etcd.getMappedPort(2379)}`,
      stop: async () => {
        await etcd.stop();
      },
    },
    s3: {
      endpoint: `http://${minio.getHost()}:${minio.getMappedPort(9000)}`,
      accessKeyId,
      secretAccessKey,
      region: 'us-east-1',
      stop: async () => {
        await minio.stop();
      },
    },
  };
}
