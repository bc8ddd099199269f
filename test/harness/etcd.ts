/**
 * The test suite's etcd: the same embedded launcher `terrain up` uses (services/platform/etcd/embedded.ts),
 * on free loopback ports, with its log next to its data directory.
 *
 * root-hooks.ts starts one per run; tests that kill or restart etcd start their own with `startEtcd`
 * on a temporary directory, so the shared one is never disturbed.
 */
import { dirname, join } from 'node:path';
import { startEtcd, type EmbeddedEtcd } from '../../services/platform/etcd/embedded.ts';

export type EtcdServer = EmbeddedEtcd;

export async function startTestEtcd(options: { dataDir: string }): Promise<EtcdServer> {
  return startEtcd({
    dataDir: options.dataDir,
    name: 'terrain-test',
    logFile: join(dirname(options.dataDir), 'etcd.log'),
    // The production default; tests that need compaction compact explicitly or start their own etcd.
    autoCompaction: { mode: 'periodic', retention: '10m' },
    quotaBackendBytes: 2 * 1024 * 1024 * 1024,
  });
}
