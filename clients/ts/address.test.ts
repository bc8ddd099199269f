import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isErrorCode } from '../../services/platform/errors.ts';
import { DEFAULT_ADDRESS, normalizeAddress, resolveAddresses } from './address.ts';
import { contextPath, readContext, updateContext, writeContext } from './context.ts';

describe('address resolution', () => {
  it('falls back to 127.0.0.1:1650 when nothing is configured', () => {
    const resolved = resolveAddresses({ env: {} });
    assert.deepEqual(resolved.main, { address: DEFAULT_ADDRESS, source: 'default' });
    assert.deepEqual(resolved.pfs, { address: DEFAULT_ADDRESS, source: 'default' });
  });

  it('prefers TERRAIN_ADDRESS over the context file', () => {
    const resolved = resolveAddresses({
      env: { TERRAIN_ADDRESS: 'env:1' },
      context: { grpcAddress: 'ctx:2' },
    });
    assert.deepEqual(resolved.main, { address: 'env:1', source: 'env' });
    assert.deepEqual(resolved.lineage, { address: 'env:1', source: 'env' });
  });

  it('uses the context file when no variable is set', () => {
    const resolved = resolveAddresses({ env: {}, context: { grpcAddress: 'ctx:2' } });
    assert.deepEqual(resolved.pps, { address: 'ctx:2', source: 'context' });
  });

  it('lets an explicit address win over the environment, including per-service variables', () => {
    const resolved = resolveAddresses({
      address: 'given:3',
      env: { TERRAIN_ADDRESS: 'env:1', TERRAIN_PFS_ADDRESS: 'pfs-env:4' },
      context: { grpcAddress: 'ctx:2' },
    });
    assert.deepEqual(resolved.main, { address: 'given:3', source: 'explicit' });
    assert.deepEqual(resolved.pfs, { address: 'given:3', source: 'explicit' });
  });

  it('routes one service elsewhere with TERRAIN_<SERVICE>_ADDRESS, leaving the others', () => {
    const resolved = resolveAddresses({
      env: { TERRAIN_ADDRESS: 'main:1', TERRAIN_PPS_ADDRESS: 'pps-host:7' },
    });
    assert.equal(resolved.pps.address, 'pps-host:7');
    assert.equal(resolved.pfs.address, 'main:1');
    assert.equal(resolved.lineage.address, 'main:1');
    assert.equal(resolved.main.address, 'main:1');
  });

  it('takes an explicit per-service address over everything', () => {
    const resolved = resolveAddresses({
      address: 'given:3',
      addresses: { lineage: 'lin:9' },
      env: { TERRAIN_LINEAGE_ADDRESS: 'x:1' },
    });
    assert.deepEqual(resolved.lineage, { address: 'lin:9', source: 'explicit' });
  });

  it('uses per-service addresses from the context file after the environment', () => {
    const context = { grpcAddress: 'ctx:2', addresses: { pfs: 'ctx-pfs:5' } };
    assert.equal(resolveAddresses({ env: {}, context }).pfs.address, 'ctx-pfs:5');
    assert.equal(resolveAddresses({ env: { TERRAIN_ADDRESS: 'env:1' }, context }).pfs.address, 'env:1');
  });

  it('ignores empty variables', () => {
    assert.equal(
      resolveAddresses({ env: { TERRAIN_ADDRESS: '' }, context: { grpcAddress: 'ctx:2' } }).main.address,
      'ctx:2',
    );
  });

  it('accepts host:port behind grpc://, http:// or dns:/// and IPv6 literals', () => {
    assert.equal(normalizeAddress('grpc://localhost:1650'), 'localhost:1650');
    assert.equal(normalizeAddress('http://10.0.0.1:80/'), '10.0.0.1:80');
    assert.equal(normalizeAddress('dns:///pfs.svc:1650'), 'pfs.svc:1650');
    assert.equal(normalizeAddress('[::1]:1650'), '[::1]:1650');
  });

  it('refuses a malformed address, naming where it came from', () => {
    assert.throws(
      () => resolveAddresses({ env: { TERRAIN_PFS_ADDRESS: 'no-port' } }),
      (err: unknown) =>
        isErrorCode(err, 'invalid_argument') && /TERRAIN_PFS_ADDRESS/.test((err as Error).message),
    );
    assert.throws(
      () => normalizeAddress('host:0'),
      (err: unknown) => isErrorCode(err, 'invalid_argument'),
    );
    assert.throws(
      () => normalizeAddress('host:70000'),
      (err: unknown) => isErrorCode(err, 'invalid_argument'),
    );
  });
});

describe('context file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'terrain-context-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lives at TERRAIN_CONTEXT, else ~/.terrain/context.json', () => {
    assert.equal(contextPath({ TERRAIN_CONTEXT: '/x/ctx.json', HOME: '/home/u' }), '/x/ctx.json');
    assert.equal(contextPath({ HOME: '/home/u' }), '/home/u/.terrain/context.json');
  });

  it('reads as undefined when the file does not exist', () => {
    assert.equal(readContext(join(dir, 'missing.json')), undefined);
  });

  it('round-trips through write and read, creating the directory', () => {
    const path = join(dir, 'nested', 'context.json');
    writeContext(path, { grpcAddress: '127.0.0.1:1650', pid: 42 });
    assert.deepEqual(readContext(path), { grpcAddress: '127.0.0.1:1650', pid: 42 });
  });

  it('merges updates and removes keys set to undefined', () => {
    const path = join(dir, 'context.json');
    writeContext(path, { grpcAddress: 'a:1', transaction: 'f'.repeat(32) });
    updateContext(path, { transaction: undefined, pid: 7 });
    assert.deepEqual(readContext(path), { grpcAddress: 'a:1', pid: 7 });
  });

  it('refuses a broken file instead of silently ignoring it', () => {
    const path = join(dir, 'context.json');
    writeFileSync(path, '{ not json');
    assert.throws(
      () => readContext(path),
      (err: unknown) => isErrorCode(err, 'invalid_argument') && (err as Error).message.includes(path),
    );
    writeFileSync(path, '[1]');
    assert.throws(
      () => readContext(path),
      (err: unknown) => isErrorCode(err, 'invalid_argument'),
    );
  });
});
