import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, envName, expandHome, loadConfig } from './config.ts';

describe('config', () => {
  it('uses the defaults when nothing is set', () => {
    assert.deepEqual(loadConfig({ env: {} }), DEFAULT_CONFIG);
  });

  it('layers file < environment < flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'terrain.yaml');
    writeFileSync(file, 'grpcAddress: 0.0.0.0:7000\nlogLevel: debug\nleaseTtlSeconds: 10\n');
    const config = loadConfig({
      env: {
        TERRAIN_CONFIG: file,
        TERRAIN_LOG_LEVEL: 'warn',
        TERRAIN_ETCD_ENDPOINTS: 'http://a:1, http://b:2',
      },
      overrides: { leaseTtlSeconds: 5 },
    });
    assert.equal(config.grpcAddress, '0.0.0.0:7000');
    assert.equal(config.logLevel, 'warn');
    assert.deepEqual(config.etcdEndpoints, ['http://a:1', 'http://b:2']);
    assert.equal(config.leaseTtlSeconds, 5);
  });

  it('refuses an unknown setting in a file, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'terrain.json');
    writeFileSync(file, JSON.stringify({ grpcAdress: 'x' }));
    assert.throws(
      () => loadConfig({ env: {}, file }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'invalid_argument');
        assert.match(err.message, /unknown setting "grpcAdress"/);
        return true;
      },
    );
  });

  it('refuses an unknown TERRAIN_ variable and a bad number', () => {
    assert.throws(
      () => loadConfig({ env: { TERRAIN_GRPC_ADRESS: 'x' } }),
      /unknown environment variable TERRAIN_GRPC_ADRESS/,
    );
    assert.throws(() => loadConfig({ env: { TERRAIN_LEASE_TTL_SECONDS: 'soon' } }), /invalid value "soon"/);
  });

  it('names environment variables after the keys and expands ~', () => {
    assert.equal(envName('maxRecordBytes'), 'TERRAIN_MAX_RECORD_BYTES');
    assert.equal(expandHome('~/.terrain', '/home/u'), '/home/u/.terrain');
    assert.equal(expandHome('/abs', '/home/u'), '/abs');
  });
});
