/**
 * Cron schedules for `input.cron.spec`, with the syntax of robfig/cron (which Pachyderm uses):
 *
 * - five fields `minute hour day-of-month month day-of-week` (`*\/10 * * * *`), or six with a
 *   leading seconds field (`30 * * * * *`);
 * - each field a comma list of `*` or `?`, `a`, `a-b`, with an optional step `/n` (`*\/5`,
 *   `1-30/2`, `5/15` meaning 5 to the field's maximum by 15); months `JAN`-`DEC` and weekdays
 *   `SUN`-`SAT` by name (case-insensitive); weekdays 0-6 with 0 = Sunday;
 * - when both day fields are restricted, a day matches either of them (cron's classic rule);
 *   otherwise it must match both;
 * - descriptors `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily` (`@midnight`), `@hourly`,
 *   and `@every <Go duration>` (at least 1s; `@every 1h30m`).
 *
 * Times are UTC (Terrain has no per-pipeline time zone; `CRON_TZ=` prefixes are refused).
 * Schedules are immutable values; `next` is pure.
 */
import { formatGoDuration, parseGoDuration } from './duration.ts';

export interface CronSchedule {
  /** The spec as given. */
  readonly spec: string;
  /** For `@every`: the interval in milliseconds; undefined for field schedules. */
  readonly everyMs: number | undefined;
  /**
   * The first activation strictly after `after` (whole seconds, UTC), or undefined when the schedule
   * never fires again within five years (e.g. `0 0 30 2 *`, February 30th).
   */
  next(after: Date): Date | undefined;
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const SECOND: FieldSpec = { name: 'seconds', min: 0, max: 59 };
const MINUTE: FieldSpec = { name: 'minute', min: 0, max: 59 };
const HOUR: FieldSpec = { name: 'hour', min: 0, max: 23 };
const DOM: FieldSpec = { name: 'day of month', min: 1, max: 31 };
const MONTH: FieldSpec = {
  name: 'month',
  min: 1,
  max: 12,
  names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
};
const DOW: FieldSpec = {
  name: 'day of week',
  min: 0,
  max: 6,
  names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
};

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};

interface Field {
  values: Set<number>;
  /** The field was `*` or `?` (a step other than 1 clears it), as robfig's star bit. */
  star: boolean;
}

/** Parses a cron spec, or returns why it is not one. */
export function parseCronSchedule(spec: string): CronSchedule | { error: string } {
  if (typeof spec !== 'string')
    return { error: 'expected a cron spec string such as "*/10 * * * *" or "@every 1h"' };
  const text = spec.trim();
  const bad = (why: string): { error: string } => ({
    error: `invalid cron spec ${JSON.stringify(spec)}: ${why}`,
  });
  if (text === '') return bad('it is empty');
  if (/^(CRON_)?TZ=/.test(text)) return bad('time zones are not supported; schedules run in UTC');
  if (text.startsWith('@every')) {
    const arg = text.slice('@every'.length).trim();
    if (!arg) return bad('"@every" needs a duration, such as "@every 1h"');
    const d = parseGoDuration(arg);
    if ('error' in d) return bad(d.error);
    if (d.ns < 1_000_000_000n) return bad(`the interval ${formatGoDuration(d.ns)} is shorter than 1s`);
    // robfig rounds the delay down to whole seconds.
    const everyMs = Number(d.ns / 1_000_000_000n) * 1000;
    return {
      spec,
      everyMs,
      next: (after: Date) => new Date(Math.floor(after.getTime() / 1000) * 1000 + everyMs),
    };
  }
  let fieldsText = text;
  if (text.startsWith('@')) {
    const expanded = DESCRIPTORS[text.toLowerCase()];
    if (!expanded)
      return bad(
        `unknown descriptor ${JSON.stringify(text)} (use @yearly, @monthly, @weekly, @daily, @hourly or @every <duration>)`,
      );
    fieldsText = expanded;
  }
  const parts = fieldsText.split(/\s+/);
  if (parts.length === 5) parts.unshift('0');
  if (parts.length !== 6)
    return bad(
      `expected 5 fields (minute hour day-of-month month day-of-week) or 6 (with seconds first), found ${parts.length}`,
    );
  const specs = [SECOND, MINUTE, HOUR, DOM, MONTH, DOW];
  const fields: Field[] = [];
  for (let i = 0; i < 6; i++) {
    const f = parseField(parts[i]!, specs[i]!);
    if ('error' in f) return bad(f.error);
    fields.push(f);
  }
  const [sec, min, hour, dom, month, dow] = fields as [Field, Field, Field, Field, Field, Field];
  return {
    spec,
    everyMs: undefined,
    next: (after: Date) => nextFieldTime(after, sec, min, hour, dom, month, dow),
  };
}

function parseField(text: string, spec: FieldSpec): Field | { error: string } {
  const values = new Set<number>();
  let star = false;
  for (const item of text.split(',')) {
    const [rangeText, stepText, extra] = item.split('/');
    if (extra !== undefined || rangeText === undefined || rangeText === '')
      return { error: `bad ${spec.name} field ${JSON.stringify(text)}` };
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0)
        return { error: `bad step ${JSON.stringify(stepText)} in the ${spec.name} field` };
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (rangeText === '*' || rangeText === '?') {
      lo = spec.min;
      hi = spec.max;
      if (step === 1) star = true;
    } else {
      const [a, b, more] = rangeText.split('-');
      if (more !== undefined)
        return { error: `bad range ${JSON.stringify(rangeText)} in the ${spec.name} field` };
      const va = value(a!, spec);
      if (typeof va === 'string') return { error: va };
      lo = va;
      if (b !== undefined) {
        const vb = value(b, spec);
        if (typeof vb === 'string') return { error: vb };
        hi = vb;
      } else {
        hi = stepText !== undefined ? spec.max : lo;
      }
      if (hi < lo) return { error: `reversed range ${JSON.stringify(rangeText)} in the ${spec.name} field` };
    }
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return { values, star };
}

function value(text: string, spec: FieldSpec): number | string {
  const lower = text.toLowerCase();
  const named = spec.names?.indexOf(lower) ?? -1;
  if (named >= 0) return named + spec.min;
  if (!/^\d+$/.test(text)) return `bad value ${JSON.stringify(text)} in the ${spec.name} field`;
  const v = Number(text);
  if (v < spec.min || v > spec.max) return `${spec.name} ${v} is out of range ${spec.min}-${spec.max}`;
  return v;
}

function nextFieldTime(
  after: Date,
  sec: Field,
  min: Field,
  hour: Field,
  dom: Field,
  month: Field,
  dow: Field,
): Date | undefined {
  // robfig's search: advance the coarsest mismatching field, resetting finer ones, and wrap.
  let t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
  const yearLimit = t.getUTCFullYear() + 5;
  const dayMatches = (d: Date): boolean => {
    const a = dom.values.has(d.getUTCDate());
    const b = dow.values.has(d.getUTCDay());
    return dom.star || dow.star ? a && b : a || b;
  };
  const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0): Date =>
    new Date(Date.UTC(y, mo, d, h, mi, s));
  wrap: for (;;) {
    if (t.getUTCFullYear() > yearLimit) return undefined;
    while (!month.values.has(t.getUTCMonth() + 1)) {
      t = utc(t.getUTCFullYear(), t.getUTCMonth() + 1, 1);
      if (t.getUTCMonth() === 0) continue wrap;
    }
    while (!dayMatches(t)) {
      t = utc(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate() + 1);
      if (t.getUTCDate() === 1) continue wrap;
    }
    while (!hour.values.has(t.getUTCHours())) {
      t = utc(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate(), t.getUTCHours() + 1);
      if (t.getUTCHours() === 0) continue wrap;
    }
    while (!min.values.has(t.getUTCMinutes())) {
      t = utc(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate(), t.getUTCHours(), t.getUTCMinutes() + 1);
      if (t.getUTCMinutes() === 0) continue wrap;
    }
    while (!sec.values.has(t.getUTCSeconds())) {
      t = new Date(t.getTime() + 1000);
      if (t.getUTCSeconds() === 0) continue wrap;
    }
    return t;
  }
}
