/**
 * Human formatting for tables: sizes in binary units, times relative to now, durations.
 * Pure functions; `now` is a parameter so tests do not depend on the clock.
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** 0 B, 999 B, 1.0 KiB, 12.3 MiB, 1.5 GiB … (one decimal below 100, none above). */
export function humanSize(bytes: bigint | number): string {
  let value = typeof bytes === 'bigint' ? Number(bytes) : bytes;
  if (!Number.isFinite(value) || value < 0) return String(bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${value} B`;
  const rounded = value < 100 ? value.toFixed(1) : Math.round(value).toString();
  // 1023.96 KiB rounds to "1024 KiB": show the next unit instead.
  if (Number(rounded) >= 1024 && unit < UNITS.length - 1) return `1.0 ${UNITS[unit + 1]}`;
  return `${rounded} ${UNITS[unit]}`;
}

const STEPS: [number, string][] = [
  [60, 'second'],
  [60, 'minute'],
  [24, 'hour'],
  [7, 'day'],
  [4.348, 'week'],
  [12, 'month'],
  [Number.POSITIVE_INFINITY, 'year'],
];

/** "just now", "3 minutes ago", "2 days ago", "in 5 minutes"; "-" for a missing time. */
export function relativeTime(date: Date | undefined, now: Date = new Date()): string {
  if (!date) return '-';
  const seconds = (now.getTime() - date.getTime()) / 1000;
  const future = seconds < 0;
  let value = Math.abs(seconds);
  if (value < 5) return 'just now';
  for (const [size, unit] of STEPS) {
    if (value < size) {
      const n = Math.floor(value);
      const label = `${n} ${unit}${n === 1 ? '' : 's'}`;
      return future ? `in ${label}` : `${label} ago`;
    }
    value /= size;
  }
  return date.toISOString();
}

/** 850ms, 12.3s, 4m05s, 2h03m. */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Bytes per second as "12.3 MiB/s". */
export function humanRate(bytesPerSecond: number): string {
  return `${humanSize(Math.max(0, Math.round(bytesPerSecond)))}/s`;
}

/**
 * Parses a duration given on the command line: "90" (seconds), "500ms", "30s", "5m", "1h", "1h30m".
 * Returns milliseconds, or undefined when it cannot be read.
 */
export function parseDuration(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const parts = text.match(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g);
  if (!parts || parts.join('') !== text) return undefined;
  const scale: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let total = 0;
  for (const part of parts) {
    const [, n = '0', unit = 's'] = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(part) ?? [];
    total += Number(n) * (scale[unit] ?? 0);
  }
  return total;
}

/** Shortens text to `max` characters with an ellipsis (descriptions in tables). */
export function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : oneLine.slice(0, Math.max(0, max - 1)) + '…';
}

/** Display width of a string in a terminal (wide CJK and emoji count as 2). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code === 0x200d || (code >= 0x300 && code <= 0x36f) || (code >= 0xfe00 && code <= 0xfe0f)) continue;
    width += isWide(code) ? 2 : 1;
  }
  return width;
}

function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1faff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}
