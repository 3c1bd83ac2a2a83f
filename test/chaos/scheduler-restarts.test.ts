/**
 * SPEC §9: "a task never runs twice — not across restarts either", and missed runs follow the
 * policy and are recorded as `missed`. A real daemon is restarted 20 times — graceful stops and
 * kill -9, some while a task run is in progress, some while tasks fall due — then its database and
 * every session's event log are read directly:
 *   - no occurrence of a task ran twice (run rows, and the prompts the agents actually received);
 *   - runs interrupted by a kill are `missed` at the next boot and not re-run;
 *   - with missed_runs = "skip", occurrences due while the daemon was down are `missed`, not run.
 * (The single-restart "run-once" case stays in npm test: test/integration/scheduler-restarts.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { waitExit, waitFor } from '../helpers/harness.js';
import { api } from '../helpers/sessions.js';
import { promptsSent } from '../helpers/chaos.js';
import {
  addGroup,
  addTask,
  assertNeverTwice,
  boot,
  newHome,
  RECOVERED,
  runs,
  withDb,
  type TaskRow,
} from '../helpers/scheduler-home.js';

describe('scheduler across restarts', () => {
  it('20 restarts (graceful and kill -9) around due times: no run executes twice; missed runs follow "skip"', async () => {
    const h = await newHome('skip');
    try {
      let d = await boot(h);
      h.track(d.child.pid!);
      await addGroup(h);

      // Once tasks due every 900 ms over the next ~80 s (the loop takes 20-75 s, more on a loaded
      // machine: tasks must still be falling due in its last downtimes), and an interval task for run-now.
      const first = Date.now() + 1500;
      const onces = await Promise.all(
        Array.from({ length: 90 }, async (_, i) => {
          const due = first + i * 900;
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
        if (round === 20) {
          // Before the last (graceful) stop, enough runs have finished for the checks below not to
          // be vacuous, however slowly agents start on a loaded machine: extra runs of the interval
          // task (run-now does not move its schedule) until more than 5 are ok.
          const ok = (): number => runs(h).filter((r) => r.status === 'ok').length;
          const busy = (): boolean => runs(h).some((r) => r.status === 'claimed' || r.status === 'running');
          await waitFor(
            async () => {
              if (ok() > 5) return true;
              if (!busy()) expect((await api(h, 'POST', `/api/tasks/${iv.id}/run-now`)).status).toBe(202);
              return false;
            },
            90_000,
            'more than 5 runs ok',
          );
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
      const ivTask = withDb(h, (db) => db.prepare('SELECT * FROM tasks WHERE id = ?').get(iv.id) as TaskRow);
      expect(ivTask.next_run_at).toBe(recovered[0]!.scheduled_for + 240_000);
    } finally {
      await h.cleanup();
    }
  }, 180_000); // generous: it shares two loaded cores with the other chaos files
});
