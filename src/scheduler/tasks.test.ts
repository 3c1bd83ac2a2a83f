/** TaskService on a real migrated SQLite file: validation, first due time, state changes. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { GLOBAL_MIGRATIONS } from '../store/migrations/index.js';
import { TasksRepo } from '../store/tasks-repo.js';
import { TaskError, TaskService } from './tasks.js';

const NOW = Date.parse('2026-06-01T08:20:00Z');
let dir: string;
let db: Db;
let repo: TasksRepo;
let changes: number;
let svc: TaskService;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'af-tasks-'));
  db = openDatabase(join(dir, 'agentforge.db'));
  migrate(db, GLOBAL_MIGRATIONS, 'test');
  repo = new TasksRepo(db);
  changes = 0;
  svc = new TaskService(repo, 'Europe/Berlin', () => changes++);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TaskError);
    return `${(err as TaskError).code}: ${(err as Error).message}`;
  }
  throw new Error('did not throw');
};

describe('TaskService', () => {
  it('create: computes the first due time in the default zone and tells the scheduler', () => {
    const t = svc.create(
      { group: 'team', prompt: 'echo hi', scheduleType: 'cron', scheduleValue: '0 9 * * *' },
      'operator',
      NOW,
    );
    expect(t).toMatchObject({
      group_folder: 'team',
      status: 'active',
      timezone: 'Europe/Berlin',
      context_mode: 'group',
      created_by: 'operator',
      next_run_at: Date.parse('2026-06-02T07:00:00Z'), // 09:00 CEST tomorrow (08:20Z is 10:20 local)
    });
    expect(t.id).toMatch(/^t-[0-9a-f]{8}$/);
    expect(changes).toBe(1);
    const utc = svc.create(
      { group: 'team', prompt: 'x', scheduleType: 'cron', scheduleValue: '0 9 * * *', timezone: 'UTC' },
      'operator',
      NOW,
    );
    expect(utc.next_run_at).toBe(Date.parse('2026-06-01T09:00:00Z'));
  });

  it('create: refuses invalid schedules and stores nothing', () => {
    const bad = (scheduleType: 'cron' | 'interval' | 'once', scheduleValue: string) =>
      code(() => svc.create({ group: 'team', prompt: 'x', scheduleType, scheduleValue }, 'op', NOW));
    expect(bad('cron', 'bad')).toMatch(/^invalid_schedule: cron "bad" must have 5 fields/);
    expect(bad('cron', '0 0 30 2 *')).toBe(
      'invalid_schedule: cron "0 0 30 2 *" never fires: no date matches it',
    );
    expect(bad('interval', '10s')).toMatch(/^invalid_schedule: .*minimum of 1m/);
    expect(bad('once', '2026-06-01T08:19:59Z')).toBe(
      'invalid_schedule: once "2026-06-01T08:19:59Z" is in the past',
    );
    expect(bad('once', 'soon')).toMatch(/^invalid_schedule: once "soon" must be an ISO time/);
    expect(repo.list()).toEqual([]);
    expect(changes).toBe(0);
  });

  it('update: a new schedule recomputes the next run; a bad one changes nothing', () => {
    const t = svc.create(
      { group: 'team', prompt: 'a', scheduleType: 'interval', scheduleValue: '1h' },
      'op',
      NOW,
    );
    const u = svc.update(t.id, { scheduleType: 'interval', scheduleValue: '30m', prompt: 'b' }, NOW + 1000);
    expect(u).toMatchObject({ prompt: 'b', schedule_value: '30m', next_run_at: NOW + 1000 + 30 * 60_000 });
    expect(code(() => svc.update(t.id, { scheduleType: 'cron', scheduleValue: 'bad' }, NOW))).toMatch(
      /^invalid_schedule/,
    );
    expect(
      code(() => svc.update(t.id, { scheduleType: 'once', scheduleValue: '2020-01-01T00:00:00Z' }, NOW)),
    ).toMatch(/is in the past/);
    expect(repo.get(t.id)).toMatchObject({ prompt: 'b', schedule_type: 'interval', schedule_value: '30m' });
    // Only the prompt: the schedule is untouched.
    expect(svc.update(t.id, { prompt: 'c' }, NOW + 5000).next_run_at).toBe(NOW + 1000 + 30 * 60_000);
  });

  it('update: a finished once task given a new time runs again', () => {
    const t = svc.create(
      { group: 'team', prompt: 'a', scheduleType: 'once', scheduleValue: '2026-06-01T09:00:00Z' },
      'op',
      NOW,
    );
    repo.update(t.id, { status: 'done', next_run_at: null }, NOW); // what the scheduler does after its run
    const u = svc.update(t.id, { scheduleValue: '2026-06-02T09:00:00Z' }, NOW);
    expect(u).toMatchObject({ status: 'active', next_run_at: Date.parse('2026-06-02T09:00:00Z') });
    expect(repo.nextDueAt()).toBe(Date.parse('2026-06-02T09:00:00Z'));
  });

  it('update: a paused task stays paused when its schedule changes', () => {
    const t = svc.create(
      { group: 'team', prompt: 'a', scheduleType: 'interval', scheduleValue: '1h' },
      'op',
      NOW,
    );
    svc.pause(t.id, NOW);
    expect(svc.update(t.id, { scheduleValue: '2h' }, NOW).status).toBe('paused');
  });

  it('pause / resume / cancel, with state errors', () => {
    const t = svc.create(
      { group: 'team', prompt: 'a', scheduleType: 'interval', scheduleValue: '1h' },
      'op',
      NOW,
    );
    expect(code(() => svc.resume(t.id, NOW))).toBe(`invalid_state: task ${t.id} is active, not paused`);
    expect(svc.pause(t.id, NOW).status).toBe('paused');
    expect(code(() => svc.pause(t.id, NOW))).toBe(`invalid_state: task ${t.id} is paused, not active`);
    // Resumed 5 h later: from now, runs missed while paused are not made up.
    const r = svc.resume(t.id, NOW + 5 * 3600_000);
    expect(r).toMatchObject({ status: 'active', next_run_at: NOW + 6 * 3600_000 });
    expect(svc.cancel(t.id, NOW).status).toBe('cancelled');
    expect(code(() => svc.get(t.id))).toMatch(/^task_not_found: no task /);
    expect(code(() => svc.cancel(t.id))).toMatch(/^task_not_found/);
    expect(repo.list()).toEqual([]);
  });

  it('resume of a once task whose time passed while paused finishes it', () => {
    const t = svc.create(
      { group: 'team', prompt: 'a', scheduleType: 'once', scheduleValue: '2026-06-01T09:00:00Z' },
      'op',
      NOW,
    );
    svc.pause(t.id, NOW);
    expect(svc.resume(t.id, Date.parse('2026-06-01T10:00:00Z'))).toMatchObject({
      status: 'done',
      next_run_at: null,
    });
  });
});

describe('TaskService.preview', () => {
  it('lists the next run times in the default zone and stores nothing', () => {
    const p = svc.preview({ scheduleType: 'cron', scheduleValue: '0 9 * * 1-5' }, 3, NOW);
    expect(p.timezone).toBe('Europe/Berlin');
    // 2026-06-01 is a Monday; 09:00 in Berlin is 07:00Z, already past at 08:20Z.
    expect(p.next.map((t) => new Date(t).toISOString())).toEqual([
      '2026-06-02T07:00:00.000Z',
      '2026-06-03T07:00:00.000Z',
      '2026-06-04T07:00:00.000Z',
    ]);
    expect(svc.preview({ scheduleType: 'interval', scheduleValue: '30m' }, 2, NOW).next).toEqual([
      NOW + 30 * 60_000,
      NOW + 60 * 60_000,
    ]);
    expect(
      svc.preview({ scheduleType: 'once', scheduleValue: '2026-07-01T00:00:00Z' }, 5, NOW).next,
    ).toHaveLength(1);
    expect(repo.list()).toEqual([]);
    expect(changes).toBe(0);
  });

  it('refuses what create would refuse, with the same message', () => {
    expect(() => svc.preview({ scheduleType: 'cron', scheduleValue: '0 9 * *' }, 5, NOW)).toThrow(
      /must have 5 fields/,
    );
    expect(() => svc.preview({ scheduleType: 'interval', scheduleValue: '10s' }, 5, NOW)).toThrow(TaskError);
  });
});
