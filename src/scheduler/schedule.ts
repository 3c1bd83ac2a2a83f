/**
 * Schedules → the next run time. cron is 5 fields evaluated in an IANA time zone (croner does the
 * calendar and daylight-saving arithmetic), interval is a duration, once is an ISO instant.
 */
import { Cron } from 'croner';
import { parseDuration } from '../config/duration.js';

export type ScheduleType = 'cron' | 'interval' | 'once';
export type Schedule = {
  readonly type: ScheduleType;
  readonly value: string;
  /** An IANA zone; absent: the host's local time, without Intl (whose ICU data is ~6.5 MB of RSS). */
  readonly timezone?: string;
};

export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
}

export const MIN_INTERVAL_MS = 60_000;
/** Ten years: beyond that, next-run arithmetic leaves the range of a JavaScript Date. */
export const MAX_INTERVAL_MS = 3650 * 86_400_000;

/** Validates a schedule; throws ScheduleError with a message the agent or operator can act on. */
export function validateSchedule(s: Schedule, now: number): void {
  if (s.type === 'cron') {
    if (s.value.trim().split(/\s+/).length !== 5)
      throw new ScheduleError(
        `cron "${s.value}" must have 5 fields: minute hour day-of-month month day-of-week`,
      );
    let next: Date | null;
    try {
      next = cron(s).nextRun(new Date(now));
    } catch (err) {
      throw new ScheduleError(`cron "${s.value}" is invalid: ${(err as Error).message}`);
    }
    // Five fields have no year, so a pattern with no next run never fires (e.g. 30 February).
    if (next === null) throw new ScheduleError(`cron "${s.value}" never fires: no date matches it`);
    return;
  }
  if (s.type === 'interval') {
    const ms = parseDuration(s.value);
    if (ms === undefined)
      throw new ScheduleError(`interval "${s.value}" must be a duration like "30m" or "2h"`);
    if (ms < MIN_INTERVAL_MS)
      throw new ScheduleError(`interval "${s.value}" is shorter than the minimum of 1m`);
    if (ms > MAX_INTERVAL_MS)
      throw new ScheduleError(`interval "${s.value}" is longer than the maximum of 3650d`);
    return;
  }
  const at = Date.parse(s.value);
  if (Number.isNaN(at) || !/\d{4}-\d{2}-\d{2}T/.test(s.value))
    throw new ScheduleError(`once "${s.value}" must be an ISO time like 2026-12-01T09:00:00Z`);
  // Without Z or an offset the instant would depend on the daemon host's zone: say which one.
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(s.value.trim()))
    throw new ScheduleError(`once "${s.value}" needs a zone: end it with Z (UTC) or an offset like +01:00`);
}

function cron(s: Schedule): Cron {
  return new Cron(s.value, {
    ...(s.timezone === undefined ? {} : { timezone: s.timezone }),
    mode: '5-part',
    paused: true,
  });
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

/**
 * The latest `max` due times in [firstDue, to], oldest first (for missed-run accounting). The
 * latest, not the first: after a long outage the policy needs the most recent occurrences (the
 * one run-once makes up, the ones inside the catch-up window); older ones beyond `max` are not
 * listed. No forward walk over every occurrence, so a minutely task down for a month is cheap.
 */
export function latestDueTimes(s: Schedule, firstDue: number, to: number, max: number): number[] {
  if (firstDue > to || max < 1) return [];
  if (s.type === 'once') return [firstDue];
  if (s.type === 'interval') {
    const ms = parseDuration(s.value) as number;
    const last = Math.floor((to - firstDue) / ms);
    const times: number[] = [];
    for (let i = Math.max(0, last - max + 1); i <= last; i++) times.push(firstDue + i * ms);
    return times;
  }
  // croner walks backwards from just after `to` (previousRuns is strictly before its reference).
  const times = cron(s)
    .previousRuns(max, new Date(to + 1))
    .map((d) => d.getTime())
    .filter((t) => t >= firstDue)
    .reverse();
  return times.length > 0 ? times : [firstDue];
}
