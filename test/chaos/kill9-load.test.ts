/**
 * kill -9 under load (SPEC §5 recovery, §7 "nothing is lost across a crash", §9 "a task never
 * runs twice"). One daemon with the fake Bot API takes a stream of direct messages from an allowed
 * user while scheduled tasks fall due — once tasks of the operator's CLI group and of a registered
 * group chat, whose results are delivered to that chat — and is killed with SIGKILL at random
 * moments (quick: 10 kills, CHAOS_LONG: 40) and started again. At the end:
 *   - every inbound message is answered (a turn answers every queued message of its chat: the
 *     newest verbatim, earlier ones as context, so a message counts as answered when any
 *     delivered reply contains it);
 *   - no task occurrence ran twice (task_runs, and the prompts the agents actually received);
 *   - every task was resolved (ran, or was recorded missed) and nothing is stuck;
 *   - duplicate replies (sent, then the daemon died before recording it) are counted and reported.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive, startDaemon, waitFor } from '../helpers/harness.js';
import { executedTwice, promptsSent, rng, scaled, taskRuns, withDb } from '../helpers/chaos.js';
import { startWithTelegram, type TelegramSetup } from '../helpers/telegram-home.js';

const KILLS = scaled(10, 40);
const CLI_TASKS = scaled(4, 12);
const TEAM_TASKS = scaled(2, 6);
const ANN = { id: 111, first_name: 'Ann' };
const TEAM_CHAT = -100777;

/** Message numbers each delivered reply mentions ("m12" as a word, not inside "m123"). */
function mentions(text: string): Set<number> {
  return new Set([...text.matchAll(/\bm(\d+)\b/g)].map((m) => Number(m[1])));
}

let s: TelegramSetup | undefined;
afterAll(async () => {
  await s?.stop();
});

describe('kill -9 under load', () => {
  it(
    `loses no message and runs no task twice across ${KILLS} random SIGKILLs`,
    async () => {
      const started = Date.now();
      const r = rng('kill9-load');
      s = await startWithTelegram('\n[scheduler]\ntimezone = "UTC"\nmissed_runs = "run-once"\n');
      const { h, tg } = s;
      let pid = s.pid;
      expect((await h.run(['group', 'add', String(TEAM_CHAT), '--folder', 'team'])).code).toBe(0);

      // Once tasks falling due across the whole kill phase (about 2 s per kill cycle).
      const window = KILLS * 2_000;
      const tasks: Array<{ id: string; prompt: string; group: string; due: number }> = [];
      const total = CLI_TASKS + TEAM_TASKS;
      for (let i = 0; i < total; i++) {
        const group = i < CLI_TASKS ? 'cli' : 'team';
        const due = Date.now() + 2_000 + Math.round(((i + 0.5) * window) / total);
        const prompt = `echo task-${group}-${i}`;
        const add = await h.run([
          'task',
          'add',
          '--group',
          group,
          '--at',
          new Date(due).toISOString(),
          '-o',
          'json',
          '--',
          ...prompt.split(' '),
        ]);
        expect(add.code, add.stderr).toBe(0);
        tasks.push({ id: (JSON.parse(add.stdout) as { id: string }).id, prompt, group, due });
      }

      let pushed = 0;
      const push = (): void => void tg.pushMessage({ chatId: ANN.id, from: ANN, text: `echo m${pushed++}` });
      const killedAfter: number[] = [];
      for (let k = 0; k < KILLS; k++) {
        const burst = r.int(1, 3);
        for (let i = 0; i < burst; i++) push();
        // Random moment: mid-poll, mid-store, mid-turn or mid-send; now and then a longer spell up,
        // so that scheduled runs also get to finish between kills.
        const wait = r.next() < 0.25 ? r.int(1_500, 3_000) : r.int(30, 900);
        killedAfter.push(wait);
        await sleep(wait);
        process.kill(pid, 'SIGKILL');
        await waitFor(() => !isAlive(pid), 5_000, `daemon ${pid} to die`);
        if (r.next() < 0.7) push(); // arrives while nobody is polling
        pid = await startDaemon(h);
        s.pid = pid;
      }
      for (let i = 0; i < 3; i++) push();
      const messages = pushed;

      const answeredAll = (): boolean => {
        const seen = new Set<number>();
        for (const m of tg.sentTo(ANN.id)) for (const n of mentions(m.text)) seen.add(n);
        return seen.size >= messages;
      };
      const tasksSettled = (): boolean =>
        withDb(h.home, (db) => {
          const open = db
            .prepare(
              "SELECT COUNT(*) AS n FROM tasks WHERE status = 'active' OR id IN (SELECT task_id FROM task_runs WHERE status IN ('pending', 'claimed', 'running'))",
            )
            .get() as { n: number };
          return open.n === 0;
        });
      await waitFor(
        () => answeredAll() && tasksSettled(),
        60_000,
        'every message answered and every task resolved',
      ).catch(
        () => undefined, // the assertions below say what is missing
      );
      // Team-task results go through the outbox too: let them leave before counting.
      await waitFor(
        async () => (await h.json<{ deliveries: { pending: number } }>(['status'])).deliveries.pending === 0,
        20_000,
        'the outbox to drain',
      ).catch(() => undefined);
      await sleep(500); // late resends, if any, are counted too

      // Messages: answered and duplicates.
      const replies = tg.sentTo(ANN.id);
      const count = new Map<number, number>();
      for (const m of replies) for (const n of mentions(m.text)) count.set(n, (count.get(n) ?? 0) + 1);
      const lost = Array.from({ length: messages }, (_, n) => n).filter((n) => !count.has(n));
      let duplicates = 0;
      for (const c of count.values()) duplicates += c - 1;

      // Tasks: never twice, all resolved; team results delivered to the group chat.
      const runs = taskRuns(h.home);
      const sent = promptsSent(h.home);
      const teamReplies = tg.sentTo(TEAM_CHAT).map((m) => m.text);
      const outcomes = { ok: 0, missed: 0, other: 0 };
      let taskDuplicates = 0;
      for (const t of tasks) {
        const mine = runs.filter((x) => x.task_id === t.id);
        const final = mine.filter((x) => x.attempt === 1);
        expect(final, `${t.id} ${t.prompt}: ${JSON.stringify(mine)}`).toHaveLength(1);
        const status = final[0]!.status;
        if (status === 'ok') outcomes.ok++;
        else if (status === 'missed') outcomes.missed++;
        else outcomes.other++;
        // The agents received the prompt at most as often as a run of it was started.
        const startedRuns = mine.filter((x) => x.started_at !== null).length;
        expect(sent.get(t.prompt) ?? 0, `prompts of ${t.id}`).toBeLessThanOrEqual(startedRuns);
        if (t.group === 'team' && status === 'ok') {
          const delivered = teamReplies.filter((x) => x === t.prompt.slice(5)).length;
          expect(delivered, `${t.id} result delivered to the team chat`).toBeGreaterThanOrEqual(1);
          taskDuplicates += delivered - 1;
        }
      }
      const twice = executedTwice(runs);
      const rate = messages === 0 ? 0 : (100 * duplicates) / messages;
      console.log(
        `chaos: kills=${KILLS}, messages=${messages}, lost=${lost.length}, duplicate replies=${duplicates} (${rate.toFixed(1)}%); ` +
          `tasks=${tasks.length} (ok ${outcomes.ok}, missed ${outcomes.missed}, other ${outcomes.other}), executed twice=${twice.length}, ` +
          `duplicate task deliveries=${taskDuplicates}; replies=${replies.length}; kill points ${killedAfter.join(',')} ms; ` +
          `${Math.round((Date.now() - started) / 1000)} s`,
      );

      expect(lost, `lost messages: ${lost.join(', ')}`).toEqual([]);
      expect(twice).toEqual([]);
      expect(outcomes.other).toBe(0);
      // Only answers were sent to Ann: no failure notices, no pairing codes.
      for (const m of replies) expect(m.text).toMatch(/^m\d+(\n|$)/);
      // Nothing is stuck for later: inbox drained, outbox empty, no run in flight.
      const status = await h.json<{
        queue: { depth: number };
        deliveries: { pending: number; failed: number };
      }>(['status']);
      expect(status.queue.depth).toBe(0);
      expect(status.deliveries).toMatchObject({ pending: 0, failed: 0 });
      expect(runs.filter((x) => ['claimed', 'running', 'pending'].includes(x.status))).toEqual([]);
      // Most of the work really ran (the kills did not just turn everything into "missed").
      expect(outcomes.ok).toBeGreaterThan(0);
      expect(isAlive(pid)).toBe(true);
    },
    scaled(170_000, 600_000),
  );
});
