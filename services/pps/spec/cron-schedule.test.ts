import assert from 'node:assert/strict';
import { parseCronSchedule, type CronSchedule } from './cron-schedule.ts';

function schedule(spec: string): CronSchedule {
  const s = parseCronSchedule(spec);
  if ('error' in s) throw new Error(s.error);
  return s;
}

const iso = (d: Date | undefined): string | undefined => d?.toISOString();

describe('cron schedules', () => {
  it('fires five-field specs on the next matching minute, in UTC', () => {
    const s = schedule('*/10 * * * *');
    assert.equal(iso(s.next(new Date('2024-03-01T10:03:17Z'))), '2024-03-01T10:10:00.000Z');
    assert.equal(iso(s.next(new Date('2024-03-01T10:10:00Z'))), '2024-03-01T10:20:00.000Z', 'strictly after');
    assert.equal(iso(s.next(new Date('2024-03-01T23:55:00Z'))), '2024-03-02T00:00:00.000Z');
    assert.equal(
      iso(schedule('30 2 * * *').next(new Date('2024-12-31T03:00:00Z'))),
      '2025-01-01T02:30:00.000Z',
    );
  });

  it('reads a leading seconds field when there are six', () => {
    assert.equal(
      iso(schedule('15 * * * * *').next(new Date('2024-01-01T00:00:20Z'))),
      '2024-01-01T00:01:15.000Z',
    );
  });

  it('accepts names, ranges, lists and steps', () => {
    const s = schedule('0 9-17/4 * JAN,mar MON-FRI');
    // 2024-01-06 is a Saturday: the next weekday is Monday the 8th, at 09:00.
    assert.equal(iso(s.next(new Date('2024-01-06T12:00:00Z'))), '2024-01-08T09:00:00.000Z');
    assert.equal(iso(s.next(new Date('2024-01-08T09:00:00Z'))), '2024-01-08T13:00:00.000Z');
    assert.equal(
      iso(s.next(new Date('2024-01-31T18:00:00Z'))),
      '2024-03-01T09:00:00.000Z',
      'February is skipped',
    );
    assert.equal(
      iso(schedule('5/20 * * * *').next(new Date('2024-01-01T00:30:00Z'))),
      '2024-01-01T00:45:00.000Z',
    );
  });

  it('matches either day field when both are restricted, both when one is a star', () => {
    // The 13th, or any Friday.
    const either = schedule('0 0 13 * FRI');
    assert.equal(iso(either.next(new Date('2024-09-01T00:00:00Z'))), '2024-09-06T00:00:00.000Z'); // a Friday
    assert.equal(iso(either.next(new Date('2024-09-10T00:00:00Z'))), '2024-09-13T00:00:00.000Z');
    const friday = schedule('0 0 * * FRI');
    assert.equal(iso(friday.next(new Date('2024-09-07T00:00:00Z'))), '2024-09-13T00:00:00.000Z');
  });

  it('supports descriptors and @every', () => {
    assert.equal(iso(schedule('@hourly').next(new Date('2024-01-01T10:59:59Z'))), '2024-01-01T11:00:00.000Z');
    assert.equal(iso(schedule('@daily').next(new Date('2024-01-01T10:00:00Z'))), '2024-01-02T00:00:00.000Z');
    assert.equal(iso(schedule('@weekly').next(new Date('2024-01-01T10:00:00Z'))), '2024-01-07T00:00:00.000Z');
    assert.equal(iso(schedule('@yearly').next(new Date('2024-06-01T00:00:00Z'))), '2025-01-01T00:00:00.000Z');
    const every = schedule('@every 1h30m');
    assert.equal(every.everyMs, 5_400_000);
    assert.equal(iso(every.next(new Date('2024-01-01T00:00:00.700Z'))), '2024-01-01T01:30:00.000Z');
  });

  it('returns undefined for a schedule that never fires', () => {
    assert.equal(schedule('0 0 30 2 *').next(new Date('2024-01-01T00:00:00Z')), undefined);
  });

  it('refuses malformed specs, naming the problem', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['* * * *', /expected 5 fields/],
      ['60 * * * *', /minute 60 is out of range 0-59/],
      ['* * * * 7', /day of week 7 is out of range/],
      ['*/0 * * * *', /bad step/],
      ['5-1 * * * *', /reversed range/],
      ['@fortnightly', /unknown descriptor/],
      ['@every', /needs a duration/],
      ['@every 500ms', /shorter than 1s/],
      ['@every soon', /invalid duration/],
      ['CRON_TZ=Europe/Paris * * * * *', /time zones/],
      ['a * * * *', /bad value "a"/],
    ];
    for (const [spec, why] of cases) {
      const s = parseCronSchedule(spec);
      assert.ok('error' in s, `${JSON.stringify(spec)} should be refused`);
      assert.match(s.error, why);
      assert.ok(s.error.includes(JSON.stringify(spec)), 'the message quotes the spec');
    }
  });
});
