import { describe, expect, it } from 'vitest';
import { latestDueTimes, nextRunAfter, ScheduleError, validateSchedule, type Schedule } from './schedule.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
const BERLIN = 'Europe/Berlin';
const cron = (value: string, timezone = BERLIN): Schedule => ({ type: 'cron', value, timezone });

/** The next `n` run instants after `from`, each computed from the previous one. */
function runs(s: Schedule, from: string, n: number): string[] {
  const out: string[] = [];
  let t: number | null = at(from);
  for (let i = 0; i < n; i++) {
    t = nextRunAfter(s, t as number);
    out.push(iso(t) as string);
  }
  return out;
}

describe('cron in an IANA zone across daylight-saving changes (Europe/Berlin, 2026)', () => {
  it('"0 9 * * *" stays at 09:00 local time: 08:00Z in winter, 07:00Z in summer', () => {
    // Clocks go forward on Sunday 29 March 2026 (02:00 CET → 03:00 CEST).
    expect(runs(cron('0 9 * * *'), '2026-03-27T12:00:00Z', 4)).toEqual([
      '2026-03-28T08:00:00.000Z',
      '2026-03-29T07:00:00.000Z',
      '2026-03-30T07:00:00.000Z',
      '2026-03-31T07:00:00.000Z',
    ]);
    // Clocks go back on Sunday 25 October 2026 (03:00 CEST → 02:00 CET).
    expect(runs(cron('0 9 * * *'), '2026-10-23T12:00:00Z', 4)).toEqual([
      '2026-10-24T07:00:00.000Z',
      '2026-10-25T08:00:00.000Z',
      '2026-10-26T08:00:00.000Z',
      '2026-10-27T08:00:00.000Z',
    ]);
  });

  it('"30 2 * * *" runs once on the spring-forward day although 02:30 does not exist', () => {
    // 02:30 CET = 01:30Z; on 29 March local time jumps from 02:00 to 03:00, and the run happens
    // when the skipped time is passed (03:00 CEST = 01:00Z), once; then 02:30 CEST = 00:30Z.
    expect(runs(cron('30 2 * * *'), '2026-03-27T12:00:00Z', 4)).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:30:00.000Z',
      '2026-03-31T00:30:00.000Z',
    ]);
  });

  it('"30 2 * * *" runs once, not twice, on the fall-back day when 02:30 happens twice', () => {
    expect(runs(cron('30 2 * * *'), '2026-10-23T12:00:00Z', 4)).toEqual([
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z', // 02:30 CEST; the second 02:30 (CET, 01:30Z) does not run
      '2026-10-26T01:30:00.000Z',
      '2026-10-27T01:30:00.000Z',
    ]);
    const day = latestDueTimes(
      cron('30 2 * * *'),
      at('2026-10-25T00:30:00Z'),
      at('2026-10-25T22:00:00Z'),
      10,
    );
    expect(day.map(iso)).toEqual(['2026-10-25T00:30:00.000Z']);
  });

  it('the same pattern in UTC and in another zone gives different instants', () => {
    const from = at('2026-07-01T00:00:00Z');
    expect(iso(nextRunAfter(cron('0 9 * * *', 'UTC'), from))).toBe('2026-07-01T09:00:00.000Z');
    expect(iso(nextRunAfter(cron('0 9 * * *', 'America/New_York'), from))).toBe('2026-07-01T13:00:00.000Z');
    expect(iso(nextRunAfter(cron('0 9 * * *', 'Asia/Kolkata'), from))).toBe('2026-07-01T03:30:00.000Z');
  });

  it('is strictly after: a run exactly at `after` is not returned again', () => {
    const t = at('2026-06-01T07:00:00Z'); // 09:00 CEST
    expect(iso(nextRunAfter(cron('0 9 * * *'), t))).toBe('2026-06-02T07:00:00.000Z');
    expect(iso(nextRunAfter(cron('0 9 * * *'), t - 1))).toBe('2026-06-01T07:00:00.000Z');
  });

  it('day-of-month and day-of-week both given: either matches (standard cron)', () => {
    // 1 March 2026 is a Sunday; "0 9 1 * 1" fires on the 1st and on Mondays.
    expect(runs(cron('0 9 1 * 1', 'UTC'), '2026-02-27T00:00:00Z', 3)).toEqual([
      '2026-03-01T09:00:00.000Z',
      '2026-03-02T09:00:00.000Z',
      '2026-03-09T09:00:00.000Z',
    ]);
  });
});

describe('interval', () => {
  const every = (value: string): Schedule => ({ type: 'interval', value, timezone: 'UTC' });
  const T = at('2026-05-01T10:00:00Z');

  it('without an anchor, the first run is one interval from now', () => {
    expect(nextRunAfter(every('30m'), T)).toBe(T + 30 * 60_000);
    expect(nextRunAfter(every('1h30m'), T)).toBe(T + 90 * 60_000);
  });

  it('is anchored to the previous due time, so late runs do not drift the series', () => {
    const h = 3600_000;
    // Ran 5 s late: next is still on the hour.
    expect(nextRunAfter(every('1h'), T + 5_000, T)).toBe(T + h);
    // Ran 2.5 intervals late: the next slot after now on the original grid, not now + 1h.
    expect(nextRunAfter(every('1h'), T + 2.5 * h, T)).toBe(T + 3 * h);
    // Exactly on a later slot: strictly after it.
    expect(nextRunAfter(every('1h'), T + h, T)).toBe(T + 2 * h);
  });

  it('latestDueTimes lists the grid slots up to `to`, the latest `max` of them', () => {
    const m = 60_000;
    expect(latestDueTimes(every('10m'), T + 10 * m, T + 35 * m, 100)).toEqual([
      T + 10 * m,
      T + 20 * m,
      T + 30 * m,
    ]);
    expect(latestDueTimes(every('10m'), T + 10 * m, T + 30 * m, 100)).toEqual([
      T + 10 * m,
      T + 20 * m,
      T + 30 * m,
    ]);
    // Down for 1000 minutes with a 1-minute task: the five most recent, not the five oldest.
    expect(latestDueTimes(every('1m'), T + m, T + 1000 * m, 5)).toEqual([
      T + 996 * m,
      T + 997 * m,
      T + 998 * m,
      T + 999 * m,
      T + 1000 * m,
    ]);
    // The first due time is after `to`: nothing is due yet.
    expect(latestDueTimes(every('10m'), T + 10 * m, T + 5 * m, 100)).toEqual([]);
  });
});

describe('latestDueTimes for cron', () => {
  it('matches walking forward with nextRunAfter, across both 2026 changes in Berlin', () => {
    for (const [value, from, to] of [
      ['30 2 * * *', '2026-03-20T00:00:00Z', '2026-04-05T00:00:00Z'],
      ['30 2 * * *', '2026-10-18T00:00:00Z', '2026-11-01T00:00:00Z'],
      ['0 9 * * *', '2026-03-20T00:00:00Z', '2026-04-05T00:00:00Z'],
      ['*/20 * * * *', '2026-10-24T20:00:00Z', '2026-10-25T06:00:00Z'],
    ] as const) {
      const s = cron(value);
      const first = nextRunAfter(s, at(from)) as number;
      const forward: number[] = [];
      for (let t: number | null = first; t !== null && t <= at(to); t = nextRunAfter(s, t)) forward.push(t);
      expect(latestDueTimes(s, first, at(to), 1000).map(iso), `${value} ${from}`).toEqual(forward.map(iso));
      expect(latestDueTimes(s, first, at(to), 3)).toEqual(forward.slice(-3));
    }
  });

  it('includes a due time exactly at `to`, and never one before firstDue', () => {
    const s = cron('0 9 * * *', 'UTC');
    expect(latestDueTimes(s, at('2026-05-03T09:00:00Z'), at('2026-05-05T09:00:00Z'), 10).map(iso)).toEqual([
      '2026-05-03T09:00:00.000Z',
      '2026-05-04T09:00:00.000Z',
      '2026-05-05T09:00:00.000Z',
    ]);
  });
});

describe('once', () => {
  const once = (value: string): Schedule => ({ type: 'once', value, timezone: 'UTC' });
  const now = at('2026-05-01T10:00:00Z');

  it('runs at its instant when that is in the future', () => {
    expect(nextRunAfter(once('2026-05-01T10:00:01Z'), now)).toBe(now + 1000);
    expect(nextRunAfter(once('2026-05-01T12:00:00+02:00'), now - 1)).toBe(now);
  });

  it('has no run in the past or exactly now', () => {
    expect(nextRunAfter(once('2026-05-01T09:59:59Z'), now)).toBeNull();
    expect(nextRunAfter(once('2026-05-01T10:00:00Z'), now)).toBeNull();
    expect(nextRunAfter(once('2020-01-01T00:00:00Z'), now)).toBeNull();
  });

  it('latestDueTimes gives the single instant once, when it is due', () => {
    const t = at('2026-05-01T09:00:00Z');
    expect(latestDueTimes(once('2026-05-01T09:00:00Z'), t, now, 100)).toEqual([t]);
    expect(latestDueTimes(once('2026-05-01T11:00:00Z'), now + 3600_000, now, 100)).toEqual([]);
  });
});

describe('validateSchedule', () => {
  const now = at('2026-05-01T10:00:00Z');
  const err = (s: Schedule): string => {
    try {
      validateSchedule(s, now);
    } catch (e) {
      expect(e).toBeInstanceOf(ScheduleError);
      return (e as Error).message;
    }
    throw new Error(`${s.type} "${s.value}" was accepted`);
  };

  it('accepts good schedules', () => {
    for (const s of [
      cron('0 9 * * 1-5'),
      cron('*/15 * * * *', 'UTC'),
      { type: 'interval', value: '1m', timezone: 'UTC' },
      { type: 'interval', value: '2h', timezone: 'UTC' },
      { type: 'once', value: '2026-12-01T09:00:00Z', timezone: 'UTC' },
      { type: 'once', value: '2026-12-01T09:00:00.000+01:00', timezone: 'UTC' },
    ] as const)
      expect(() => validateSchedule(s, now)).not.toThrow();
  });

  it('cron: exactly 5 fields, valid values, a real time zone, and a date that exists', () => {
    expect(err(cron('bad'))).toBe(
      'cron "bad" must have 5 fields: minute hour day-of-month month day-of-week',
    );
    expect(err(cron('0 9 * *'))).toMatch(/must have 5 fields/);
    expect(err(cron('0 0 9 * * *'))).toMatch(/must have 5 fields/); // no seconds field
    expect(err(cron('61 * * * *'))).toMatch(/^cron "61 \* \* \* \*" is invalid: /);
    expect(err(cron('* 24 * * *'))).toMatch(/is invalid/);
    expect(err(cron('* * * * 8'))).toMatch(/is invalid/);
    expect(err(cron('0 9 * * *', 'Mars/Olympus'))).toMatch(/is invalid: .*timezone/i);
    expect(err(cron('0 0 30 2 *'))).toBe('cron "0 0 30 2 *" never fires: no date matches it');
    expect(err(cron('0 0 31 4 *', 'UTC'))).toMatch(/never fires/);
  });

  it('interval: a duration of at least 1m', () => {
    const iv = (value: string): Schedule => ({ type: 'interval', value, timezone: 'UTC' });
    expect(err(iv('often'))).toBe('interval "often" must be a duration like "30m" or "2h"');
    expect(err(iv('30'))).toMatch(/must be a duration/);
    expect(err(iv('30s'))).toBe('interval "30s" is shorter than the minimum of 1m');
    expect(err(iv('0m'))).toMatch(/shorter than the minimum/);
    expect(err(iv('59999ms'))).toMatch(/shorter than the minimum/);
  });

  it('once: an ISO date-time', () => {
    const once = (value: string): Schedule => ({ type: 'once', value, timezone: 'UTC' });
    expect(err(once('tomorrow'))).toBe('once "tomorrow" must be an ISO time like 2026-12-01T09:00:00Z');
    expect(err(once('2026-12-01'))).toMatch(/must be an ISO time/); // a date alone is ambiguous
    expect(err(once('2026-13-45T99:00:00Z'))).toMatch(/must be an ISO time/);
    expect(err(once('12/01/2026 09:00'))).toMatch(/must be an ISO time/);
  });
});
