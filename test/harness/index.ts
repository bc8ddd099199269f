/**
 * The integration-test harness: one real etcd and one real S3 server (OpenStack Swift with its S3
 * layer) per test run, started as child processes on free loopback ports by `root-hooks.ts`, and
 * stopped at the end even when tests fail.
 *
 * Tests never share state: each takes its own etcd prefix (`uniquePrefix`) and its own bucket
 * (`freshBucket`).
 *
 *   import { testEnv, uniquePrefix, freshBucket } from '../harness/index.ts';
 *   const { etcd, s3 } = testEnv();
 *   const prefix = uniquePrefix('kv');
 */
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

/** The shared etcd of a run. Tests that kill or restart etcd start their own (services/platform/etcd/embedded.ts). */
export interface TestEtcd {
  endpoint: string;
  stop(): Promise<void>;
}

/** An S3-compatible server and the credentials to reach it. */
export interface TestS3 {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  stop(): Promise<void>;
}

export interface TestEnv {
  etcd: TestEtcd;
  s3: TestS3;
  /** Which servers these are: local processes (etcd + Swift) or containers (etcd + MinIO). */
  backend: 'processes' | 'containers';
  /** Scratch directory for this run (on /dev/shm when available); removed at the end. */
  scratchDir: string;
}

let current: TestEnv | undefined;

/** Set by root-hooks.ts once the servers answer. */
export function setTestEnv(env: TestEnv | undefined): void {
  current = env;
}

/** The servers of this run, or undefined before setup/after teardown. */
export function testEnvOrUndefined(): TestEnv | undefined {
  return current;
}

/** The servers of this run. Throws when the harness did not start (the suite was run without root-hooks). */
export function testEnv(): TestEnv {
  if (!current)
    throw new Error('test harness not started: run integration tests through `npm run test:integration`');
  return current;
}

/** A fresh etcd key prefix such as `/test/kv-1f3a9c0b/`. */
export function uniquePrefix(name: string): string {
  return `/test/${name}-${randomBytes(4).toString('hex')}/`;
}

/** An S3 client for the harness's S3 server. */
export function s3Client(s3: TestS3 = testEnv().s3): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Creates a new, empty bucket on the harness's S3 server and returns its name. */
export async function freshBucket(name = 'test'): Promise<string> {
  const bucket = `${name}-${randomBytes(6).toString('hex')}`.toLowerCase();
  const client = s3Client();
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
  return bucket;
}
