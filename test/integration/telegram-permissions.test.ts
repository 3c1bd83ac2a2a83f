/**
 * Permission requests in the chat (permission_mode = "ask", audit finding 1): only the operator's
 * approvers (`[channels.telegram] approvers`, default the integer ids in allowed_users) can answer
 * one; ids are random and unique in the daemon; an answer is scoped to the chat's group, deduplicated
 * before it acts, and too late once the request expired; the event log names who decided.
 * Driven through the fake Bot API with the demo agent's `ask` command.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { apiEvents, apiShow } from '../helpers/sessions.js';
import { startWithTelegram, waitForReply, type TelegramSetup } from '../helpers/telegram-home.js';

let s: TelegramSetup | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

const ASKING_AGENT = '[agents.asker]\npreset = "demo"\npermission_mode = "ask"\ndefault = true\n';
const ANN = { id: 111, first_name: 'Ann' }; // in allowed_users: an approver by default
const BOB = { id: 222, first_name: 'Bob' };
const CARA = { id: 333, first_name: 'Cara' };
const ID_RE = /approve (p[a-z0-9]+)/;

/** The id in the daemon's question to the chat that names `title`. */
async function askedId(chat: number, title: string): Promise<string> {
  const q = await waitForReply(s!.tg, chat, (t) => t.includes('asks permission') && t.includes(title));
  const id = ID_RE.exec(q)?.[1];
  expect(id).toMatch(/^p[a-km-np-z2-9]{6}$/);
  return id!;
}

async function sessionOf(folder: string): Promise<string> {
  const list = await s!.h.json<{ sessions: Array<{ id: string; group_folder: string; state: string }> }>([
    'session',
    'list',
  ]);
  const row = list.sessions.find((r) => r.group_folder === folder && r.state !== 'removed');
  expect(row, `a session of ${folder}`).toBeDefined();
  return row!.id;
}

async function pendingIds(session: string): Promise<string[]> {
  return (await apiShow(s!.h, session)).pending_permissions.map((p) => p.id);
}

const decisions = async (session: string) =>
  (await apiEvents(s!.h, session)).filter((e) => e.kind === 'permission').map((e) => e.data);

describe('permission requests in the chat (permission_mode = "ask")', () => {
  it('an approver decides with a random id, and the event log names them', async () => {
    s = await startWithTelegram(ASKING_AGENT);
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'ask edit notes.md' });
    const id = await askedId(111, 'notes.md');
    s.tg.pushMessage({ chatId: 111, from: ANN, text: `approve ${id}` });
    await waitForReply(s.tg, 111, (t) => t === `Approved ${id}.`);
    await waitForReply(s.tg, 111, (t) => t === 'permission: allow');

    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'ask delete old.md' });
    const id2 = await askedId(111, 'old.md');
    // Not p1, p2: the second id is no step from the first.
    expect(id2).not.toBe(id);
    expect([id, id2].some((x) => /^p\d+$/.test(x))).toBe(false);
    s.tg.pushMessage({ chatId: 111, from: ANN, text: `deny ${id2}` });
    await waitForReply(s.tg, 111, (t) => t === 'permission: reject');
    // The answers started no turn of their own: every agent reply is one of the two verdicts.
    const verdicts = s.tg.sentTo(111).filter((m) => m.text.startsWith('permission:'));
    expect(verdicts.map((m) => m.text)).toEqual(['permission: allow', 'permission: reject']);
    expect(await decisions(await sessionOf('dm-111'))).toMatchObject([
      { id, allow: true, by: 'operator', decided_by: 'telegram:111' },
      { id: id2, allow: false, by: 'operator', decided_by: 'telegram:111' },
    ]);
  });

  it("in a group, the requester and other members cannot answer; another chat's id is refused", async () => {
    s = await startWithTelegram(ASKING_AGENT);
    expect((await s.h.run(['group', 'add', '-1001', '--folder', 'team', '--main'])).code).toBe(0);
    s.tg.pushMessage({ chatId: -1001, from: BOB, text: 'ask edit plan.md' });
    const id = await askedId(-1001, 'plan.md');
    const team = await sessionOf('team');

    // The requester, then another member: refused, told so, and the request stays pending.
    s.tg.pushMessage({ chatId: -1001, from: BOB, text: `approve ${id}` });
    s.tg.pushMessage({ chatId: -1001, from: CARA, text: `deny ${id}` });
    await waitForReply(s.tg, -1001, (t) => t.includes("only the operator's approvers") && t.includes(id));
    await s.tg.waitForSent(-1001, 3);
    expect(await pendingIds(team)).toEqual([id]);

    // An approver naming the id from another chat (their direct chat): not this chat's request.
    s.tg.pushMessage({ chatId: 111, from: ANN, text: `approve ${id}` });
    await waitForReply(s.tg, 111, (t) => t.startsWith(`There is no pending request ${id}`));
    expect(await pendingIds(team)).toEqual([id]);

    // The approver in the group decides it.
    s.tg.pushMessage({ chatId: -1001, from: ANN, text: `approve ${id}` });
    await waitForReply(s.tg, -1001, (t) => t === 'permission: allow');
    const texts = s.tg.sentTo(-1001).map((m) => m.text);
    expect(texts.filter((t) => t.includes("only the operator's approvers"))).toHaveLength(2);
    // Nobody's "approve …" reached the agent as a message of its own.
    expect(texts.some((t) => t.includes('you said'))).toBe(false);
    expect(await decisions(team)).toMatchObject([
      { id, allow: true, by: 'operator', decided_by: 'telegram:111' },
    ]);
    expect(await pendingIds(team)).toEqual([]);
  });

  it('`approvers` replaces the default: a listed id answers, an allowed user who is not listed cannot', async () => {
    s = await startWithTelegram(ASKING_AGENT, undefined, (t) =>
      t.replace('allowed_users = [111]', 'allowed_users = [111]\napprovers = [333]'),
    );
    expect((await s.h.run(['group', 'add', '-1001', '--folder', 'team', '--main'])).code).toBe(0);
    s.tg.pushMessage({ chatId: -1001, from: ANN, text: 'ask edit a.md' });
    const id = await askedId(-1001, 'a.md');
    s.tg.pushMessage({ chatId: -1001, from: ANN, text: `approve ${id}` });
    await waitForReply(s.tg, -1001, (t) => t.includes("only the operator's approvers"));
    s.tg.pushMessage({ chatId: -1001, from: CARA, text: `deny ${id}` });
    await waitForReply(s.tg, -1001, (t) => t === 'permission: reject');
    expect(await decisions(await sessionOf('team'))).toMatchObject([
      { id, allow: false, by: 'operator', decided_by: 'telegram:333' },
    ]);
  });

  it('a redelivered answer acts at most once and never on a newer request', async () => {
    s = await startWithTelegram(ASKING_AGENT);
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'ask edit first.md' });
    const id = await askedId(111, 'first.md');
    const answer = { chatId: 111, from: ANN, text: `approve ${id}`, messageId: 5000 };
    s.tg.pushMessage(answer);
    await waitForReply(s.tg, 111, (t) => t === 'permission: allow');

    // A new session for the chat (its ids used to start again at p1), with a request pending.
    const first = await sessionOf('dm-111');
    expect((await s.h.run(['session', 'rm', first])).code).toBe(0);
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'ask edit second.md' });
    const id2 = await askedId(111, 'second.md');
    const second = await sessionOf('dm-111');
    expect(second).not.toBe(first);

    // The old answer comes again (same message id, as after a lost offset), then a real "deny".
    s.tg.pushMessage(answer);
    s.tg.pushMessage({ chatId: 111, from: ANN, text: `deny ${id2}` });
    await waitForReply(s.tg, 111, (t) => t === `Denied ${id2}.`);
    await waitForReply(s.tg, 111, (t) => t === 'permission: reject');
    expect(s.tg.sentTo(111).filter((m) => m.text === `Approved ${id}.`)).toHaveLength(1);
    expect(await decisions(second)).toMatchObject([{ id: id2, allow: false, decided_by: 'telegram:111' }]);
  });

  it('an expired request cannot be approved (limits.permission_timeout)', async () => {
    s = await startWithTelegram(ASKING_AGENT, undefined, (t) =>
      t.replace('turn_timeout = "20s"', 'turn_timeout = "20s"\npermission_timeout = "1s"'),
    );
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'ask edit late.md' });
    const id = await askedId(111, 'late.md');
    expect(s.tg.sentTo(111).find((m) => m.text.includes(id))!.text).toContain('within 1s');
    await waitForReply(s.tg, 111, (t) => t === 'permission: reject');
    s.tg.pushMessage({ chatId: 111, from: ANN, text: `approve ${id}` });
    await waitForReply(s.tg, 111, (t) => t.startsWith(`There is no pending request ${id}`));
    expect(await decisions(await sessionOf('dm-111'))).toMatchObject([
      { id, allow: false, by: 'timeout', decided_by: null },
    ]);
  });

  it('treats "approve p9" (not a request id) as an ordinary message', async () => {
    s = await startWithTelegram(ASKING_AGENT);
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'approve p9' });
    const reply = await waitForReply(s.tg, 111, (t) => t.includes('you said'));
    expect(reply).toContain('approve p9');
  });
});
