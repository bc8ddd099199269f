/**
 * The embedded single-machine cluster behind `terrain up`: etcd as a child process (data under the
 * data directory), every service in this one process on one gRPC port, and a local-directory
 * object store — or an existing etcd and an S3 bucket when asked.
 *
 *   const cluster = await startCluster({ dataDir: '/home/me/.terrain' });
 *   console.log(cluster.grpcAddress);
 *   await cluster.stop();
 *
 * Data survives stop + start: etcd keeps its data directory (and its ports, recorded there), and
 * the object store keeps its directory.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kv } from '../platform/etcd/index.ts';
import { freeLoopbackPort, startEtcd, type EmbeddedEtcd } from '../platform/etcd/embedded.ts';
import { GrpcServer } from '../platform/grpc-server.ts';
import { createLogger, type Logger } from '../platform/logging.ts';
import { openObjectStore } from '../platform/object-store/open.ts';
import { CLUSTER_REQUIREMENTS, ensureSystemPackages } from '../platform/system-packages.ts';
import { addVersionService } from '../platform/version-service.ts';
import { startPfs } from '../pfs/service.ts';
import { startPps } from '../pps/service.ts';
import { LocalLauncher } from '../pps/launchers/local.ts';
import { connectPfsForS3, s3GatewayConfig, startS3Gateway } from '../s3gateway/index.ts';

export interface ClusterOptions {
  dataDir: string;
  /** `local:DIR` or `s3://BUCKET?endpoint=URL`; default `local:<dataDir>/objects`. */
  storage?: string;
  /** URL of an existing etcd; default: start one under `<dataDir>/etcd`. */
  etcd?: string;
  /** Default `127.0.0.1:1650`. */
  grpcAddress?: string;
  /** Where the S3 gateway listens; default `127.0.0.1:1600`. */
  s3Address?: string;
  logLevel?: string;
  /** Progress lines for the user (installing etcd, …). */
  log?: (line: string) => void;
}

export interface RunningCluster {
  grpcAddress: string;
  s3Endpoint?: string;
  etcdEndpoint: string;
  storage: string;
  /** The services that run in this process (their gRPC names). */
  services: string[];
  stop(): Promise<void>;
}

export const DEFAULT_GRPC_ADDRESS = '127.0.0.1:1650';
export const DEFAULT_S3_ADDRESS = '127.0.0.1:1600';

/** The S3 gateway's credentials: made once per data directory, kept in `s3-credentials.json`. */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

export function s3CredentialsPath(dataDir: string): string {
  return join(dataDir, 's3-credentials.json');
}

/** Reads the cluster's S3 credentials, creating them (readable by the owner only) on first use. */
export function loadS3Credentials(dataDir: string): S3Credentials {
  const path = s3CredentialsPath(dataDir);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as S3Credentials;
  } catch {
    const made: S3Credentials = {
      accessKeyId: `terrain-${randomBytes(6).toString('hex')}`,
      secretAccessKey: randomBytes(24).toString('base64url'),
      region: 'us-east-1',
    };
    writeFileSync(path, JSON.stringify(made, null, 2) + '\n', { mode: 0o600 });
    return made;
  }
}

export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  mkdirSync(options.dataDir, { recursive: true });
  const logger: Logger = createLogger(options.logLevel ? { level: options.logLevel } : {});
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        logger.warn({ err }, 'error while stopping the cluster');
      }
    }
  };
  try {
    let etcdEndpoint = options.etcd;
    if (!etcdEndpoint) {
      ensureSystemPackages(CLUSTER_REQUIREMENTS, options.log ? { log: options.log } : {});
      const etcd = await startEmbeddedEtcd(options.dataDir);
      cleanups.push(() => etcd.stop());
      etcdEndpoint = etcd.endpoint;
    }
    const kv = Kv.connect({ endpoints: [etcdEndpoint] });
    cleanups.push(async () => kv.close());
    const storage = options.storage ?? `local:${join(options.dataDir, 'objects')}`;
    const objects = await openObjectStore(storage);
    const server = new GrpcServer({ logger });
    const pfs = await startPfs({}, { kv, objects, server, logger });
    cleanups.push(() => pfs.stop());
    // Workers run as child processes of this one, against the same object store.
    const launcher = new LocalLauncher({ storage, logger });
    const pps = await startPps({}, { kv, objects, server, logger, launcher });
    cleanups.push(async () => {
      await launcher.close();
      await pps.stop();
    });
    const services = ['terrain.pfs.v1.Pfs', 'terrain.pps.v1.Pps', 'terrain.pps.v1.Worker'];
    addVersionService(server, () => services, logger);
    const grpcAddress = options.grpcAddress ?? DEFAULT_GRPC_ADDRESS;
    const { port } = await server.listen(grpcAddress);
    cleanups.push(() => server.shutdown(5000));
    const host = grpcAddress.slice(0, grpcAddress.lastIndexOf(':')) || '127.0.0.1';
    // pps reaches pfs over gRPC, on this same server, whose port is known only now.
    const dialHost = host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host;
    pps.startBackground({ pfsAddress: `${dialHost}:${port}` });
    // Runs before the server's shutdown (cleanups run in reverse), so the workers' long polls and
    // pps's own streams to pfs end first instead of holding the shutdown for its grace period.
    // Both are idempotent (they also run at the earlier cleanup, for failures before listen).
    cleanups.push(async () => {
      await launcher.close();
      await pps.stop();
    });
    const boundGrpc = `${host}:${port}`;

    // The S3 gateway speaks to pfs over gRPC, like any other client.
    const s3Pfs = connectPfsForS3(boundGrpc.replace(/^0\.0\.0\.0:/, '127.0.0.1:'));
    cleanups.push(async () => s3Pfs.close());
    const creds = loadS3Credentials(options.dataDir);
    const gateway = await startS3Gateway(
      s3GatewayConfig({
        address: options.s3Address ?? DEFAULT_S3_ADDRESS,
        region: creds.region,
        credentials: { [creds.accessKeyId]: creds.secretAccessKey },
      }),
      { pfs: s3Pfs, logger },
    );
    cleanups.push(() => gateway.stop());
    return {
      grpcAddress: boundGrpc,
      s3Endpoint: gateway.endpoint,
      etcdEndpoint,
      storage: objects.description,
      services,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Starts etcd on the ports it used last time (recorded in its data directory), or free ones. */
async function startEmbeddedEtcd(dataDir: string): Promise<EmbeddedEtcd> {
  const etcdDir = join(dataDir, 'etcd');
  mkdirSync(etcdDir, { recursive: true });
  const portsFile = join(dataDir, 'etcd-ports.json');
  let ports: { clientPort: number; peerPort: number } | undefined;
  try {
    ports = JSON.parse(readFileSync(portsFile, 'utf8')) as { clientPort: number; peerPort: number };
  } catch {
    ports = undefined;
  }
  const start = (p: { clientPort: number; peerPort: number }) =>
    startEtcd({ dataDir: etcdDir, name: 'terrain', logFile: join(dataDir, 'etcd.log'), ...p });
  let etcd: EmbeddedEtcd;
  try {
    etcd = await start(ports ?? { clientPort: await freeLoopbackPort(), peerPort: await freeLoopbackPort() });
  } catch (err) {
    if (!ports) throw err;
    // The recorded ports are taken now: etcd keeps its data, only its listen addresses change.
    etcd = await start({ clientPort: await freeLoopbackPort(), peerPort: await freeLoopbackPort() });
  }
  writeFileSync(portsFile, JSON.stringify({ clientPort: etcd.clientPort, peerPort: etcd.peerPort }));
  return etcd;
}
