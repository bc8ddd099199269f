/**
 * Measuring helpers for benchmarks: timing a baseline command, object-store totals, and peak
 * resident memory of this process (sampled) — the pfs process's own peak comes from /proc (see
 * test/integration/pfs/fixtures/pfs-process.ts).
 */
import { spawnSync } from 'node:child_process';
import type { ObjectStore } from '../../../services/platform/object-store/object-store.ts';

/** Runs a command to completion and returns its wall time in ms; throws with its stderr when it fails. */
export function timeCommand(
  cmd: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; shell?: boolean } = {},
): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, {
    env: options.env ?? process.env,
    stdio: ['ignore', 'ignore', 'pipe'],
    shell: options.shell ?? false,
    maxBuffer: 16 * 1024 * 1024,
  });
  const ms = performance.now() - t0;
  if (r.error) throw r.error;
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}: ${r.stderr.toString().slice(-2000)}`,
    );
  return ms;
}

export interface StoreTotals {
  chunkObjects: number;
  chunkBytes: number;
  indexObjects: number;
  indexBytes: number;
}

/** Objects and bytes under `chunks/` and `index/` (a paged listing; memory stays flat). */
export async function storeTotals(store: ObjectStore): Promise<StoreTotals> {
  const t: StoreTotals = { chunkObjects: 0, chunkBytes: 0, indexObjects: 0, indexBytes: 0 };
  for await (const o of store.list('chunks/')) {
    t.chunkObjects++;
    t.chunkBytes += o.size;
  }
  for await (const o of store.list('index/')) {
    t.indexObjects++;
    t.indexBytes += o.size;
  }
  return t;
}

export function totalsDelta(
  after: StoreTotals,
  before: StoreTotals,
): StoreTotals & { objects: number; bytes: number } {
  const d = {
    chunkObjects: after.chunkObjects - before.chunkObjects,
    chunkBytes: after.chunkBytes - before.chunkBytes,
    indexObjects: after.indexObjects - before.indexObjects,
    indexBytes: after.indexBytes - before.indexBytes,
  };
  return { ...d, objects: d.chunkObjects + d.indexObjects, bytes: d.chunkBytes + d.indexBytes };
}

/** Samples this process's RSS every `intervalMs` until stopped; returns the peak in bytes. */
export function sampleOwnRss(intervalMs = 20): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
