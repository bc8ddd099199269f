/**
 * Go duration strings, as Pachyderm's `datum_timeout` / `job_timeout` and cron's `@every` use them:
 * a sequence of decimal numbers, each with an optional fraction and a unit (`ns`, `us`/`µs`, `ms`,
 * `s`, `m`, `h`), like `30s`, `1h5m`, `1.5h`, `300ms`; a bare `0` is zero. protojson's Duration
 * form (`3600s`, `1.5s`) is a special case, so specs exported from Pachyderm parse too.
 *
 * Values are kept as integer nanoseconds (bigint, exact like Go's int64) and re-printed in Go's
 * canonical form (`1h5m0s`), so equal durations serialize equally in canonical specs.
 * Pure functions; no I/O.
 */
import { ppsErrors } from './errors.ts';

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 MICRO SIGN
  μs: 1_000n, // U+03BC GREEK SMALL LETTER MU
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const MAX_NS = (1n << 63n) - 1n; // Go's time.Duration is an int64

/** Parses a Go duration into nanoseconds, or returns a reason why it is not one. */
export function parseGoDuration(text: string): { ns: bigint } | { error: string } {
  if (typeof text !== 'string') return { error: 'expected a duration string such as "30s" or "1h5m"' };
  let s = text;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s.startsWith('-');
    s = s.slice(1);
  }
  if (s === '0') return { ns: 0n };
  if (s === '') return { error: `invalid duration ${JSON.stringify(text)}: it is empty` };
  let total = 0n;
  const part = /^(\d*)(?:\.(\d*))?([a-zµμ]+)/u;
  while (s.length > 0) {
    const m = part.exec(s);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) {
      return {
        error: `invalid duration ${JSON.stringify(text)}: use numbers with units, such as "30s", "1h5m" or "1.5h"`,
      };
    }
    const unit = UNIT_NS[m[3]!];
    if (unit === undefined) {
      return {
        error: `invalid duration ${JSON.stringify(text)}: unknown unit ${JSON.stringify(m[3])} (use ns, us, ms, s, m or h)`,
      };
    }
    const whole = BigInt(m[1] || '0');
    const frac = m[2] ?? '';
    let value = whole * unit;
    if (frac !== '') {
      // Exact: fraction digits × unit / 10^digits, truncated toward zero as Go does.
      value += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    }
    total += value;
    if (total > MAX_NS)
      return { error: `invalid duration ${JSON.stringify(text)}: it overflows (more than about 292 years)` };
    s = s.slice(m[0].length);
  }
  return { ns: negative ? -total : total };
}

function fraction(v: bigint, digits: number): string {
  // v has `digits` implied decimals; print without trailing zeros.
  const scale = 10n ** BigInt(digits);
  const whole = v / scale;
  let frac = (v % scale).toString().padStart(digits, '0').replace(/0+$/, '');
  if (frac) frac = `.${frac}`;
  return `${whole}${frac}`;
}

/** Go's `Duration.String()`: `0s`, `1.5ms`, `100µs`, `1h5m0s`, `2m30.5s`. */
export function formatGoDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const sign = ns < 0n ? '-' : '';
  const v = ns < 0n ? -ns : ns;
  if (v < 1_000n) return `${sign}${v}ns`;
  if (v < 1_000_000n) return `${sign}${fraction(v, 3)}µs`;
  if (v < 1_000_000_000n) return `${sign}${fraction(v, 6)}ms`;
  const h = v / UNIT_NS.h!;
  const m = (v % UNIT_NS.h!) / UNIT_NS.m!;
  const sec = v % UNIT_NS.m!;
  let out = sign;
  if (h > 0n) out += `${h}h`;
  if (h > 0n || m > 0n) out += `${m}m`;
  return `${out}${fraction(sec, 9)}s`;
}

/**
 * Milliseconds of a Go duration string (rounded down).
 * @throws INVALID_ARGUMENT for a string that is not a Go duration.
 */
export function durationMs(text: string): number {
  const r = parseGoDuration(text);
  if ('error' in r) throw ppsErrors.invalidArgument(r.error, { details: { duration: String(text) } });
  return Number(r.ns / 1_000_000n);
}
