/**
 * Approve / Deny buttons on permission requests (issue 15, item 2): a press by an approver decides
 * the request and the question is edited to say so and by whom (buttons gone); a press by anyone
 * else changes nothing and is told so in an alert; a request that expired says so, and a press on
 * it changes nothing. Typed answers keep working and edit the question too.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/harness.js';
import { apiEvents, apiShow } from '../helpers/sessions.js';
import { startWithTelegram, waitForReply, type TelegramSetup } from '../helpers/telegram-home.js';
import type { SentMessage } from '../fakes/telegram-api.js';

let s: TelegramSetup | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

const ASKING_AGENT = '[agents.asker]\npreset = "demo"\npermission_mode = "ask"\ndefault = true\n';
const ANN = { id: 111, first_name: 'Ann' }; // an approver (allowed_users)
const BOB = { id: 222, first_name: 'Bob' };

async function question(chat: number, title: string): Promise<{ msg: SentMessage; id: string }> {
  const text = await waitForReply(s!.tg, chat, (t) => t.includes('asks permission') && t.includes(title));
  const msg = s!.tg.sentTo(chat).find((m) => m.text === text)!;
  const id = /approve (p[a-z0-9]{6})/.exec(text)![1]!;
  return { msg, id };
}

const buttonData = (m: SentMessage): string[] =>
  (m.reply_markup?.inline_keyboard ?? []).flat().map((b) => b.callback_data ?? '');

async function sessionOf(folder: string): Promise<string> {
  const list = await s!.h.json<{ sessions: Array<{ id: string; group_folder: string }> }>([
    'session',
    'list',
  ]);
  return list.sessions.find((r) => r.group_folder === folder)!.id;
}

describe('permission buttons', () => {
  it('Approve by button decides; the question is edited to show who decided, buttons removed', async () => {
    s = await startWithTelegram(ASKING_AGENT);
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'ask edit notes.md' });
    const { msg, id } = await question(111, 'notes.md');
    expect(msg.reply_markup?.inline_keyboard.flat().map((b) => b.text)).toEqual(['Approve', 'Deny']);
    expect(buttonData(msg)).toEqual([`perm:allow:${id}`, `perm:deny:${id}`]);

    s.tg.pushPress({ chatId: 111, from: ANN, messageId: msg.message_id, data: `perm:allow:${id}` });
    await waitForReply(s.tg, 111, (t) => t === 'permission: allow');
    const edited = await waitFor(
      () => s!.tg.edits.find((e) => e.message_id === msg.message_id),
      10_000,
      'the question edited',
    );
    expect(edited.text).toBe(`Approved by Ann (telegram:111): edit "notes.md" (${id}).`);
    expect(edited.reply_markup).toBeUndefined();
    expect(s.tg.pressAnswers).toMatchObject([{ text: `Approved ${id}.`, show_alert: false }]);
    const decisions = (await apiEvents(s.h, await sessionOf('dm-111'))).filter(
      (e) => e.kind === 'permission',
    );
    expect(decisions.map((e) => e.data)).toMatchObject([{ id, allow: true, decided_by: 'telegram:111' }]);
  });

  it('a non-approver press changes nothing and is told so; Deny by an approver then decides', async () => {
    s = await startWithTelegram(ASKING_AGENT);
    expect((await s.h.run(['group', 'add', '-1001', '--folder', 'team', '--main'])).code).toBe(0);
    s.tg.pushMessage({ chatId: -1001, from: BOB, text: 'ask delete plan.md' });
    const { msg, id } = await question(-1001, 'plan.md');

    s.tg.pushPress({ chatId: -1001, from: BOB, messageId: msg.message_id, data: `perm:allow:${id}` });
    await waitFor(() => s!.tg.pressAnswers.length === 1, 10_000, 'the refusal alert');
    expect(s.tg.pressAnswers[0]).toMatchObject({ show_alert: true });
    expect(s.tg.pressAnswers[0]!.text).toContain("Only the operator's approvers");
    const team = await sessionOf('team');
    expect((await apiShow(s.h, team)).pending_permissions.map((p) => p.id)).toEqual([id]);

    s.tg.pushPress({ chatId: -1001, from: ANN, messageId: msg.message_id, data: `perm:deny:${id}` });
    await waitForReply(s.tg, -1001, (t) => t === 'permission: reject');
    const edited = await waitFor(
      () => s!.tg.edits.find((e) => e.message_id === msg.message_id),
      10_000,
      'edit',
    );
    expect(edited.text).toBe(`Denied by Ann (telegram:111): delete "plan.md" (${id}).`);
    // Bob's press left no edit of its own: the only edit is the decision.
    expect(s.tg.edits.filter((e) => e.message_id === msg.message_id)).toHaveLength(1);
  });

  it('an expired request says expired, and a late press changes nothing', async () => {
    s = await startWithTelegram(ASKING_AGENT, undefined, (t) =>
      t.replace('turn_timeout = "20s"', 'turn_timeout = "20s"\npermission_timeout = "1s"'),
    );
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'ask edit late.md' });
    const { msg, id } = await question(111, 'late.md');
    await waitForReply(s.tg, 111, (t) => t === 'permission: reject');
    const edited = await waitFor(
      () => s!.tg.edits.find((e) => e.message_id === msg.message_id),
      10_000,
      'edit',
    );
    expect(edited.text).toContain(`Expired: nobody answered permission request ${id}`);

    s.tg.pushPress({ chatId: 111, from: ANN, messageId: msg.message_id, data: `perm:allow:${id}` });
    await waitFor(() => s!.tg.pressAnswers.length === 1, 10_000, 'the late press answered');
    expect(s.tg.pressAnswers[0]).toMatchObject({ show_alert: true });
    expect(s.tg.pressAnswers[0]!.text).toContain('no longer pending');
    const decisions = (await apiEvents(s.h, await sessionOf('dm-111'))).filter(
      (e) => e.kind === 'permission',
    );
    expect(decisions.map((e) => e.data)).toMatchObject([{ id, allow: false, by: 'timeout' }]);
  });

  it('a typed answer still works, and edits the question as well', async () => {
    s = await startWithTelegram(ASKING_AGENT);
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'ask edit typed.md' });
    const { msg, id } = await question(111, 'typed.md');
    s.tg.pushMessage({ chatId: 111, from: ANN, text: `approve ${id}` });
    await waitForReply(s.tg, 111, (t) => t === 'permission: allow');
    const edited = await waitFor(
      () => s!.tg.edits.find((e) => e.message_id === msg.message_id),
      10_000,
      'edit',
    );
    expect(edited.text).toBe(`Approved by telegram:111: edit "typed.md" (${id}).`);
  });
});
