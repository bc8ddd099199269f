import assert from 'node:assert/strict';
import { parseCredentials, s3ConfigFromEnv, s3GatewayConfig } from './config.ts';

describe('s3gateway config', () => {
  it('fills defaults and reads TERRAIN_S3_* variables', () => {
    const config = s3GatewayConfig(
      s3ConfigFromEnv({
        TERRAIN_S3_ADDRESS: '0.0.0.0:9000',
        TERRAIN_S3_CREDENTIALS: 'alice:secret-one, bob:secret:two',
        TERRAIN_S3_ANONYMOUS: 'read-only',
      }),
    );
    assert.equal(config.address, '0.0.0.0:9000');
    assert.deepEqual(config.credentials, { alice: 'secret-one', bob: 'secret:two' });
    assert.equal(config.anonymous, 'read-only');
    assert.equal(config.minPartBytes, 5 * 1024 * 1024);
  });

  it('refuses a configuration nobody could use and malformed settings, naming them', () => {
    assert.throws(() => s3GatewayConfig({}), /no credentials are configured/);
    assert.throws(() => s3GatewayConfig({ credentials: { key: 'short' } }), /at least 8 characters/);
    assert.throws(() => s3GatewayConfig({ anonymous: 'yes' as never }), /anonymous must be/);
    assert.throws(() => s3GatewayConfig({ anonymous: 'read-only', address: 'nope' }), /host:port/);
    assert.throws(() => parseCredentials('no-colon'), /KEY:SECRET/);
  });
});
