import { afterEach, describe, expect, it } from 'vitest';
import { startWithTelegram, waitForReply, type TelegramSetup } from '../helpers/telegram-home.js';

let s: TelegramSetup | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

const ASKING_AGENT = '[agents.asker]\npreset = "demo"\npermission_mode = "ask"\ndefault = true\n';

describe('permission requests in the chat (permission_mode = "ask")', () => {
  it('puts the request to the chat and the reply decides it', async () => {
    s = await startWithTelegram(ASKING_AGENT);
    const user = { id: 111, first_name: 'Ann' };
    s.tg.pushMessage({ chatId: 111, from: user, text: 'ask edit notes.md' });
    const question = await waitForReply(s.tg, 111, (t) => t.includes('asks permission'));
    const id = /approve (p\d+)/.exec(question)?.[1];
    expect(id).toBeDefined();
    expect(question).toContain('notes.md');
    s.tg.pushMessage({ chatId: 111, from: user, text: `approve ${id}` });
    await waitForReply(s.tg, 111, (t) => t === `Approved ${id}.`);
    await waitForReply(s.tg, 111, (t) => t === 'permission: allow');

    s.tg.pushMessage({ chatId: 111, from: user, text: 'ask delete old.md' });
    const second = await waitForReply(
      s.tg,
      111,
      (t) => t.includes('asks permission') && t.includes('old.md'),
    );
    const id2 = /deny (p\d+)/.exec(second)?.[1];
    s.tg.pushMessage({ chatId: 111, from: user, text: `deny ${id2}` });
    await waitForReply(s.tg, 111, (t) => t === 'permission: reject');
    // The answers started no turn of their own: every agent reply is one of the two verdicts.
    const verdicts = s.tg.sentTo(111).filter((m) => m.text.startsWith('permission:'));
    expect(verdicts.map((m) => m.text)).toEqual(['permission: allow', 'permission: reject']);
  });

  it('treats "approve p9" with nothing pending as an ordinary message', async () => {
    s = await startWithTelegram(ASKING_AGENT);
    s.tg.pushMessage({ chatId: 111, from: { id: 111, first_name: 'Ann' }, text: 'approve p9' });
    const reply = await waitForReply(s.tg, 111, (t) => t.includes('you said'));
    expect(reply).toContain('approve p9');
  });
});
