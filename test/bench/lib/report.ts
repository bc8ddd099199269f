/**
 * Benchmark tables: each figure beside its baseline (measured in the same run), the ratio, the
 * target, and whether the target was met and by how much; and a final summary of every target.
 */

export interface Verdict {
  met: boolean;
  /** e.g. "1.9× the target" or "missed by 23%". */
  margin: string;
}

export interface Row {
  case: string;
  figure: string;
  baseline: string;
  ratio: string;
  target: string;
  verdict?: Verdict | undefined;
}

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** MB/s (10^6 bytes per second), as `cp` and most tools report. */
export const mbps = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);
export const fmtMBps = (v: number): string => `${v.toFixed(0)} MB/s`;
export const fmtMiB = (bytes: number): string =>
  bytes >= 10 * MiB ? `${(bytes / MiB).toFixed(0)} MiB` : `${(bytes / MiB).toFixed(2)} MiB`;
export const fmtMs = (ms: number): string =>
  ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`;
export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
export const fmtRatio = (r: number): string => `${r.toFixed(2)}×`;

/** A "higher is better" target: value ≥ target. */
export function atLeast(value: number, target: number): Verdict {
  const met = value >= target;
  return {
    met,
    margin: met
      ? `${fmtRatio(value / target)} the target`
      : `missed by ${((1 - value / target) * 100).toFixed(0)}%`,
  };
}

/** A "lower is better" target: value ≤ target (a value of 0 meets any non-negative target). */
export function atMost(value: number, target: number): Verdict {
  const met = value <= target;
  if (met)
    return {
      met,
      margin: value === 0 ? 'nothing at all' : `${((1 - value / target) * 100).toFixed(0)}% under the limit`,
    };
  return { met, margin: `missed: ${fmtRatio(value / target)} the limit` };
}

export function printTable(title: string, rows: Row[]): void {
  const head: Row = {
    case: 'case',
    figure: 'pfs',
    baseline: 'baseline (same run)',
    ratio: 'ratio',
    target: 'target',
    verdict: undefined,
  };
  const cells = (r: Row): string[] => [
    r.case,
    r.figure,
    r.baseline,
    r.ratio,
    r.target,
    r === head ? 'result' : r.verdict ? (r.verdict.met ? 'met' : 'MISSED') : 'info',
  ];
  const all = [head, ...rows].map(cells);
  const widths = all[0]!.map((_, i) => Math.max(...all.map((c) => c[i]!.length)));
  const line = (c: string[]): string => `| ${c.map((s, i) => s.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\n### ${title}\n`);
  console.log(line(all[0]!));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const c of all.slice(1)) console.log(line(c));
}

export function printSummary(results: { backend: string; rows: Row[] }[]): void {
  console.log('\n### Summary\n');
  let missed = 0;
  for (const { backend, rows } of results) {
    for (const r of rows) {
      if (!r.verdict) continue;
      if (!r.verdict.met) missed++;
      console.log(
        `- [${backend}] ${r.verdict.met ? 'MET   ' : 'MISSED'} ${r.case}: ${r.figure} (target ${r.target}) — ${r.verdict.margin}`,
      );
    }
  }
  console.log(missed === 0 ? '\nEvery target met.' : `\n${missed} target(s) missed.`);
}
