/**
 * The S3 gateway: the S3 API over pfs.
 *
 *   import { connectPfsForS3, s3GatewayConfig, startS3Gateway } from './services/s3gateway/index.ts';
 *
 *   const pfs = connectPfsForS3('127.0.0.1:1650');
 *   const gateway = await startS3Gateway(
 *     s3GatewayConfig({ address: '127.0.0.1:1600', credentials: { terrain: 'terrain-secret' } }),
 *     { pfs, logger },
 *   );
 *   // aws --endpoint-url http://127.0.0.1:1600 s3 ls s3://master.images/
 *   await gateway.stop();
 *   pfs.close();
 *
 * Buckets are `branch.repo` (read-write), `commitID.branch.repo` (read-only) or `repo`
 * (= `master.repo`); objects are files; every write is one commit.
 */
export { startS3Gateway } from './server.ts';
export type { RunningS3Gateway, S3GatewayDeps } from './server.ts';
export { DEFAULT_S3_CONFIG, parseCredentials, s3ConfigFromEnv, s3GatewayConfig, S3_ENV } from './config.ts';
export type { AnonymousAccess, S3GatewayConfig } from './config.ts';
export { connectPfsForS3, pfsForS3OverGrpc } from './pfs-grpc.ts';
export type { PfsForS3 } from './pfs-port.ts';
export { FakePfs } from './pfs-fake.ts';
export { bucketName, parseBucket } from './buckets.ts';
export type { Bucket } from './buckets.ts';
