/**
 * A daemon home for the scheduler's restart tests (test/integration/scheduler-restarts,
 * test/chaos/scheduler-restarts): a missed_runs policy, a foreground daemon that is ready when
 * daemon.json names it, tasks of a registered group, direct reads of task_runs, and the invariant
 * every restart test checks: no occurrence of a task ran twice.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { makeHome, spawnForeground, testConfig, waitFor, type TestHome } from './harness.js';
import { api } from './sessions.js';
import { promptsSent } from './chaos.js';

export type RunRow = {
  id: number;
  task_id: string;
  scheduled_for: number;
  due_at: number;
  attempt: number;
  status: string;
  started_at: number | null;
  error: string | null;
};
export const RECOVERED = /^missed: the daemon was not running/;
export type TaskRow = { id: string; prompt: string; status: string; next_run_at: number | null };

function config(policy: string): string {
  return testConfig(
    0,
    `[scheduler]\nmissed_runs = "${policy}"\ntimezone = "UTC"\n\n[limits]\nmax_concurrent_agents = 10\n`,
  );
}

export async function newHome(policy: string): Promise<TestHome> {
  const h = makeHome();
  expect((await h.run(['init'])).code).toBe(0);
  h.writeConfig(config(policy));
  return h;
}

export type Daemon = ReturnType<typeof spawnForeground> & { spawnAt: number; readyAt: number };

/** Starts the daemon in the foreground; ready when daemon.json names this process. */
export async function boot(h: TestHome): Promise<Daemon> {
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

export function withDb<T>(h: TestHome, fn: (db: Database.Database) => T, readonly = true): T {
  const db = new Database(join(h.home, 'agentforge.db'), { readonly, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
export const runs = (h: TestHome): RunRow[] =>
  withDb(h, (db) => db.prepare('SELECT * FROM task_runs ORDER BY id').all() as RunRow[]);

/**
 * The tasks belong to a registered group, which has one session that runs them one at a time.
 * (A task of the unregistered "cli" folder starts a fresh session for every run instead.)
 */
export async function addGroup(h: TestHome): Promise<void> {
  const r = await api(h, 'POST', '/api/groups', { chat: '-1001', folder: 'team' });
  expect(r.status, r.body).toBe(201);
}

export async function addTask(h: TestHome, body: Record<string, unknown>): Promise<TaskRow> {
  const r = await api(h, 'POST', '/api/tasks', { group: 'team', ...body });
  expect(r.status, r.body).toBe(201);
  return r.json() as TaskRow;
}

/** The invariants that must hold whatever happened: nothing ran twice. */
export function assertNeverTwice(h: TestHome, tasks: readonly TaskRow[]): { byTask: Map<string, RunRow[]> } {
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
