/**
 * The bot pool (issue 15, item 7): send_message(text, sender) speaks through a pool bot assigned
 * to that sender, renamed once with setMyName; the mapping is persisted and shown in status, and
 * holds across a restart; a sender beyond the pool, or whose bot is not in the chat, falls back to
 * the main bot with the sender's name as a prefix. Pool bots never poll.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, waitFor } from '../helpers/harness.js';
import { startWithTelegram, waitForReply, type TelegramSetup } from '../helpers/telegram-home.js';

let s: TelegramSetup | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

const ANN = { id: 111, first_name: 'Ann' };
const GROUP = -1001;

const withPool = (t: string): string =>
  t.replace('[channels.telegram]', '[channels.telegram]\nbot_pool = ["env:AF_POOL_1", "env:AF_POOL_2"]');

async function speak(sender: string, text: string): Promise<void> {
  s!.tg.pushMessage({
    chatId: GROUP,
    from: ANN,
    text: `tool send_message {"text":"${text}","sender":"${sender}"}`,
  });
  await waitFor(
    () => s!.tg.sent.find((m) => m.chat_id === String(GROUP) && m.text.includes(text)),
    20_000,
    text,
  );
}

describe('bot pool', () => {
  it('two senders speak through two pool bots, stable after a restart; a third falls back with a prefix', async () => {
    const env: Record<string, string> = {};
    s = await startWithTelegram(
      '',
      (tg) => {
        env['AF_POOL_1'] = tg.addBot(5001, 'pool_one_bot');
        env['AF_POOL_2'] = tg.addBot(5002, 'pool_two_bot');
      },
      withPool,
      env,
    );
    expect((await s.h.run(['group', 'add', String(GROUP), '--folder', 'swarm', '--main'])).code).toBe(0);
    await speak('Researcher', 'r-one');
    await speak('Writer', 'w-one');
    const by = (text: string) =>
      s!.tg.sent.find((m) => m.chat_id === String(GROUP) && m.text.includes(text))!;
    const researcherBot = s.tg.botOf(by('r-one'));
    const writerBot = s.tg.botOf(by('w-one'));
    expect(new Set([researcherBot, writerBot])).toEqual(new Set(['pool_one_bot', 'pool_two_bot']));
    expect(by('r-one').text).toBe('r-one');
    expect(s.tg.names.map((n) => n.name).sort()).toEqual(['Researcher', 'Writer']);

    await speak('Critic', 'c-one');
    expect(s.tg.botOf(by('c-one'))).toBe('forge_test_bot');
    expect(by('c-one').text).toBe('Critic: c-one');

    const status = await s.h.json<{ channels: Array<{ bot_pool?: Array<{ sender: string; bot: string }> }> }>(
      ['status'],
    );
    expect(status.channels[0]!.bot_pool).toEqual(
      expect.arrayContaining([
        { sender: 'Researcher', bot: `@${researcherBot}` },
        { sender: 'Writer', bot: `@${writerBot}` },
      ]),
    );

    // Restart: the same identities, and no second rename.
    expect((await s.h.run(['daemon', 'stop'])).code).toBe(0);
    s.pid = await startDaemon(s.h);
    await speak('Writer', 'w-two');
    await speak('Researcher', 'r-two');
    expect(s.tg.botOf(by('w-two'))).toBe(writerBot);
    expect(s.tg.botOf(by('r-two'))).toBe(researcherBot);
    expect(s.tg.names).toHaveLength(2);
  });

  it('a pool bot that is not in the chat: the main bot sends, with the prefix', async () => {
    const env: Record<string, string> = {};
    s = await startWithTelegram(
      '',
      (tg) => {
        env['AF_POOL_1'] = tg.addBot(5001, 'pool_one_bot');
        env['AF_POOL_2'] = tg.addBot(5002, 'pool_two_bot');
        tg.notMember.add(`${env['AF_POOL_1']}:${GROUP}`);
        tg.notMember.add(`${env['AF_POOL_2']}:${GROUP}`);
      },
      withPool,
      env,
    );
    expect((await s.h.run(['group', 'add', String(GROUP), '--folder', 'swarm', '--main'])).code).toBe(0);
    await speak('Researcher', 'outside');
    const m = s.tg.sent.find((x) => x.text.includes('outside'))!;
    expect(s.tg.botOf(m)).toBe('forge_test_bot');
    expect(m.text).toBe('Researcher: outside');
    await waitForReply(s.tg, GROUP, (t) => t.includes('queued message'));
  });
});
