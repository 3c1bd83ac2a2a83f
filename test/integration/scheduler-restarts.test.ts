/**
 * SPEC §9: "a task never runs twice — not across restarts either", and missed runs follow the
 * policy and are recorded as `missed`. A real daemon is restarted 20 times — graceful stops and
 * kill -9, some while a task run is in progress, some while tasks fall due — then its database and
 * every session's event log are read directly:
 *   - no occurrence of a task ran twice (run rows, and the prompts the agents actually received);
 *   - runs interrupted by a kill are `missed` at the next boot and not re-run;
 *   - with missed_runs = "skip", occurrences due while the daemon was down are `missed`, not run;
 *   - with missed_runs = "run-once", exactly the latest missed occurrence runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  makeHome,
  spawnForeground,
  testConfig,
  waitExit,
  waitFor,
  type TestHome,
} from '../helpers/harness.js';
import { api } from '../helpers/sessions.js';
import { promptsSent } from '../helpers/chaos.js';

type RunRow = {
  id: number;
  task_id: string;
  scheduled_for: number;
  due_at: number;
  attempt: number;
  status: string;
  started_at: number | null;
  error: string | null;
};
const RECOVERED = /^missed: the daemon was not running/;
type TaskRow = { id: string; prompt: string; status: string; next_run_at: number | null };

function config(policy: string): string {
  return testConfig(
    0,
    `[scheduler]\nmissed_runs = "${policy}"\ntimezone = "UTC"\n\n[limits]\nmax_concurrent_agents = 10\n`,
  );
}

async function newHome(policy: string): Promise<TestHome> {
  const h = makeHome();
  expect((await h.run(['init'])).code).toBe(0);
  h.writeConfig(config(policy));
  return h;
}

type Daemon = ReturnType<typeof spawnForeground> & { spawnAt: number; readyAt: number };

/** Starts the daemon in the foreground; ready when daemon.json names this process. */
async function boot(h: TestHome): Promise<Daemon> {
  const spawnAt = Date.now();
  const d = spawnForeground(h);
  const state = join(h.home, 'daemon.json');
  await waitFor(
    () => {
      if (d.child.exitCode !== null) throw new Error(`daemon exited at boot: ${d.stderr()}`);
      try {
        return (
          existsSync(state) &&
          (JSON.parse(readFileSync(state, 'utf8')) as { pid: number }).pid === d.child.pid
        );
      } catch {
        return false; // being written
      }
    },
    20_000,
    'daemon ready',
  );
  return { ...d, spawnAt, readyAt: Date.now() };
}

function withDb<T>(h: TestHome, fn: (db: Database.Database) => T, readonly = true): T {
  const db = new Database(join(h.home, 'agentforge.db'), { readonly, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
const runs = (h: TestHome): RunRow[] =>
  withDb(h, (db) => db.prepare('SELECT * FROM task_runs ORDER BY id').all() as RunRow[]);

/**
 * The tasks belong to a registered group, which has one session that runs them one at a time.
 * (A task of the unregistered "cli" folder starts a fresh session for every run instead.)
 */
async function addGroup(h: TestHome): Promise<void> {
  const r = await api(h, 'POST', '/api/groups', { chat: '-1001', folder: 'team' });
  expect(r.status, r.body).toBe(201);
}

async function addTask(h: TestHome, body: Record<string, unknown>): Promise<TaskRow> {
  const r = await api(h, 'POST', '/api/tasks', { group: 'team', ...body });
  expect(r.status, r.body).toBe(201);
  return r.json() as TaskRow;
}

/** The invariants that must hold whatever happened: nothing ran twice. */
function assertNeverTwice(h: TestHome, tasks: readonly TaskRow[]): { byTask: Map<string, RunRow[]> } {
  const all = runs(h);
  const byTask = new Map<string, RunRow[]>();
  for (const r of all) byTask.set(r.task_id, [...(byTask.get(r.task_id) ?? []), r]);
  const sent = promptsSent(h.home);
  for (const t of tasks) {
    const rows = byTask.get(t.id) ?? [];
    const occurrences = new Map<number, RunRow[]>();
    for (const r of rows) occurrences.set(r.scheduled_for, [...(occurrences.get(r.scheduled_for) ?? []), r]);
    for (const [at, rs] of occurrences) {
      const what = `${t.id} occurrence ${new Date(at).toISOString()}: ${JSON.stringify(rs)}`;
      // One attempt row per attempt; at most one attempt succeeded or is in flight.
      expect(new Set(rs.map((r) => r.attempt)).size, what).toBe(rs.length);
      expect(
        rs.filter((r) => ['ok', 'running', 'claimed'].includes(r.status)).length,
        what,
      ).toBeLessThanOrEqual(1);
      expect(
        rs.filter((r) => r.status !== 'missed' && r.status !== 'pending').length,
        what,
      ).toBeLessThanOrEqual(3);
    }
    // What the agents received: never more prompts than runs that were started.
    const started = rows.filter((r) => r.started_at !== null).length;
    expect(sent.get(t.prompt) ?? 0, `prompts of ${t.id}`).toBeLessThanOrEqual(started);
  }
  // A run found in flight at boot is missed, never re-run; none is left in flight after a clean stop.
  for (const r of all) {
    if (r.status === 'missed' && r.started_at !== null)
      expect(r.error, JSON.stringify(r)).toMatch(/^interrupted/);
  }
  expect(all.filter((r) => r.status === 'running' || r.status === 'claimed')).toEqual([]);
  return { byTask };
}

describe('scheduler across restarts', () => {
  it.concurrent(
    '20 restarts (graceful and kill -9) around due times: no run executes twice; missed runs follow "skip"',
    async () => {
      const h = await newHome('skip');
      try {
        let d = await boot(h);
        h.track(d.child.pid!);
        await addGroup(h);

        // Once tasks due every 450 ms over the next ~40 s, and an interval task for run-now.
        const first = Date.now() + 1500;
        const onces = await Promise.all(
          Array.from({ length: 90 }, async (_, i) => {
            const due = first + i * 450;
            const t = await addTask(h, {
              prompt: `sleep 300 once-${i}`,
              schedule_type: 'once',
              schedule_value: new Date(due).toISOString(),
            });
            return { ...t, due };
          }),
        );
        const iv = await addTask(h, {
          prompt: 'sleep 300 every-minute',
          schedule_type: 'interval',
          schedule_value: '1m',
        });

        const up: Array<{ from: number; to: number }> = [];
        const down: Array<{ from: number; to: number }> = [];
        let interruptedByUs = 0;
        let seed = 12345;
        const rand = (lo: number, hi: number) => {
          seed = (seed * 1103515245 + 12345) % 2 ** 31;
          return lo + (seed % (hi - lo + 1));
        };
        const inFlight = () =>
          withDb(
            h,
            (db) =>
              db.prepare("SELECT COUNT(*) AS n FROM task_runs WHERE status = 'running'").get() as {
                n: number;
              },
          ).n;

        for (let round = 1; round <= 20; round++) {
          const kill = round % 2 === 1; // the last stop (round 20) is graceful
          if (round === 3) {
            const r = await h.run(['task', 'run-now', iv.id, '-o', 'json']); // the CLI path once
            expect(r.code, r.stderr).toBe(0);
          }
          await sleep(rand(50, 450));
          if (kill) {
            // Make sure a run is in progress when the daemon dies.
            if (inFlight() === 0)
              expect((await api(h, 'POST', `/api/tasks/${iv.id}/run-now`)).status).toBe(202);
            await waitFor(() => inFlight() > 0, 5_000, 'a run in progress');
            interruptedByUs++;
            await sleep(rand(0, 250));
          }
          const stopAt = Date.now();
          up.push({ from: d.readyAt, to: stopAt });
          if (kill) d.child.kill('SIGKILL');
          else if (round === 2 || round === 12) expect((await h.run(['daemon', 'stop'])).code).toBe(0);
          else d.child.kill('SIGTERM');
          const exit = await waitExit(d.child, 15_000).catch((err: Error) => {
            const log = readFileSync(join(h.home, 'logs/agentforge.log'), 'utf8')
              .split('\n')
              .slice(-40)
              .join('\n');
            throw new Error(
              `round ${round} (${kill ? 'kill' : 'graceful'}): ${err.message}\n${d.stderr()}\n${log}`,
            );
          });
          expect(kill ? exit.signal : exit.code, d.stderr()).toBe(kill ? 'SIGKILL' : 0);
          const exitAt = Date.now();
          if (round === 20) break;

          // Down for a while; every third time until the next once task has fallen due.
          if (round % 3 === 0) {
            const next = onces.find((t) => t.due > exitAt + 50);
            if (next !== undefined) await sleep(next.due - Date.now() + 100);
          } else await sleep(rand(0, 300));
          if (round === 19) {
            // Down "for 3.5 minutes" as far as the interval task is concerned: its next four
            // occurrences fall in the downtime.
            withDb(
              h,
              (db) =>
                db.prepare('UPDATE tasks SET next_run_at = ? WHERE id = ?').run(Date.now() - 210_000, iv.id),
              false,
            );
          }
          const spawnAt = Date.now();
          down.push({ from: exitAt, to: spawnAt });
          d = await boot(h);
          h.track(d.child.pid!);
        }
        expect(up).toHaveLength(20);
        expect(down).toHaveLength(19);

        const { byTask } = assertNeverTwice(h, [...onces, iv]);
        const sent = promptsSent(h.home);
        const all = runs(h);
        // Every kill hit a run in flight; those runs are missed (interrupted), not re-run.
        const interrupted = all.filter((r) => r.status === 'missed' && /^interrupted/.test(r.error ?? ''));
        expect(interrupted.length).toBeGreaterThanOrEqual(interruptedByUs);
        expect(all.filter((r) => r.status === 'ok').length).toBeGreaterThan(5);

        let dueWhileDown = 0;
        let dueWhileUp = 0;
        const afterEnd = up.at(-1)!.to;
        for (const t of onces) {
          const rows = byTask.get(t.id) ?? [];
          if (down.some((w) => t.due >= w.from && t.due <= w.to)) {
            // skip: recorded missed at the next boot, never executed.
            dueWhileDown++;
            expect(rows, t.id).toMatchObject([
              {
                scheduled_for: t.due,
                status: 'missed',
                started_at: null,
                error: expect.stringMatching(RECOVERED),
              },
            ]);
            expect(sent.get(t.prompt) ?? 0).toBe(0);
          } else if (rows.length > 0 && !RECOVERED.test(rows[0]!.error ?? '')) {
            // Claimed by the running scheduler: at or after its time, never early; run (or
            // interrupted by a kill) once.
            dueWhileUp++;
            expect(rows[0]).toMatchObject({ scheduled_for: t.due, attempt: 1 });
            expect(rows[0]!.due_at).toBeGreaterThanOrEqual(t.due);
            expect(rows[0]!.started_at, JSON.stringify(rows)).not.toBeNull();
            expect(sent.get(t.prompt) ?? 0).toBeLessThanOrEqual(1);
          } else if (rows.length > 0) {
            // Recovered as missed at a boot: it was not due during a (comfortably) live period.
            expect(rows, t.id).toMatchObject([{ scheduled_for: t.due, status: 'missed', started_at: null }]);
            expect(
              up.some((w) => t.due >= w.from && t.due <= w.to - 1500),
              t.id,
            ).toBe(false);
            expect(sent.get(t.prompt) ?? 0).toBe(0);
          } else if (t.due > afterEnd + 100) {
            expect(rows, t.id).toEqual([]);
          }
        }
        expect(dueWhileDown).toBeGreaterThanOrEqual(5);
        expect(dueWhileUp).toBeGreaterThanOrEqual(5);

        // The interval task's four occurrences from the last downtime: missed, none run (skip).
        const ivRows = byTask.get(iv.id) ?? [];
        const recovered = ivRows.filter((r) => RECOVERED.test(r.error ?? ''));
        expect(recovered).toHaveLength(4);
        expect(recovered.every((r) => r.started_at === null)).toBe(true);
        const steps = recovered.map((r) => r.scheduled_for - recovered[0]!.scheduled_for);
        expect(steps).toEqual([0, 60_000, 120_000, 180_000]);
        const ivTask = withDb(
          h,
          (db) => db.prepare('SELECT * FROM tasks WHERE id = ?').get(iv.id) as TaskRow,
        );
        expect(ivTask.next_run_at).toBe(recovered[0]!.scheduled_for + 240_000);
      } finally {
        await h.cleanup();
      }
    },
    60_000,
  );

  it.concurrent(
    'missed_runs = "run-once": of the occurrences due while down, exactly the latest runs',
    async () => {
      const h = await newHome('run-once');
      try {
        let d = await boot(h);
        h.track(d.child.pid!);
        await addGroup(h);
        const iv = await addTask(h, {
          prompt: 'echo interval ran',
          schedule_type: 'interval',
          schedule_value: '1m',
        });
        const dueAt = Date.now() + 1500;
        const once = await addTask(h, {
          prompt: 'echo once ran',
          schedule_type: 'once',
          schedule_value: new Date(dueAt).toISOString(),
        });
        d.child.kill('SIGTERM');
        expect((await waitExit(d.child)).code).toBe(0);

        // While down: the interval task missed 4 occurrences, the once task its only one.
        const first = Date.now() - 210_000;
        withDb(
          h,
          (db) => db.prepare('UPDATE tasks SET next_run_at = ? WHERE id = ?').run(first, iv.id),
          false,
        );
        await sleep(Math.max(0, dueAt - Date.now() + 100));

        d = await boot(h);
        h.track(d.child.pid!);
        await waitFor(
          () => runs(h).filter((r) => r.status === 'ok').length === 2,
          15_000,
          'both make-up runs',
        );
        d.child.kill('SIGTERM');
        expect((await waitExit(d.child)).code).toBe(0);

        const all = runs(h);
        const ivRuns = all.filter((r) => r.task_id === iv.id).map((r) => [r.scheduled_for - first, r.status]);
        expect(ivRuns).toEqual([
          [0, 'missed'],
          [60_000, 'missed'],
          [120_000, 'missed'],
          [180_000, 'ok'],
        ]);
        expect(all.filter((r) => r.task_id === once.id).map((r) => [r.scheduled_for, r.status])).toEqual([
          [dueAt, 'ok'],
        ]);
        const sent = promptsSent(h.home);
        expect(sent.get('echo interval ran')).toBe(1);
        expect(sent.get('echo once ran')).toBe(1);
        assertNeverTwice(h, [iv, once]);
        const t = withDb(h, (db) => db.prepare('SELECT * FROM tasks WHERE id = ?').get(iv.id) as TaskRow);
        expect(t.next_run_at).toBe(first + 240_000);
      } finally {
        await h.cleanup();
      }
    },
    40_000,
  );
});
