/**
 * Mocha global fixtures for the integration suite: start one real etcd and one real S3 server
 * (OpenStack Swift + s3api) as child processes on free loopback ports, once per run, and stop them
 * at the end even when tests fail.
 *
 * `TERRAIN_TEST_BACKEND=containers` runs the same suite against etcd and MinIO containers through
 * testcontainers instead. Without a Docker engine that mode is skipped within a second, with the
 * reason printed, and the suite runs on local processes.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerRuntimeUnavailableReason, startContainerBackends } from './containers.ts';
import { startTestEtcd } from './etcd.ts';
import { setTestEnv, testEnvOrUndefined, type TestEnv } from './index.ts';
import { startSwift } from './swift.ts';

function scratchRoot(): string {
  // Swift needs /dev/shm (on ext4, objects with more than ~1.5 KiB of metadata fail); etcd is faster there too.
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

async function startBackends(scratchDir: string): Promise<TestEnv> {
  if (process.env['TERRAIN_TEST_BACKEND'] === 'containers') {
    const reason = await containerRuntimeUnavailableReason();
    if (!reason) {
      const { etcd, s3 } = await startContainerBackends();
      return { etcd, s3, backend: 'containers', scratchDir };
    }
    console.log(`  harness: containers mode SKIPPED (${reason}); using local etcd + Swift processes instead`);
  }
  const [etcd, s3] = await Promise.all([
    startTestEtcd({ dataDir: join(scratchDir, 'etcd') }),
    startSwift({ baseDir: join(scratchDir, 'swift') }),
  ]);
  return { etcd, s3, backend: 'processes', scratchDir };
}

export async function mochaGlobalSetup(): Promise<void> {
  process.env['TERRAIN_TEST'] = '1';
  const scratchDir = mkdtempSync(join(scratchRoot(), 'terrain-test-'));
  const started = Date.now();
  const env = await startBackends(scratchDir);
  setTestEnv(env);
  console.log(
    `  harness: etcd ${env.etcd.endpoint}, S3 ${env.s3.endpoint} (${env.backend}), ready in ${Date.now() - started} ms`,
  );
}

export async function mochaGlobalTeardown(): Promise<void> {
  const env = testEnvOrUndefined();
  if (!env) return;
  setTestEnv(undefined);
  await Promise.allSettled([env.etcd.stop(), env.s3.stop()]);
  rmSync(env.scratchDir, { recursive: true, force: true });
}
