import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandPath, isTerrainProcess, orphanedEtcds, runningPid } from './cluster.ts';

describe('cluster process bookkeeping', () => {
  let scratch: string;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'terrain-cluster-'));
  });
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
  });

  /** A process whose argv[0] is ".../etcd", idling with the given arguments. */
  async function fakeEtcd(args: string[]): Promise<number> {
    const etcd = join(scratch, 'bin', 'etcd');
    mkdirSync(join(scratch, 'bin'), { recursive: true });
    try {
      symlinkSync(process.execPath, etcd);
    } catch {
      // already linked by an earlier call
    }
    const child = spawn(etcd, ['-e', 'setInterval(() => {}, 1000)', '--', ...args], { stdio: 'ignore' });
    children.push(child);
    await new Promise((resolve) => child.once('spawn', resolve));
    return child.pid ?? 0;
  }

  it('finds an etcd left running inside the data directory, and only that one', async () => {
    const dataDir = join(scratch, 'data');
    const inside = await fakeEtcd(['--name', 'terrain', '--data-dir', join(dataDir, 'etcd')]);
    const outside = await fakeEtcd(['--data-dir', join(scratch, 'other', 'etcd')]);
    const found = orphanedEtcds(dataDir);
    assert.ok(found.includes(inside), `${inside} in ${found.join(',')}`);
    assert.ok(!found.includes(outside));
  });

  it('treats a pid file naming a dead or foreign process as no running cluster', () => {
    writeFileSync(join(scratch, 'terrain.pid'), `${process.pid}\n`); // alive, but mocha, not terrain
    assert.equal(isTerrainProcess(process.pid), false);
    assert.equal(runningPid(scratch), undefined);
    writeFileSync(join(scratch, 'terrain.pid'), 'garbage');
    assert.equal(runningPid(scratch), undefined);
  });

  it('expands ~ in data directories', () => {
    assert.equal(expandPath('~/x', { HOME: '/home/u' }), '/home/u/x');
    assert.equal(expandPath('~', { HOME: '/home/u' }), '/home/u');
    assert.equal(expandPath('/abs', { HOME: '/home/u' }), '/abs');
  });
});
