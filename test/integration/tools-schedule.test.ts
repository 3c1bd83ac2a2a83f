/**
 * An agent in the main Telegram group schedules a task through its MCP tools; the scheduler runs it
 * at the due time in that group's session and the result is delivered to the chat (SPEC §8, §9).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/harness.js';
import { startWithTelegram, waitForReply, type TelegramSetup } from '../helpers/telegram-home.js';

type Task = {
  id: string;
  group_folder: string;
  prompt: string;
  schedule_type: string;
  schedule_value: string;
  status: string;
  next_run_at: number | null;
  created_by: string;
};
type Run = {
  id: number;
  scheduled_for: number;
  attempt: number;
  status: string;
  result_excerpt: string | null;
};

let s: TelegramSetup | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

describe('schedule_task from the main group', () => {
  it('schedules a once task that runs at its time and replies in the chat', async () => {
    s = await startWithTelegram();
    const add = await s.h.run(['group', 'add', '-1001', '--main', '--folder', 'ops']);
    expect(add.code, add.stderr).toBe(0);

    // Far enough ahead that a loaded machine still delivers the tool call before it is due
    // (a time already past is refused as it should be, which would fail the test for no reason).
    const due = new Date(Date.now() + 6_000);
    const args = {
      prompt: 'echo scheduled hello',
      schedule_type: 'once',
      schedule_value: due.toISOString(),
    };
    s.tg.pushMessage({
      chatId: -1001,
      from: { id: 5, first_name: 'Op' },
      text: `tool schedule_task ${JSON.stringify(args)}`,
    });
    const ack = await waitForReply(s.tg, -1001, (t) => t.startsWith('tool '), 10_000);
    expect(ack).toMatch(/^tool ok: scheduled t-[0-9a-f]{8} \[active\] group=ops once/);
    const taskId = /(t-[0-9a-f]{8})/.exec(ack)![1]!;

    const { tasks } = await s.h.json<{ tasks: Task[] }>(['task', 'list']);
    const listedAt = Date.now();
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      id: taskId,
      group_folder: 'ops',
      prompt: 'echo scheduled hello',
      schedule_type: 'once',
      schedule_value: due.toISOString(),
    });
    expect(tasks[0]!.created_by).toMatch(/^session:/);
    if (listedAt < due.getTime() - 250) {
      // Listed before its time (the usual case; a loaded machine may answer the tool late).
      expect(tasks[0]).toMatchObject({ status: 'active', next_run_at: due.getTime() });
      expect(s.tg.sentTo(-1001).some((m) => m.text === 'scheduled hello')).toBe(false);
    }

    const delivered = await waitFor(
      () => s!.tg.sentTo(-1001).find((m) => m.text === 'scheduled hello'),
      20_000,
      '"scheduled hello" in chat -1001',
    );
    expect(delivered.at).toBeGreaterThanOrEqual(due.getTime());

    const runs = await waitFor(
      async () => {
        const r = await s!.h.json<{ runs: Run[] }>(['task', 'runs', taskId]);
        return r.runs.every((x) => x.status === 'ok') && r.runs.length > 0 ? r.runs : undefined;
      },
      5_000,
      'the run to be recorded ok',
    );
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'ok', attempt: 1, scheduled_for: due.getTime() });
    expect(runs[0]!.result_excerpt).toBe('scheduled hello');

    // A once task is done after its run, and the text was delivered exactly once.
    const after = await s.h.json<Task>(['task', 'show', taskId]);
    expect(after).toMatchObject({ status: 'done', next_run_at: null });
    expect(s.tg.sentTo(-1001).filter((m) => m.text === 'scheduled hello')).toHaveLength(1);

    // Bad input to the run history is a usage error, not an internal one.
    const bad = await s.h.run(['task', 'runs', taskId, '--limit', 'abc']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/limit must be a whole number from 1 to 1000/);
  }, 60_000);
});
