/**
 * The scheduler against a real SQLite file migrated like the daemon's, with a TaskPort that records
 * what it is asked to run. Time is vitest's fake clock (setTimeout and Date only), so "nothing
 * fires before it is due" is checked to the millisecond without waiting.
 */
import { Failure, type FailureKind } from '../failures.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Db } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { GLOBAL_MIGRATIONS } from '../store/migrations/index.js';
import { TasksRepo, type NewTask, type RunRow, type TaskRow } from '../store/tasks-repo.js';
import { MAX_RUN_ATTEMPTS, Scheduler, type MissedRunPolicy, type TaskPort } from './scheduler.js';

const T0 = Date.parse('2026-06-01T08:20:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const silent = pino({ level: 'silent' });

let dir: string;
let path: string;
let db: Db;
let repo: TasksRepo;
const opened: Db[] = [];
const schedulers: Scheduler[] = [];

beforeEach(() => {
  vi.useFakeTimers({ now: T0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  dir = mkdtempSync(join(tmpdir(), 'af-sched-'));
  path = join(dir, 'agentforge.db');
  db = open();
  migrate(db, GLOBAL_MIGRATIONS, 'test');
  repo = new TasksRepo(db);
});

afterEach(() => {
  for (const s of schedulers.splice(0)) s.stop();
  vi.useRealTimers();
  for (const d of opened.splice(0)) d.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(readonly = false): Db {
  const d = openDatabase(path, { readonly });
  opened.push(d);
  return d;
}

let seq = 0;
function addTask(t: Partial<NewTask> & { next_run_at: number | null }): TaskRow {
  seq++;
  return repo.add({
    id: `t-${String(seq).padStart(8, '0')}`,
    group_folder: 'team',
    prompt: `echo task ${seq}`,
    schedule_type: 'once',
    schedule_value: new Date(t.next_run_at ?? T0).toISOString(),
    timezone: 'UTC',
    context_mode: 'group',
    created_by: 'test',
    created_at: T0 - 10 * HOUR,
    ...t,
  });
}

type Recorder = TaskPort & {
  calls: Array<{ task: TaskRow; at: number }>;
  delivered: Array<{ task: string; text: string }>;
};

/** A port whose run answers with `reply` (a function may throw or hang), recording every call. */
function recorder(
  reply: (task: TaskRow, n: number) => Promise<string> = (t) => Promise.resolve(`did ${t.id}`),
): Recorder {
  const r: Recorder = {
    calls: [],
    delivered: [],
    run: (task) => {
      r.calls.push({ task, at: Date.now() });
      return reply(task, r.calls.length);
    },
    deliver: (task, text) => r.delivered.push({ task: task.id, text }),
  };
  return r;
}

function scheduler(
  port: TaskPort,
  opts: { policy?: MissedRunPolicy; window?: number; retryBaseMs?: number; repo?: TasksRepo } = {},
): Scheduler {
  const s = new Scheduler({
    repo: opts.repo ?? repo,
    port,
    policy: opts.policy ?? 'run-once',
    catchUpWindowMs: opts.window ?? 6 * HOUR,
    log: silent,
    retryBaseMs: opts.retryBaseMs ?? 1000,
  });
  schedulers.push(s);
  return s;
}

const runsOf = (taskId: string): RunRow[] => repo.runs(taskId, 1000).reverse();
const allRuns = (): RunRow[] => db.prepare('SELECT * FROM task_runs ORDER BY id').all() as RunRow[];
const task = (id: string): TaskRow => repo.get(id) as TaskRow;
const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

describe('one timer, armed for the earliest due time', () => {
  it('100 scheduled tasks on an idle daemon: no timer fires before the next due time', async () => {
    // Due times spread over the next ~2.7 hours, created in shuffled order.
    const dues = Array.from({ length: 100 }, (_, i) => T0 + 7 * MIN + 13_000 + ((i * 37) % 100) * 97_000);
    dues.forEach((due, i) =>
      addTask(
        i % 2 === 0
          ? { next_run_at: due }
          : { next_run_at: due, schedule_type: 'interval', schedule_value: '4h' },
      ),
    );
    const sorted = [...dues].sort((a, b) => a - b);
    const port = recorder();
    const s = scheduler(port);

    expect(s.start()).toEqual({ interrupted: 0, missed: 0, queued: 0 });
    expect(vi.getTimerCount()).toBe(1);
    expect(s.armedFor).toBe(sorted[0]);

    await vi.advanceTimersByTimeAsync(sorted[0]! - T0 - 1);
    expect(port.calls).toHaveLength(0);
    expect(allRuns()).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(1);
    expect(s.armedFor).toBe(sorted[0]);

    await vi.advanceTimersByTimeAsync(1);
    expect(port.calls.map((c) => c.task.next_run_at)).toEqual([sorted[0]]);
    expect(port.calls[0]!.at).toBe(sorted[0]);
    // Re-armed for the next one, still a single timer.
    expect(vi.getTimerCount()).toBe(1);
    expect(s.armedFor).toBe(sorted[1]);

    // Through all of them: each runs once, at its own time, never early.
    await vi.advanceTimersByTimeAsync(sorted[99]! - Date.now());
    expect(port.calls).toHaveLength(100);
    port.calls.forEach((c, i) => expect(c.at).toBe(sorted[i]));
    expect(allRuns().every((r) => r.status === 'ok' && r.attempt === 1)).toBe(true);
    // The interval tasks come round again 4 h after their first due time; the once tasks are done.
    expect(s.armedFor).toBe(sorted.filter((d) => dues.indexOf(d) % 2 === 1)[0]! + 4 * HOUR);
    expect(vi.getTimerCount()).toBe(1);
  });

  it('a due time beyond the longest setTimeout is reached in steps without running early', async () => {
    const due = T0 + 40 * 24 * HOUR;
    const t = addTask({ next_run_at: due });
    const port = recorder();
    const s = scheduler(port);
    s.start();
    expect(s.armedFor).toBe(due);
    await vi.advanceTimersByTimeAsync(2 ** 31 - 1); // the capped timer fires: nothing is due yet
    expect(port.calls).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(1);
    expect(s.armedFor).toBe(due);
    await vi.advanceTimersByTimeAsync(due - Date.now() - 1);
    expect(port.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(port.calls.map((c) => c.task.id)).toEqual([t.id]);
  });

  it('re-arms when tasks change, and stop() leaves no timer behind', () => {
    const later = addTask({ next_run_at: T0 + 2 * HOUR });
    const s = scheduler(recorder());
    s.start();
    expect(s.armedFor).toBe(T0 + 2 * HOUR);
    const sooner = addTask({ next_run_at: T0 + 5 * MIN });
    s.changed();
    expect(s.armedFor).toBe(T0 + 5 * MIN);
    expect(vi.getTimerCount()).toBe(1);
    repo.update(sooner.id, { status: 'paused' }, T0);
    s.changed();
    expect(s.armedFor).toBe(T0 + 2 * HOUR);
    repo.update(later.id, { status: 'cancelled', next_run_at: null }, T0);
    s.changed();
    expect(s.armedFor).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    addTask({ next_run_at: T0 + HOUR });
    s.changed();
    expect(vi.getTimerCount()).toBe(1);
    s.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(s.armedFor).toBeUndefined();
    s.changed(); // after stop: stays disarmed
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('durable claims', () => {
  it('the run row and the advanced next_run_at are committed before the port runs the task', async () => {
    const iv = addTask({ next_run_at: T0 + 1000, schedule_type: 'interval', schedule_value: '1h' });
    const once = addTask({ next_run_at: T0 + 1000 });
    const reader = open(true); // another connection: sees only what is committed
    const seen: Array<{ task: TaskRow; runs: RunRow[] }> = [];
    const port = recorder((t) => {
      seen.push({
        task: reader.prepare('SELECT * FROM tasks WHERE id = ?').get(t.id) as TaskRow,
        runs: reader.prepare('SELECT * FROM task_runs WHERE task_id = ?').all(t.id) as RunRow[],
      });
      return Promise.resolve(`reply of ${t.id}`);
    });
    scheduler(port).start();
    await vi.advanceTimersByTimeAsync(1000);

    expect(seen).toHaveLength(2);
    const [a, b] = seen;
    expect(a!.task).toMatchObject({ id: iv.id, status: 'active', next_run_at: T0 + 1000 + HOUR });
    expect(a!.runs).toMatchObject([
      { status: 'running', attempt: 1, scheduled_for: T0 + 1000, started_at: T0 + 1000 },
    ]);
    expect(b!.task).toMatchObject({ id: once.id, status: 'done', next_run_at: null });
    expect(b!.runs).toMatchObject([{ status: 'running', scheduled_for: T0 + 1000 }]);

    // Finished: recorded ok with the excerpt, delivered once each.
    expect(runsOf(iv.id)).toMatchObject([
      { status: 'ok', result_excerpt: `reply of ${iv.id}`, finished_at: T0 + 1000, duration_ms: 0 },
    ]);
    expect(port.delivered).toEqual([
      { task: iv.id, text: `reply of ${iv.id}` },
      { task: once.id, text: `reply of ${once.id}` },
    ]);
  });

  it('a blank reply is recorded but not delivered', async () => {
    const t = addTask({ next_run_at: T0 + 10 });
    const port = recorder(() => Promise.resolve('  \n'));
    scheduler(port).start();
    await vi.advanceTimersByTimeAsync(10);
    expect(runsOf(t.id)).toMatchObject([{ status: 'ok' }]);
    expect(port.delivered).toEqual([]);
  });

  it('a run in progress when the daemon dies is recorded missed at the next start and never re-run', async () => {
    const t = addTask({ next_run_at: T0 + 1000, schedule_type: 'interval', schedule_value: '1h' });
    const hung = recorder(() => new Promise<string>(() => undefined));
    const first = scheduler(hung);
    first.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(hung.calls).toHaveLength(1);
    expect(runsOf(t.id)).toMatchObject([{ status: 'running', scheduled_for: T0 + 1000 }]);
    first.stop(); // the process is gone: nothing more happens in it

    // A new daemon on the same file.
    await vi.advanceTimersByTimeAsync(5 * MIN);
    const db2 = open();
    const repo2 = new TasksRepo(db2);
    const port = recorder();
    const second = scheduler(port, { repo: repo2, policy: 'catch-up' });
    expect(second.start()).toEqual({ interrupted: 1, missed: 0, queued: 0 });
    expect(runsOf(t.id)).toMatchObject([
      { status: 'missed', scheduled_for: T0 + 1000, error: expect.stringMatching(/^interrupted/) },
    ]);
    expect(second.armedFor).toBe(T0 + 1000 + HOUR);
    await vi.advanceTimersByTimeAsync(T0 + 1000 + HOUR - Date.now() - 1);
    expect(port.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(port.calls).toHaveLength(1);
    expect(runsOf(t.id).map((r) => [r.scheduled_for - T0, r.status])).toEqual([
      [1000, 'missed'],
      [1000 + HOUR, 'ok'],
    ]);
  });
});

describe('recovery at start', () => {
  it('runs found claimed or running become missed and are not re-run', async () => {
    const t = addTask({ next_run_at: T0 + HOUR, schedule_type: 'interval', schedule_value: '1h' });
    repo.insertRun({
      taskId: t.id,
      scheduledFor: T0 - HOUR,
      dueAt: T0 - HOUR,
      attempt: 1,
      status: 'running',
    });
    repo.insertRun({ taskId: t.id, scheduledFor: T0 - 2 * HOUR, dueAt: T0, attempt: 2, status: 'claimed' });
    repo.insertRun({ taskId: t.id, scheduledFor: T0 - 3 * HOUR, dueAt: T0, attempt: 1, status: 'ok' });
    const port = recorder();
    const s = scheduler(port, { policy: 'catch-up' });
    expect(s.start()).toEqual({ interrupted: 2, missed: 0, queued: 0 });
    expect(runsOf(t.id).map((r) => [r.scheduled_for - T0, r.status])).toEqual([
      [-HOUR, 'missed'],
      [-2 * HOUR, 'missed'],
      [-3 * HOUR, 'ok'],
    ]);
    expect(runsOf(t.id)[0]).toMatchObject({ finished_at: T0, error: expect.stringContaining('not re-run') });
    await vi.advanceTimersByTimeAsync(HOUR - 1);
    expect(port.calls).toHaveLength(0);
    expect(task(t.id).next_run_at).toBe(T0 + HOUR);
  });

  /** Tasks that fell due while the daemon was down (now = 08:20Z). */
  function seedDowntime() {
    const t = {
      // due 04:50, 05:50, 06:50, 07:50
      iv: addTask({ next_run_at: T0 - 3.5 * HOUR, schedule_type: 'interval', schedule_value: '1h' }),
      once: addTask({ next_run_at: T0 - 10 * MIN }),
      // due 05:00, 06:00, 07:00, 08:00
      cron: addTask({
        next_run_at: Date.parse('2026-06-01T05:00:00Z'),
        schedule_type: 'cron',
        schedule_value: '0 * * * *',
      }),
      paused: addTask({
        next_run_at: T0 - 2 * HOUR,
        schedule_type: 'interval',
        schedule_value: '1h',
      }),
      future: addTask({ next_run_at: T0 + 30 * MIN, schedule_type: 'interval', schedule_value: '1h' }),
    };
    repo.update(t.paused.id, { status: 'paused' }, T0 - 3 * HOUR);
    return t;
  }
  const hours = (id: string, status?: string) =>
    runsOf(id)
      .filter((r) => status === undefined || r.status === status)
      .map((r) => iso(r.scheduled_for)!.slice(11, 16));

  it('skip: every occurrence due while down is recorded missed; nothing runs; the schedule resumes', async () => {
    const t = seedDowntime();
    const port = recorder();
    const s = scheduler(port, { policy: 'skip' });
    expect(s.start()).toEqual({ interrupted: 0, missed: 9, queued: 0 });
    await vi.advanceTimersByTimeAsync(1);
    expect(port.calls).toHaveLength(0);

    expect(hours(t.iv.id, 'missed')).toEqual(['04:50', '05:50', '06:50', '07:50']);
    expect(hours(t.once.id, 'missed')).toEqual(['08:10']);
    expect(hours(t.cron.id, 'missed')).toEqual(['05:00', '06:00', '07:00', '08:00']);
    expect(runsOf(t.iv.id)[0]!.error).toMatch(/not running when it was due/);
    expect(allRuns().every((r) => r.status === 'missed')).toBe(true);
    expect(runsOf(t.paused.id)).toEqual([]);
    expect(runsOf(t.future.id)).toEqual([]);

    expect(iso(task(t.iv.id).next_run_at)).toBe('2026-06-01T08:50:00.000Z');
    expect(task(t.once.id)).toMatchObject({ status: 'done', next_run_at: null });
    expect(iso(task(t.cron.id).next_run_at)).toBe('2026-06-01T09:00:00.000Z');
    expect(task(t.paused.id)).toMatchObject({ status: 'paused', next_run_at: T0 - 2 * HOUR });
    expect(s.armedFor).toBe(T0 + 30 * MIN);
  });

  it('run-once: only the latest occurrence of each task runs; the rest are missed', async () => {
    const t = seedDowntime();
    const port = recorder();
    const s = scheduler(port, { policy: 'run-once' });
    expect(s.start()).toEqual({ interrupted: 0, missed: 6, queued: 3 });
    await vi.advanceTimersByTimeAsync(0);
    expect(port.calls.map((c) => c.task.id).sort()).toEqual([t.iv.id, t.once.id, t.cron.id].sort());
    expect(hours(t.iv.id, 'ok')).toEqual(['07:50']);
    expect(hours(t.iv.id, 'missed')).toEqual(['04:50', '05:50', '06:50']);
    expect(hours(t.once.id, 'ok')).toEqual(['08:10']);
    expect(hours(t.cron.id, 'ok')).toEqual(['08:00']);
    expect(hours(t.cron.id, 'missed')).toEqual(['05:00', '06:00', '07:00']);
    expect(runsOf(t.paused.id)).toEqual([]);
    // The schedule continues on its grid; nothing else runs until then.
    expect(iso(task(t.iv.id).next_run_at)).toBe('2026-06-01T08:50:00.000Z');
    await vi.advanceTimersByTimeAsync(30 * MIN - 1);
    expect(port.calls).toHaveLength(3);
  });

  it('catch-up: occurrences inside the window run (oldest first); older ones are missed', async () => {
    const t = seedDowntime();
    const port = recorder();
    const s = scheduler(port, { policy: 'catch-up', window: 2 * HOUR }); // since 06:20
    expect(s.start()).toEqual({ interrupted: 0, missed: 4, queued: 5 });
    await vi.advanceTimersByTimeAsync(0);
    expect(port.calls).toHaveLength(5);
    expect(hours(t.iv.id, 'ok')).toEqual(['06:50', '07:50']);
    expect(hours(t.iv.id, 'missed')).toEqual(['04:50', '05:50']);
    expect(hours(t.once.id, 'ok')).toEqual(['08:10']);
    expect(hours(t.cron.id, 'ok')).toEqual(['07:00', '08:00']);
    expect(hours(t.cron.id, 'missed')).toEqual(['05:00', '06:00']);
  });

  it('after a long outage, run-once runs the most recent occurrence, not an old one', async () => {
    // A 1-minute task, down for 500 minutes.
    const t = addTask({ next_run_at: T0 - 500 * MIN, schedule_type: 'interval', schedule_value: '1m' });
    const port = recorder();
    scheduler(port, { policy: 'run-once' }).start();
    await vi.advanceTimersByTimeAsync(0);
    expect(port.calls).toHaveLength(1);
    const ok = runsOf(t.id).filter((r) => r.status === 'ok');
    expect(ok.map((r) => r.scheduled_for)).toEqual([T0]);
    expect(task(t.id).next_run_at).toBe(T0 + MIN);
  });

  it('after a long outage, catch-up still runs what is inside its window', async () => {
    // A 10-minute task down for 30 hours (180 occurrences); the window is the last hour.
    const t = addTask({ next_run_at: T0 - 30 * HOUR, schedule_type: 'interval', schedule_value: '10m' });
    const port = recorder();
    scheduler(port, { policy: 'catch-up', window: HOUR }).start();
    await vi.advanceTimersByTimeAsync(0);
    const ok = runsOf(t.id).filter((r) => r.status === 'ok');
    expect(ok.map((r) => (r.scheduled_for - T0) / MIN)).toEqual([-60, -50, -40, -30, -20, -10, 0]);
    expect(port.calls).toHaveLength(7);
  });
});

describe('failed runs', () => {
  const failing = (kind: FailureKind) => () => Promise.reject(new Failure(kind, `agent ${kind}`));

  it(`are retried with exponential backoff, ${MAX_RUN_ATTEMPTS} attempts in all`, async () => {
    expect(MAX_RUN_ATTEMPTS).toBe(3);
    const t = addTask({ next_run_at: T0 + 100 });
    const port = recorder(failing('exited'));
    const s = scheduler(port, { retryBaseMs: 1000 });
    s.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(port.calls.map((c) => c.at - T0)).toEqual([100]);
    expect(s.armedFor).toBe(T0 + 1100);

    await vi.advanceTimersByTimeAsync(999);
    expect(port.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(port.calls.map((c) => c.at - T0)).toEqual([100, 1100]);
    expect(s.armedFor).toBe(T0 + 3100); // 2 × the base after the second failure

    await vi.advanceTimersByTimeAsync(1999);
    expect(port.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(port.calls.map((c) => c.at - T0)).toEqual([100, 1100, 3100]);

    // No fourth attempt, no timer left.
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(port.calls).toHaveLength(3);
    expect(s.armedFor).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    expect(runsOf(t.id)).toMatchObject([
      { attempt: 1, status: 'failed', scheduled_for: T0 + 100, error_kind: 'exited', error: 'agent exited' },
      { attempt: 2, status: 'failed', scheduled_for: T0 + 100, due_at: T0 + 1100 },
      { attempt: 3, status: 'failed', scheduled_for: T0 + 100, due_at: T0 + 3100 },
    ]);
    expect(port.delivered).toEqual([]);
  });

  it('stop retrying once an attempt succeeds, and deliver that one', async () => {
    const t = addTask({ next_run_at: T0 + 100 });
    const port = recorder((task, n) => (n === 1 ? failing('timeout')() : Promise.resolve(`ok ${task.id}`)));
    scheduler(port).start();
    await vi.advanceTimersByTimeAsync(100 + 1000);
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(port.calls).toHaveLength(2);
    expect(runsOf(t.id).map((r) => [r.attempt, r.status])).toEqual([
      [1, 'failed'],
      [2, 'ok'],
    ]);
    expect(port.delivered).toEqual([{ task: t.id, text: `ok ${t.id}` }]);
  });

  it('a cancelled run is not retried', async () => {
    const t = addTask({ next_run_at: T0 + 100 });
    const port = recorder(failing('cancelled'));
    scheduler(port).start();
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(port.calls).toHaveLength(1);
    expect(runsOf(t.id)).toMatchObject([{ attempt: 1, status: 'failed', error_kind: 'cancelled' }]);
  });

  it('a retry whose task was cancelled meanwhile is recorded missed, not run', async () => {
    const t = addTask({ next_run_at: T0 + 100 });
    const port = recorder(failing('exited'));
    scheduler(port).start();
    await vi.advanceTimersByTimeAsync(100);
    repo.update(t.id, { status: 'cancelled', next_run_at: null }, Date.now());
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(port.calls).toHaveLength(1);
    expect(runsOf(t.id).map((r) => [r.attempt, r.status])).toEqual([
      [1, 'failed'],
      [2, 'missed'],
    ]);
  });
});

describe('run-now', () => {
  it('claims and runs an extra run now without moving the schedule', async () => {
    const t = addTask({ next_run_at: T0 + HOUR, schedule_type: 'interval', schedule_value: '1h' });
    const port = recorder();
    const s = scheduler(port);
    s.start();
    const runId = s.runNow(t.id);
    expect(repo.getRun(runId)).toMatchObject({ task_id: t.id, scheduled_for: T0, attempt: 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(port.calls).toHaveLength(1);
    expect(repo.getRun(runId)!.status).toBe('ok');
    expect(task(t.id).next_run_at).toBe(T0 + HOUR);
    expect(s.armedFor).toBe(T0 + HOUR);
    expect(() => s.runNow('t-nope')).toThrow(/no task t-nope/);
  });
});
