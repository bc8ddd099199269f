import { strict as assert } from 'node:assert';
import { loadConfig } from '../platform/config.ts';
import { readWorkerSettings, WORKER_ENV_NAMES } from './worker-config.ts';

describe('worker settings', () => {
  it('reads TERRAIN_WORKER_* variables and lets flags win over them', () => {
    const s = readWorkerSettings(
      {
        TERRAIN_WORKER_PIPELINE: 'edges',
        TERRAIN_WORKER_CONCURRENCY: '2',
        TERRAIN_WORKER_EXIT_WITH_STDIN: '1',
        TERRAIN_PPS_ADDRESS: 'pps:1',
      },
      ['--concurrency', '4', '--isolation=directory'],
    );
    assert.equal(s.pipeline, 'edges');
    assert.equal(s.concurrency, 4);
    assert.equal(s.isolation, 'directory');
    assert.equal(s.exitWithStdin, true);
    assert.equal(s.ppsAddress, 'pps:1');
    assert.equal(s.pfsAddress, undefined);
  });

  it('refuses a missing pipeline, a bad number, a bad isolation mode and an unknown flag, naming them', () => {
    assert.throws(() => readWorkerSettings({}, []), /TERRAIN_WORKER_PIPELINE or --pipeline/);
    assert.throws(
      () => readWorkerSettings({ TERRAIN_WORKER_PIPELINE: 'p', TERRAIN_WORKER_CONCURRENCY: '0' }, []),
      /TERRAIN_WORKER_CONCURRENCY="0" must be an integer ≥ 1/,
    );
    assert.throws(
      () => readWorkerSettings({ TERRAIN_WORKER_PIPELINE: 'p' }, ['--isolation', 'chroot']),
      /--isolation="chroot" must be auto, namespace or directory/,
    );
    assert.throws(
      () => readWorkerSettings({ TERRAIN_WORKER_PIPELINE: 'p' }, ['--bogus', '1']),
      /unknown flag --bogus/,
    );
  });

  it('declares its variables so the platform config does not reject them', () => {
    const env = Object.fromEntries(WORKER_ENV_NAMES.map((n) => [n, '1']));
    assert.doesNotThrow(() => loadConfig({ env, knownEnv: WORKER_ENV_NAMES }));
    assert.throws(() => loadConfig({ env }), /unknown environment variable TERRAIN_WORKER_/);
  });
});
