/**
 * Budgets end to end: the real daemon, the demo agent scripted to report usage (`usage {...}`),
 * and a fake Telegram. A soft budget pauses the chat and asks; an approver's `continue` runs the
 * waiting messages; `stop` keeps them queued until the operator's word; a hard budget refuses; a
 * task over budget records `budget`; a kill -9 while paused leaves the group paused, nothing lost.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Status, UsageReport } from '../../src/contract.js';
import { isAlive, startDaemon, waitFor } from '../helpers/harness.js';
import { startWithTelegram, type TelegramSetup } from '../helpers/telegram-home.js';

let s: TelegramSetup | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

const ANN = { id: 111, first_name: 'Ann' };
const unescapeHtml = (t: string): string =>
  t
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"');

function budgetToml(limit: string): string {
  return `
[scheduler]
timezone = "UTC"

[[budgets.limits]]
${limit}
`;
}

const SOFT = budgetToml('group = "dm-111"\nperiod = "day"\ncost = 5.0\nmode = "soft"');

/** Sends a DM from Ann (none for null) and waits for the next reply that matches. */
async function say(text: string | null, reply: (t: string) => boolean): Promise<string> {
  const setup = s!;
  // Nothing sent: the reply may have come already (it follows another one), so look at them all.
  const before = text === null ? 0 : setup.tg.sentTo(111).length;
  if (text !== null) setup.tg.pushMessage({ chatId: 111, from: ANN, text });
  return unescapeHtml(
    await waitFor(
      () =>
        setup.tg
          .sentTo(111)
          .slice(before)
          .map((m) => unescapeHtml(m.text))
          .find(reply),
      20_000,
      `a reply to "${text ?? '(nothing sent)'}"`,
    ),
  );
}

async function status(): Promise<Status> {
  return s!.h.json<Status>(['status']);
}

describe('budgets', () => {
  it('a soft budget pauses and asks; "continue" runs the queued messages in order', async () => {
    s = await startWithTelegram(SOFT);
    await say('usage {"cost":4.8,"input":100,"output":20}', (t) => t.includes('session total 4.8'));
    await say('usage {"cost":0.3}', (t) => t.includes('session total 5.1'));
    const ask = await say('echo one', (t) => t.startsWith('Spent'));
    expect(ask).toMatch(/^Spent 5\.10 of 5\.00 USD today — continue for today \(\+5\.00\) or stop\?/);
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'echo two' });
    await waitFor(async () => (await status()).queue.depth === 2, 10_000, 'both messages queued');
    const st = await status();
    expect(st.budgets.limits).toEqual([
      expect.objectContaining({ scope: 'group', name: 'dm-111', state: 'asked', spent: 5.1, limit: 5 }),
    ]);
    expect(st.budgets.today.costs['USD']).toBeCloseTo(5.1, 6);
    const continued = await say('continue', (t) => t.startsWith('Continuing'));
    expect(continued).toContain('is now 10.00 USD');
    // One turn for what waited: the newest message is the request, the earlier ones follow in order.
    const reply = await say(null, (t) => t.startsWith('two'));
    expect(reply).toMatch(
      /^two\n\n\[agentforge\] Earlier messages in this chat, oldest first:\n.*\n> echo one$/,
    );
    const usage = await s.h.json<UsageReport>(['usage', '--group', 'dm-111', '--since', '1d']);
    expect(usage.rows).toHaveLength(1);
    expect(usage.rows[0]).toMatchObject({ agent: 'demo', group: 'dm-111', task: null, currency: 'USD' });
    expect(usage.rows[0]!.cost).toBeCloseTo(5.1, 6);
    expect(usage.rows[0]!.input_tokens).toBe(100);
  });

  it('"stop" keeps the messages queued until the operator continues; /status shows the spend', async () => {
    s = await startWithTelegram(SOFT);
    await say('usage {"cost":6}', (t) => t.includes('session total 6'));
    await say('echo three', (t) => t.startsWith('Spent 6.00 of 5.00 USD today'));
    const stopped = await say('stop', (t) => t.startsWith('Stopped'));
    expect(stopped).toContain('agentforge usage continue --group dm-111');
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'echo four' });
    const summary = await say('/status', (t) => t.includes('Spend of this group'));
    expect(summary).toContain('today 6.00 USD');
    expect(summary).toContain('stopped until the period rolls over');
    await waitFor(async () => (await status()).queue.depth === 2, 10_000, 'three and four queued');
    expect((await status()).budgets.limits[0]?.state).toBe('stopped');
    // A second "stop" or "continue" from the operator's CLI: the operator's word.
    const r = await s.h.run(['usage', 'continue', '--group', 'dm-111']);
    expect(r.code, r.stderr).toBe(0);
    const reply = await say(null, (t) => t.startsWith('four'));
    expect(reply).toContain('> echo three');
    expect((await status()).queue.depth).toBe(0);
    const again = await s.h.run(['usage', 'continue', '--group', 'dm-111']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no soft budget holds the group dm-111');
  });

  it('a hard budget refuses with its message; a task over budget records `budget`', async () => {
    s = await startWithTelegram(budgetToml('group = "dm-111"\nperiod = "day"\ntokens = 100\nmode = "hard"'));
    await say('usage {"input":80,"output":30}', (t) => t.includes('usage reported'));
    const refused = await say('echo five', (t) => t.startsWith('Not answered'));
    expect(refused).toMatch(
      /the hard budget of this group for today is spent \(110 tokens of 100 tokens\)\. Turns resume after \d{4}-\d\d-\d\d 00:00 \(UTC\)\./,
    );
    const add = await s.h.json<{ id: string }>([
      'task',
      'add',
      '--group',
      'dm-111',
      '--every',
      '1h',
      'echo task',
    ]);
    expect((await s.h.run(['task', 'run-now', add.id])).code).toBe(0);
    const runs = await waitFor(
      async () => {
        const r = await s!.h.json<{ runs: Array<{ status: string; error: string | null }> }>([
          'task',
          'runs',
          add.id,
        ]);
        return r.runs.find((x) => x.status === 'budget');
      },
      15_000,
      'a run held by the budget',
    );
    expect(runs.error).toContain('hard budget');
    const st = await status();
    expect(st.budgets.limits[0]).toMatchObject({ state: 'refusing', unit: 'tokens', spent: 110 });
  });

  it('kill -9 while paused: after the restart it is still paused, and nothing is lost or counted twice', async () => {
    s = await startWithTelegram(SOFT);
    await say('usage {"cost":5}', (t) => t.includes('session total 5'));
    await say('echo six', (t) => t.startsWith('Spent 5.00 of 5.00 USD today'));
    process.kill(s.pid, 'SIGKILL');
    await waitFor(() => !isAlive(s!.pid), 5_000, 'the daemon to die');
    s.pid = await startDaemon(s.h);
    const st = await status();
    expect(st.budgets.limits[0]?.state).toBe('asked');
    expect(st.queue.depth).toBe(1);
    // "continue" after the restart still answers the question asked before it.
    await say('continue', (t) => t.startsWith('Continuing'));
    await say(null, (t) => t.startsWith('six'));
    // The restarted agent counts from zero again (its running total went with its process):
    // 0.5 below the stored 5 is new spend, not a refund.
    await say('usage {"cost":0.5}', (t) => t.includes('session total 0.5'));
    const usage = await s.h.json<UsageReport>(['usage']);
    const cost = usage.rows.reduce((n, r) => n + r.cost, 0);
    expect(cost).toBeCloseTo(5.5, 6);
  });

  it('the question has Continue / Stop buttons: a non-approver is refused, an approver continues', async () => {
    s = await startWithTelegram(budgetToml('group = "team"\nperiod = "day"\ncost = 1.0\nmode = "soft"'));
    expect((await s.h.run(['group', 'add', '-1001', '--folder', 'team', '--trigger', '@Andy'])).code).toBe(0);
    const tg = s.tg;
    const inGroup = async (
      from: { id: number; first_name: string },
      text: string,
      want: (t: string) => boolean,
    ) => {
      const before = tg.sentTo(-1001).length;
      tg.pushMessage({ chatId: -1001, from, text });
      return waitFor(
        () =>
          tg
            .sentTo(-1001)
            .slice(before)
            .find((m) => want(unescapeHtml(m.text))),
        20_000,
        text,
      );
    };
    const BOB = { id: 222, first_name: 'Bob' };
    await inGroup(BOB, 'usage @Andy {"cost":1.5}', (t) => t.includes('session total 1.5'));
    const question = await inGroup(BOB, 'echo @Andy seven', (t) =>
      t.startsWith('Spent 1.50 of 1.00 USD today'),
    );
    const buttons = question.reply_markup?.inline_keyboard.flat() ?? [];
    expect(buttons.map((b) => [b.text, b.callback_data])).toEqual([
      ['Continue', 'budget:continue'],
      ['Stop', 'budget:stop'],
    ]);
    const refused = tg.pushPress({
      chatId: -1001,
      from: BOB,
      messageId: question.message_id,
      data: 'budget:continue',
    });
    const bobTold = await waitFor(() => tg.pressAnswers.find((a) => a.id === refused), 10_000, "Bob's alert");
    expect(bobTold).toMatchObject({ show_alert: true, text: expect.stringContaining('approvers') });
    expect((await status()).budgets.limits[0]?.state).toBe('asked');
    const pressed = tg.pushPress({
      chatId: -1001,
      from: ANN,
      messageId: question.message_id,
      data: 'budget:continue',
    });
    await waitFor(() => tg.pressAnswers.find((a) => a.id === pressed), 10_000, "Ann's answer");
    await waitFor(
      () => tg.sentTo(-1001).find((m) => unescapeHtml(m.text).startsWith('@Andy seven')),
      20_000,
      'the waiting message answered',
    );
    expect(tg.textOf(-1001, question.message_id)).toContain('answered by Ann');
  });
});
