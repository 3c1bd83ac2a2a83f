/**
 * The agent tools' authorization matrix (SPEC §8): every tool × caller (the main group, a non-main
 * group acting on itself, a non-main group acting on another group). Identity comes from the
 * session the agent runs in — its group — never from tool arguments. Calls are made by the real
 * demo agent over the daemon's MCP endpoint; the task and group state is read back through the
 * operator's API/CLI, and messages through the fake Telegram Bot API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, apiReply, newSession } from '../helpers/sessions.js';
import { startWithTelegram, waitForReply, type TelegramSetup } from '../helpers/telegram-home.js';

type Task = {
  id: string;
  group_folder: string;
  prompt: string;
  status: string;
  schedule_type: string;
  schedule_value: string;
  next_run_at: number | null;
};
type Group = { folder: string; chat_id: string; is_main: number };

let s: TelegramSetup;
const sess = { main: '', alpha: '', beta: '', cli: '' };
const task = { alpha: '', beta: '', beta2: '', ops: '' };
const FUTURE = new Date(Date.now() + 6 * 3600_000).toISOString();

const call = (session: string, tool: string, args: unknown = {}): Promise<string> =>
  apiReply(s.h, session, `tool ${tool} ${JSON.stringify(args)}`);

async function tasks(): Promise<Task[]> {
  const res = await api(s.h, 'GET', '/api/tasks');
  expect(res.status).toBe(200);
  return (res.json() as { tasks: Task[] }).tasks;
}
async function groups(): Promise<Group[]> {
  const res = await api(s.h, 'GET', '/api/groups');
  expect(res.status).toBe(200);
  return (res.json() as { groups: Group[] }).groups;
}
async function addTask(group: string, prompt: string): Promise<string> {
  const r = await api(s.h, 'POST', '/api/tasks', {
    group,
    prompt,
    schedule_type: 'once',
    schedule_value: FUTURE,
  });
  expect(r.status, r.body).toBe(201);
  return (r.json() as Task).id;
}
const byId = (all: Task[], id: string): Task => {
  const t = all.find((x) => x.id === id);
  if (t === undefined) throw new Error(`task ${id} not listed`);
  return t;
};

type Refusal = readonly [session: string, tool: string, args: unknown, pattern: RegExp];

/** Runs calls that must all be refused (concurrently), and checks that the task list did not change. */
async function refused(...calls: Refusal[]): Promise<string[]> {
  const before = await tasks();
  const replies = await Promise.all(calls.map(([session, tool, args]) => call(session, tool, args)));
  replies.forEach((reply, i) => {
    expect(reply).toMatch(/^tool error: /);
    expect(reply).toMatch(calls[i]![3]);
  });
  expect(await tasks()).toEqual(before);
  return replies;
}

/** startWithTelegram, with room for every session of this file to stay live (no eviction churn). */
function start(): Promise<TelegramSetup> {
  return startWithTelegram('', undefined, (toml) =>
    toml.replace('[limits]\n', '[limits]\nmax_concurrent_agents = 10\n'),
  );
}

beforeAll(async () => {
  s = await start();
  for (const body of [
    { chat: '-1001', main: true, folder: 'ops' },
    { chat: '-2001', folder: 'alpha', trigger: '@Andy' },
    { chat: '-3001', folder: 'beta', trigger: '@Andy' },
  ]) {
    const r = await api(s.h, 'POST', '/api/groups', body);
    expect(r.status, r.body).toBe(201);
  }
  [sess.main, sess.alpha, sess.beta, sess.cli] = await Promise.all([
    newSession(s.h, ['--group', 'ops']),
    newSession(s.h, ['--group', 'alpha']),
    newSession(s.h, ['--group', 'beta']),
    newSession(s.h),
  ]);
  task.alpha = await addTask('alpha', 'echo alpha work');
  task.beta = await addTask('beta', 'echo beta work');
  task.beta2 = await addTask('beta', 'echo beta second');
  task.ops = await addTask('ops', 'echo ops work');
}, 30_000);

afterAll(async () => {
  await s?.stop();
});

describe('agent tools: authorization by the calling session', () => {
  it('list_groups: main and the cli group see every group; a non-main group only itself', async () => {
    const [main, cli, alpha] = await Promise.all([
      call(sess.main, 'list_groups'),
      call(sess.cli, 'list_groups'),
      call(sess.alpha, 'list_groups', { group: 'beta' }), // an argument cannot widen the view
    ]);
    for (const r of [main, cli]) {
      expect(r).toMatch(/^tool ok: /);
      expect(r).toContain('ops (telegram -1001) main');
      expect(r).toContain('alpha (telegram -2001)');
      expect(r).toContain('beta (telegram -3001)');
    }
    expect(alpha).toBe('tool ok: alpha (telegram -2001)');
  });

  it('list_tasks: main sees all or one named group; non-main only its own and may not name another', async () => {
    const before = await tasks();
    const [all, betaOnly, own, ownNamed, other] = await Promise.all([
      call(sess.main, 'list_tasks'),
      call(sess.cli, 'list_tasks', { group: 'beta' }),
      call(sess.alpha, 'list_tasks'),
      call(sess.beta, 'list_tasks', { group: 'beta' }),
      call(sess.alpha, 'list_tasks', { group: 'beta' }),
    ]);
    for (const id of Object.values(task)) expect(all).toContain(id);
    expect(betaOnly).toContain(task.beta);
    expect(betaOnly).toContain(task.beta2);
    expect(betaOnly).not.toContain(task.alpha);
    expect(betaOnly).not.toContain(task.ops);

    expect(own).toMatch(/^tool ok: /);
    expect(own).toContain(task.alpha);
    for (const id of [task.beta, task.beta2, task.ops]) expect(own).not.toContain(id);
    expect(ownNamed).toContain(task.beta);
    expect(ownNamed).not.toContain(task.alpha);

    expect(other).toMatch(/^tool error: refused: this group \(alpha\) may only act on itself/);
    expect(other).not.toContain(task.beta);
    expect(await tasks()).toEqual(before);
  });

  it('schedule_task: own group and main for any group succeed; non-main naming another group is refused', async () => {
    await refused(
      [
        sess.alpha,
        'schedule_task',
        { prompt: 'echo sneaky', schedule_type: 'once', schedule_value: FUTURE, group: 'beta' },
        /refused: this group \(alpha\) may only act on itself/,
      ],
      [
        sess.beta,
        'schedule_task',
        { prompt: 'echo sneaky', schedule_type: 'once', schedule_value: FUTURE, group: 'ops' },
        /refused: this group \(beta\) may only act on itself/,
      ],
      // Main naming a group that does not exist gets an error, and nothing is created.
      [
        sess.main,
        'schedule_task',
        { prompt: 'echo nowhere', schedule_type: 'once', schedule_value: FUTURE, group: 'nosuch' },
        /no group nosuch/,
      ],
    );

    const [own, ownNamed, forBeta, forOps] = await Promise.all([
      call(sess.alpha, 'schedule_task', {
        prompt: 'echo alpha own',
        schedule_type: 'once',
        schedule_value: FUTURE,
      }),
      // Naming its own group explicitly is the same as not naming one.
      call(sess.beta, 'schedule_task', {
        prompt: 'echo beta named',
        schedule_type: 'interval',
        schedule_value: '2h',
        group: 'beta',
      }),
      call(sess.main, 'schedule_task', {
        prompt: 'echo from main for beta',
        schedule_type: 'cron',
        schedule_value: '0 9 * * *',
        group: 'beta',
      }),
      call(sess.cli, 'schedule_task', {
        prompt: 'echo from cli for ops',
        schedule_type: 'once',
        schedule_value: FUTURE,
        group: 'ops',
      }),
    ]);
    expect(own).toMatch(/^tool ok: scheduled t-[0-9a-f]{8} \[active\] group=alpha once/);
    expect(ownNamed).toMatch(/^tool ok: scheduled .* group=beta interval "2h"/);
    expect(forBeta).toMatch(/^tool ok: scheduled .* group=beta cron "0 9 \* \* \*"/);
    expect(forOps).toMatch(/^tool ok: scheduled .* group=ops once/);

    const all = await tasks();
    const created = (p: string) => all.filter((t) => t.prompt === p);
    expect(created('echo alpha own')).toMatchObject([{ group_folder: 'alpha' }]);
    expect(created('echo beta named')).toMatchObject([{ group_folder: 'beta' }]);
    expect(created('echo from main for beta')).toMatchObject([{ group_folder: 'beta' }]);
    expect(created('echo from cli for ops')).toMatchObject([{ group_folder: 'ops' }]);
    expect(created('echo sneaky')).toEqual([]);
    expect(created('echo nowhere')).toEqual([]);
  });

  it("update_task: a non-main group may change only its own tasks; main any group's", async () => {
    await refused(
      [
        sess.alpha,
        'update_task',
        { task_id: task.beta, prompt: 'echo hijacked' },
        /refused: task t-[0-9a-f]{8} belongs to another group/,
      ],
      [
        sess.beta,
        'update_task',
        { task_id: task.ops, schedule_type: 'interval', schedule_value: '1h' },
        /belongs to another group/,
      ],
    );
    const [own, main] = await Promise.all([
      call(sess.alpha, 'update_task', { task_id: task.alpha, prompt: 'echo alpha v2' }),
      call(sess.main, 'update_task', { task_id: task.beta, prompt: 'echo beta v2' }),
    ]);
    expect(own).toMatch(/^tool ok: updated .*group=alpha.*echo alpha v2/);
    expect(main).toMatch(/^tool ok: updated .*group=beta.*echo beta v2/);
    const all = await tasks();
    expect(byId(all, task.alpha).prompt).toBe('echo alpha v2');
    expect(byId(all, task.beta).prompt).toBe('echo beta v2');
    expect(byId(all, task.ops).schedule_type).toBe('once');
  });

  it("pause_task / resume_task: own group's tasks only for non-main; main any", async () => {
    await refused([sess.alpha, 'pause_task', { task_id: task.beta }, /belongs to another group/]);
    const [own, main] = await Promise.all([
      call(sess.alpha, 'pause_task', { task_id: task.alpha }),
      call(sess.main, 'pause_task', { task_id: task.beta }),
    ]);
    expect(own).toMatch(/^tool ok: paused .*\[paused\] group=alpha/);
    expect(main).toMatch(/^tool ok: paused .*\[paused\] group=beta/);
    let all = await tasks();
    expect(byId(all, task.alpha).status).toBe('paused');
    expect(byId(all, task.beta).status).toBe('paused');

    // Another group may not resume it either, in either direction.
    await refused(
      [sess.beta, 'resume_task', { task_id: task.alpha }, /belongs to another group/],
      [sess.alpha, 'resume_task', { task_id: task.beta }, /belongs to another group/],
    );
    const [ownR, mainR] = await Promise.all([
      call(sess.alpha, 'resume_task', { task_id: task.alpha }),
      call(sess.main, 'resume_task', { task_id: task.beta }),
    ]);
    expect(ownR).toMatch(/^tool ok: resumed .*\[active\] group=alpha/);
    expect(mainR).toMatch(/^tool ok: resumed .*\[active\] group=beta/);
    all = await tasks();
    expect(byId(all, task.alpha).status).toBe('active');
    expect(byId(all, task.beta).status).toBe('active');
  });

  it("cancel_task: own group's tasks only for non-main; main any", async () => {
    const mine = await addTask('alpha', 'echo alpha disposable');
    await refused(
      [sess.alpha, 'cancel_task', { task_id: task.beta2 }, /belongs to another group/],
      [sess.beta, 'cancel_task', { task_id: mine }, /belongs to another group/],
    );
    const [main, own] = await Promise.all([
      call(sess.main, 'cancel_task', { task_id: task.beta2 }),
      call(sess.alpha, 'cancel_task', { task_id: mine }),
    ]);
    expect(main).toMatch(/^tool ok: cancelled .*\[cancelled\] group=beta/);
    expect(own).toMatch(/^tool ok: cancelled .*\[cancelled\] group=alpha/);
    const ids = (await tasks()).map((t) => t.id);
    expect(ids).not.toContain(task.beta2);
    expect(ids).not.toContain(mine);
    expect(ids).toContain(task.beta);
    // A cancelled task is gone for every caller, main included.
    await refused([sess.main, 'pause_task', { task_id: task.beta2 }, /no task /]);
  });

  it('send_message goes to the calling group’s own chat, whatever group the arguments name', async () => {
    const [main, own, named, cli] = await Promise.all([
      call(sess.main, 'send_message', { text: 'hello from ops' }),
      call(sess.alpha, 'send_message', { text: 'hello from alpha' }),
      // Naming another group is not a way to reach it: the argument is not part of the tool.
      call(sess.beta, 'send_message', { text: 'beta says hi to alpha', group: 'alpha' }),
      // The cli group has no chat.
      call(sess.cli, 'send_message', { text: 'from the terminal' }),
    ]);
    expect(main).toMatch(/^tool ok: queued message #\d+ for delivery to ops/);
    expect(own).toMatch(/for delivery to alpha/);
    expect(named).toMatch(/for delivery to beta/);
    expect(cli).toMatch(/^tool error: .*has no chat to send to/);

    await waitForReply(s.tg, -1001, (t) => t === 'hello from ops');
    await waitForReply(s.tg, -2001, (t) => t === 'hello from alpha');
    await waitForReply(s.tg, -3001, (t) => t === 'beta says hi to alpha');
    // A marker sent to alpha after the calls leaves after anything they queued there.
    expect((await s.h.run(['send', 'alpha', 'marker for alpha'])).code).toBe(0);
    await waitForReply(s.tg, -2001, (t) => t === 'marker for alpha');
    expect(s.tg.sentTo(-2001).map((m) => m.text)).not.toContain('beta says hi to alpha');
    expect(s.tg.sent.map((m) => m.text)).not.toContain('from the terminal');
  });

  it('register_group: refused for a non-main group, allowed for main', async () => {
    const before = await groups();
    const [no, yes] = await Promise.all([
      call(sess.alpha, 'register_group', { chat_id: '-4001', folder: 'gamma' }),
      call(sess.main, 'register_group', { chat_id: '-5001', folder: 'delta', trigger: '@Andy' }),
    ]);
    expect(no).toBe('tool error: refused: only the main group may register groups');
    expect(yes).toBe('tool ok: registered delta for chat -5001');
    const after = await groups();
    expect(after.map((g) => g.folder).sort()).toEqual([...before.map((g) => g.folder), 'delta'].sort());
    expect(after.find((g) => g.folder === 'delta')).toMatchObject({ chat_id: '-5001', is_main: 0 });
    const dup = await call(sess.cli, 'register_group', { chat_id: '-5001', folder: 'epsilon' });
    expect(dup).toBe('tool error: chat -5001 is already registered');
    expect(await groups()).toEqual(after);
  });

  it('register_group: folders the daemon uses itself are refused, even for main', async () => {
    const before = await groups();
    const [cli, dm] = await Promise.all([
      call(sess.main, 'register_group', { chat_id: '-5101', folder: 'cli' }),
      call(sess.main, 'register_group', { chat_id: '-5102', folder: 'dm-42' }),
    ]);
    expect(cli).toMatch(/^tool error: refused: the folder "cli" is reserved/);
    expect(dm).toMatch(/^tool error: refused: folders starting with "dm-" are reserved/);
    expect(await groups()).toEqual(before);
  });

  it('from the chats themselves: the Telegram group decides who the agent is', async () => {
    // The trigger must appear in the text; the demo agent reads the first word as its command, so
    // the trigger rides in an argument the tool does not know (and ignores).
    s.tg.pushMessage({
      chatId: -2001,
      from: { id: 7, first_name: 'Al' },
      text: `tool list_tasks ${JSON.stringify({ group: 'beta', note: '@Andy' })}`,
    });
    const r1 = await waitForReply(s.tg, -2001, (t) => t.startsWith('tool '));
    expect(r1).toMatch(/^tool error: refused: this group \(alpha\) may only act on itself/);

    s.tg.pushMessage({
      chatId: -2001,
      from: { id: 7, first_name: 'Al' },
      text: `tool list_groups ${JSON.stringify({ note: '@Andy' })}`,
    });
    expect(await waitForReply(s.tg, -2001, (t) => t.startsWith('tool ok:'))).toBe(
      'tool ok: alpha (telegram -2001)',
    );

    // The main group answers without a trigger and may act on any group.
    s.tg.pushMessage({
      chatId: -1001,
      from: { id: 5, first_name: 'Op' },
      text: `tool pause_task ${JSON.stringify({ task_id: task.beta })}`,
    });
    expect(await waitForReply(s.tg, -1001, (t) => t.startsWith('tool '))).toMatch(
      /^tool ok: paused .*group=beta/,
    );
    expect(byId(await tasks(), task.beta).status).toBe('paused');

    // The operator's CLI sees the same state the tools produced.
    const listed = await s.h.json<{ tasks: Task[] }>(['task', 'list', '--group', 'beta']);
    expect(listed.tasks.map((t) => [t.id, t.status])).toContainEqual([task.beta, 'paused']);
    expect(listed.tasks.every((t) => t.group_folder === 'beta')).toBe(true);
  });
});
