/**
 * Chat commands (issue 15, item 5) and replies in context (item 6): /status answers without
 * starting an agent, /stop ends a `hang` turn (not retried), /new starts a fresh session and keeps
 * the old one (approvers only in a group), /help lists them, setMyCommands runs at start; in a
 * group the agent's reply answers the message that triggered the turn.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/harness.js';
import { startWithTelegram, waitForReply, type TelegramSetup } from '../helpers/telegram-home.js';

let s: TelegramSetup | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

const ANN = { id: 111, first_name: 'Ann' }; // approver
const BOB = { id: 222, first_name: 'Bob' };

type SessionList = { sessions: Array<{ id: string; group_folder: string; state: string; live: string }> };
const sessions = async (folder: string) =>
  (await s!.h.json<SessionList>(['session', 'list'])).sessions.filter((r) => r.group_folder === folder);

describe('chat commands', () => {
  it('sets the command menu; /help and /status answer without starting an agent', async () => {
    s = await startWithTelegram();
    await waitFor(() => s!.tg.callsOf('setMyCommands').length > 0, 10_000, 'setMyCommands');
    const menu = s.tg.callsOf('setMyCommands')[0]!.params['commands'] as Array<{ command: string }>;
    expect(menu.map((c) => c.command)).toEqual(['stop', 'new', 'status', 'help']);

    s.tg.pushMessage({ chatId: 111, from: ANN, text: '/status' });
    const status = await waitForReply(s.tg, 111, (t) => t.startsWith('Agent:'));
    expect(status).toContain('Agent: demo');
    expect(status).toContain('Session: none yet');
    expect(status).toContain('Last error: none');
    s.tg.pushMessage({ chatId: 111, from: ANN, text: '/help' });
    const help = await waitForReply(s.tg, 111, (t) => t.includes('/stop'));
    expect(help).toContain('/new');
    // Nothing was started for either: no session exists for the chat.
    expect(await sessions('dm-111')).toEqual([]);
  });

  it('/stop ends a hang turn, which is not retried; the next message is answered', async () => {
    s = await startWithTelegram();
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'hang' });
    await waitFor(async () => (await sessions('dm-111'))[0]?.live === 'busy', 15_000, 'a busy turn');
    s.tg.pushMessage({ chatId: 111, from: ANN, text: '/stop' });
    await waitForReply(s.tg, 111, (t) => t === 'Stopping the running answer.');
    await waitFor(async () => (await sessions('dm-111'))[0]?.live !== 'busy', 15_000, 'the turn ended');
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'echo after-stop' });
    await waitForReply(s.tg, 111, (t) => t.startsWith('after-stop'));
    s.tg.pushMessage({ chatId: 111, from: ANN, text: '/status' });
    const status = await waitForReply(s.tg, 111, (t) => t.startsWith('Agent:'));
    expect(status).toContain('Last error: cancelled');
    // The hang was neither retried nor apologised for.
    expect(s.tg.sentTo(111).filter((m) => m.text.includes('hanging'))).toEqual([]);
    expect(s.tg.sentTo(111).some((m) => m.text.startsWith('Sorry'))).toBe(false);
    s.tg.pushMessage({ chatId: 111, from: ANN, text: '/stop' });
    await waitForReply(s.tg, 111, (t) => t === 'Nothing is running in this chat.');
  });

  it('/new starts a fresh session and keeps the old one; in a group only an approver may', async () => {
    s = await startWithTelegram();
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'echo first' });
    await waitForReply(s.tg, 111, (t) => t === 'first');
    const [old] = await sessions('dm-111');
    s.tg.pushMessage({ chatId: 111, from: ANN, text: '/new' });
    const started = await waitForReply(s.tg, 111, (t) => t.startsWith('Started a fresh session'));
    expect(started).toContain(`The previous one (${old!.id}) is kept`);
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'echo second' });
    await waitForReply(s.tg, 111, (t) => t.startsWith('second'));
    const all = await sessions('dm-111');
    expect(all).toHaveLength(2);
    const fresh = all.find((r) => r.id !== old!.id)!;
    expect(started).toContain(fresh.id);
    const show = await s.h.json<{ turns: number }>(['session', 'show', fresh.id]);
    expect(show.turns).toBe(1);

    expect((await s.h.run(['group', 'add', '-1001', '--folder', 'team', '--main'])).code).toBe(0);
    s.tg.pushMessage({ chatId: -1001, from: BOB, text: '/new' });
    await waitForReply(s.tg, -1001, (t) => t.includes("only the operator's approvers"));
    expect(await sessions('team')).toEqual([]);
    s.tg.pushMessage({ chatId: -1001, from: ANN, text: '/new@forge_test_bot' });
    await waitForReply(s.tg, -1001, (t) => t.startsWith('Started a fresh session'));
    expect(await sessions('team')).toHaveLength(1);
    // A command for another bot is an ordinary message.
    s.tg.pushMessage({ chatId: -1001, from: ANN, text: '/new@other_bot' });
    await waitForReply(s.tg, -1001, (t) => t.includes('you said: /new@other_bot'));
  });

  it('in a group, the reply answers the message that triggered the turn', async () => {
    s = await startWithTelegram();
    expect((await s.h.run(['group', 'add', '-1002', '--folder', 'crew', '--main'])).code).toBe(0);
    const id = s.tg.pushMessage({ chatId: -1002, from: BOB, text: 'echo in-context' });
    await waitForReply(s.tg, -1002, (t) => t === 'in-context');
    expect(s.tg.sentTo(-1002).find((m) => m.text === 'in-context')!.reply_to).toBe(id);
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'echo dm' });
    await waitForReply(s.tg, 111, (t) => t === 'dm');
    expect(s.tg.sentTo(111).find((m) => m.text === 'dm')!.reply_to).toBeUndefined();
  });
});
