/**
 * SPEC §9: "a task never runs twice — not across restarts either", and missed runs follow the
 * policy. One restart of a real daemon with missed_runs = "run-once": of the occurrences due while
 * it was down, exactly the latest runs; its database and every session's event log are read
 * directly. The 20-restart loop (graceful stops and kill -9 around due times, "skip") is in the
 * chaos suite: test/chaos/scheduler-restarts.test.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { waitExit, waitFor } from '../helpers/harness.js';
import { promptsSent } from '../helpers/chaos.js';
import {
  addGroup,
  addTask,
  assertNeverTwice,
  boot,
  newHome,
  runs,
  withDb,
  type TaskRow,
} from '../helpers/scheduler-home.js';

describe('scheduler across restarts', () => {
  it('missed_runs = "run-once": of the occurrences due while down, exactly the latest runs', async () => {
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
      withDb(h, (db) => db.prepare('UPDATE tasks SET next_run_at = ? WHERE id = ?').run(first, iv.id), false);
      await sleep(Math.max(0, dueAt - Date.now() + 100));

      d = await boot(h);
      h.track(d.child.pid!);
      await waitFor(() => runs(h).filter((r) => r.status === 'ok').length === 2, 15_000, 'both make-up runs');
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
  }, 40_000);
});
