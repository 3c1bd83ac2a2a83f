/**
 * Bad tool arguments get an error the agent can read and change nothing (SPEC §8, §11). A call is
 * in the session's event log only once it passed validation and the rate limit (`tool_call`, then
 * `tool_result`): calls the schema refuses cost the log nothing, so a flood cannot fill it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHome, startDaemon, testConfig, type TestHome } from '../helpers/harness.js';
import { api, apiReply, events, newSession } from '../helpers/sessions.js';

type Task = { id: string; prompt: string; schedule_type: string; schedule_value: string; status: string };

let h: TestHome;
let session: string;
let existing: Task;
const FUTURE = new Date(Date.now() + 3 * 3600_000).toISOString();
const PAST = new Date(Date.now() - 60_000).toISOString();

async function taskList(): Promise<Task[]> {
  return (await h.json<{ tasks: Task[] }>(['task', 'list'])).tasks;
}

beforeAll(async () => {
  h = makeHome();
  await h.run(['init']);
  h.writeConfig(testConfig(0));
  await startDaemon(h);
  session = await newSession(h);
  const r = await api(h, 'POST', '/api/tasks', {
    group: 'cli',
    prompt: 'echo existing',
    schedule_type: 'cron',
    schedule_value: '0 9 * * 1-5',
  });
  expect(r.status, r.body).toBe(201);
  existing = r.json() as Task;
}, 30_000);

afterAll(async () => {
  await h?.run(['daemon', 'stop']);
  await h?.cleanup();
});

/** name, arguments, what the error must say, whether the tool's own handler runs (vs. SDK validation). */
type Case = readonly [tool: string, args: unknown, error: RegExp, handlerRuns: boolean];

const cases = (): Case[] => [
  // wrong types
  ['schedule_task', { prompt: 42, schedule_type: 'once', schedule_value: FUTURE }, /prompt/, false],
  [
    'schedule_task',
    { prompt: 'echo x', schedule_type: 'weekly', schedule_value: 'mon' },
    /schedule_type/,
    false,
  ],
  ['pause_task', { task_id: 7 }, /task_id/, false],
  ['send_message', { text: ['not', 'a', 'string'] }, /text/, false],
  // missing fields
  ['schedule_task', { schedule_type: 'once', schedule_value: FUTURE }, /prompt/, false],
  ['schedule_task', { prompt: 'echo x', schedule_type: 'cron' }, /schedule_value/, false],
  ['update_task', { prompt: 'echo y' }, /task_id/, false],
  ['register_group', { chat_id: '-77' }, /folder/, false],
  // values the schema accepts but the tool refuses
  [
    'schedule_task',
    { prompt: 'echo x', schedule_type: 'cron', schedule_value: 'bad' },
    /cron "bad" must have 5 fields/,
    true,
  ],
  [
    'schedule_task',
    { prompt: 'echo x', schedule_type: 'cron', schedule_value: '61 * * * *' },
    /cron "61 \* \* \* \*" is invalid/,
    true,
  ],
  [
    'schedule_task',
    { prompt: 'echo x', schedule_type: 'once', schedule_value: PAST },
    /is in the past/,
    true,
  ],
  [
    'schedule_task',
    { prompt: 'echo x', schedule_type: 'once', schedule_value: 'tomorrow' },
    /must be an ISO time/,
    true,
  ],
  [
    'schedule_task',
    { prompt: 'echo x', schedule_type: 'interval', schedule_value: '10s' },
    /shorter than the minimum of 1m/,
    true,
  ],
  [
    'schedule_task',
    { prompt: 'echo x', schedule_type: 'interval', schedule_value: 'often' },
    /must be a duration/,
    true,
  ],
  ['pause_task', { task_id: 't-00000000' }, /no task t-00000000/, true],
  ['resume_task', { task_id: 't-00000000' }, /no task t-00000000/, true],
  ['cancel_task', { task_id: 'nope' }, /no task nope/, true],
  ['update_task', { task_id: 't-00000000', prompt: 'echo y' }, /no task t-00000000/, true],
  ['resume_task', { task_id: existing.id }, /is active, not paused/, true],
  [
    'update_task',
    { task_id: existing.id, schedule_type: 'cron', schedule_value: 'bad' },
    /cron "bad" must have 5 fields/,
    true,
  ],
  [
    'update_task',
    { task_id: existing.id, schedule_type: 'once', schedule_value: PAST },
    /is in the past/,
    true,
  ],
  // path safety: a group folder is a name, never a path
  ['register_group', { chat_id: '-77', folder: '../escape' }, /folder/, false],
  [
    'schedule_task',
    { prompt: 'echo x', schedule_type: 'once', schedule_value: FUTURE, group: '../cli' },
    /group/,
    false,
  ],
  ['no_such_tool', {}, /no_such_tool not found/, false],
];

/** Makes the calls one after another in one session; then one valid call. */
async function runAll(id: string, list: readonly Case[]): Promise<void> {
  for (const [tool, args, error] of list) {
    const reply = await apiReply(h, id, `tool ${tool} ${JSON.stringify(args)}`);
    expect(reply, `${tool} ${JSON.stringify(args)}`).toMatch(/^tool error: /);
    expect(reply, `${tool} ${JSON.stringify(args)}`).toMatch(error);
  }
  // A valid call after all that still works (the session and the tool server are fine).
  const good = await apiReply(h, id, `tool list_tasks {}`);
  expect(good).toMatch(new RegExp(`^tool ok: ${existing.id} \\[active\\] group=cli cron "0 9 \\* \\* 1-5"`));
}

/** The session's event log holds a tool_call and a tool_result for every handler run, nothing else. */
async function checkEvents(id: string, list: readonly Case[]): Promise<void> {
  const evs = await events(h, id);
  const calls = evs.filter((e) => e.kind === 'tool_call');
  const results = evs.filter((e) => e.kind === 'tool_result');
  const expected = [...list, ['list_tasks', {}, /./, true] as const];
  const ran = expected.filter((c) => c[3]);
  expect(calls.map((e) => e.data['name'])).toEqual(ran.map((c) => c[0]));
  expect(calls.map((e) => e.data['args'])).toEqual(ran.map((c) => c[1]));
  expect(results.map((e) => e.data['name'])).toEqual(ran.map((c) => c[0]));
  expect(results.map((e) => e.data['ok'])).toEqual(ran.map((_, i) => i === ran.length - 1));
  results.slice(0, -1).forEach((e, i) => expect(String(e.data['text'])).toMatch(ran[i]![2]));
  // Each call and its result belong to the turn that made them, the call first.
  for (const r of results) {
    const call = calls.find((c) => c.turn === r.turn);
    expect(call, `tool_call in turn ${r.turn}`).toBeDefined();
    expect(call!.seq).toBeLessThan(r.seq);
  }
}

describe('agent tools: invalid arguments', () => {
  it('every bad call answers "tool error: …", changes nothing, and is in the event log', async () => {
    const before = await taskList();
    expect(before).toEqual([expect.objectContaining({ id: existing.id, status: 'active' })]);

    // Two sessions in parallel: schema violations (refused before the handler) and values the
    // handler refuses.
    const all = cases();
    const schema = all.filter((c) => !c[3]);
    const handler = all.filter((c) => c[3]);
    const other = await newSession(h);
    await Promise.all([runAll(session, schema), runAll(other, handler)]);

    expect(await taskList()).toEqual(before);
    const groups = await h.json<{ groups: unknown[] }>(['group', 'list']);
    expect(groups.groups).toEqual([]);

    await checkEvents(session, schema);
    await checkEvents(other, handler);
  }, 40_000);

  it('arguments that are not JSON never reach the tool server', async () => {
    const before = (await events(h, session)).filter((e) => e.kind === 'tool_call').length;
    const reply = await apiReply(h, session, 'tool schedule_task {prompt: oops}');
    expect(reply).toBe('tool error: arguments are not JSON: {prompt: oops}');
    const after = (await events(h, session)).filter((e) => e.kind === 'tool_call').length;
    expect(after).toBe(before);
    expect(await taskList()).toHaveLength(1);
  });
});
