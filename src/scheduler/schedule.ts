/**
 * Schedules → the next run time. cron is 5 fields evaluated in an IANA time zone (croner does the
 * calendar and daylight-saving arithmetic), interval is a duration, once is an ISO instant.
 */
import { Cron } from 'croner';
import { parseDuration } from '../config/duration.js';

export type ScheduleType = 'cron' | 'interval' | 'once';
export type Schedule = { readonly type: ScheduleType; readonly value: string; readonly timezone: string };

export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
}

export const MIN_INTERVAL_MS = 60_000;

/** Validates a schedule; throws ScheduleError with a message the agent or operator can act on. */
export function validateSchedule(s: Schedule, now: number): void {
  if (s.type === 'cron') {
    if (s.value.trim().split(/\s+/).length !== 5)
      throw new ScheduleError(
        `cron "${s.value}" must have 5 fields: minute hour day-of-month month day-of-week`,
      );
    try {
      cron(s).nextRun(new Date(now));
    } catch (err) {
      throw new ScheduleError(`cron "${s.value}" is invalid: ${(err as Error).message}`);
    }
    return;
  }
  if (s.type === 'interval') {
    const ms = parseDuration(s.value);
    if (ms === undefined)
      throw new ScheduleError(`interval "${s.value}" must be a duration like "30m" or "2h"`);
    if (ms < MIN_INTERVAL_MS)
      throw new ScheduleError(`interval "${s.value}" is shorter than the minimum of 1m`);
    return;
  }
  const at = Date.parse(s.value);
  if (Number.isNaN(at) || !/\d{4}-\d{2}-\d{2}T/.test(s.value))
    throw new ScheduleError(`once "${s.value}" must be an ISO time like 2026-12-01T09:00:00Z`);
}

function cron(s: Schedule): Cron {
  return new Cron(s.value, { timezone: s.timezone, mode: '5-part', paused: true });
}

/** The first run strictly after `after`, or null when the schedule has no more runs. */
export function nextRunAfter(s: Schedule, after: number, anchor?: number): number | null {
  if (s.type === 'cron') return cron(s).nextRun(new Date(after))?.getTime() ?? null;
  if (s.type === 'interval') {
    const ms = parseDuration(s.value) as number;
    // Anchored to the previous due time, so a late run does not drift the whole series.
    const base = anchor ?? after;
    const steps = Math.max(1, Math.floor((after - base) / ms) + 1);
    return base + steps * ms;
  }
  const at = Date.parse(s.value);
  return at > after ? at : null;
}

/** Due times in (from, to], at most `max` of them (for missed-run accounting). */
export function dueTimesBetween(
  s: Schedule,
  from: number,
  to: number,
  firstDue: number,
  max: number,
): number[] {
  const times: number[] = [];
  for (
    let t: number | null = firstDue;
    t !== null && t <= to && times.length < max;
    t = nextRunAfter(s, t, t)
  ) {
    if (t > from || times.length === 0) times.push(t);
    if (s.type === 'once') break;
  }
  return times;
}
