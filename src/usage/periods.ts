/**
 * Budget periods in the scheduler's IANA time zone: the local day and month a moment counts
 * towards, and when the next one begins. Local midnight is found by croner (the scheduler's cron
 * library), so a DST change (a 23- or 25-hour day, or a zone whose clocks skip midnight itself)
 * moves the rollover with the wall clock.
 */
import { Cron } from 'croner';

export type Period = 'day' | 'month';
export type PeriodKeys = { readonly day: string; readonly month: string };

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (f === undefined) {
    // en-CA formats dates as YYYY-MM-DD.
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    formatters.set(timezone, f);
  }
  return f;
}

export function periodKeys(at: number, timezone: string): PeriodKeys {
  const parts = formatter(timezone).formatToParts(new Date(at));
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  const month = `${get('year')}-${get('month')}`;
  return { day: `${month}-${get('day')}`, month };
}

/** The first moment after `at` that belongs to the next local day (or month). */
export function nextRollover(at: number, timezone: string, period: Period): number {
  const cron = new Cron(period === 'day' ? '0 0 * * *' : '0 0 1 * *', { timezone, paused: true });
  const next = cron.nextRun(new Date(at));
  if (next === null) throw new Error(`no next ${period} in ${timezone}`);
  return next.getTime();
}

/** "today" / "this month", as the chat and status say it. */
export function periodWord(period: Period): string {
  return period === 'day' ? 'today' : 'this month';
}
