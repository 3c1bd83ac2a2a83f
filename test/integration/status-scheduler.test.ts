import { afterEach, describe, expect, it } from 'vitest';
import { makeHome, startDaemon, testConfig, waitFor, type TestHome } from '../helpers/harness.js';

let h: TestHome | undefined;
afterEach(async () => {
  await h?.run(['daemon', 'stop']);
  await h?.cleanup();
  h = undefined;
});

describe('status shows the scheduler', () => {
  it('lists the next due task and the last failed run with its kind', async () => {
    h = makeHome();
    await h.run(['init']);
    h.writeConfig(testConfig(0));
    await startDaemon(h);
    const later = new Date(Date.now() + 3_600_000).toISOString();
    expect((await h.run(['task', 'add', '--at', later, 'echo later'])).code).toBe(0);
    const soon = new Date(Date.now() + 1_000).toISOString();
    const failing = await h.json<{ id: string }>(['task', 'add', '--at', soon, 'crash']);
    const status = await waitFor(
      async () => {
        const s = await h!.json<{
          scheduler: {
            next_due_at: string | null;
            recent_failures: Array<{ task_id: string; kind: string }>;
          };
        }>(['status']);
        return s.scheduler.recent_failures.length > 0 ? s : undefined;
      },
      20_000,
      'a failed run in status',
    );
    expect(status.scheduler.recent_failures[0]).toMatchObject({ task_id: failing.id, kind: 'exited' });
    expect(status.scheduler.next_due_at).not.toBeNull();
    const human = await h.run(['status']);
    expect(human.stdout).toContain(`failed`);
    expect(human.stdout).toContain(failing.id);
  });
});
