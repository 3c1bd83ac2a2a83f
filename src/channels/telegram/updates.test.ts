import type { Message, Update } from 'grammy/types';
import { describe, expect, it } from 'vitest';
import { toInbound, type BotIdentity } from './updates.js';

const BOT: BotIdentity = { id: 424242, username: 'forge_test_bot' };
const ANN = { id: 111, is_bot: false, first_name: 'Ann', last_name: 'Lee', username: 'ann' };

let nextId = 1;
function update(fields: Record<string, unknown>, chat: Record<string, unknown> = {}): Update {
  const message = {
    message_id: nextId++,
    date: 1_700_000_000,
    chat: { id: 111, type: 'private', first_name: 'Ann', ...chat },
    from: ANN,
    ...fields,
  } as unknown as Message;
  return { update_id: nextId++, message } as Update;
}

const file = { file_id: 'f', file_unique_id: 'u' };

describe('toInbound', () => {
  it('maps a text message with its ids, sender and time', () => {
    const m = toInbound(update({ text: 'hello', message_id: 9 }), BOT);
    expect(m).toMatchObject({
      channel: 'telegram',
      chatId: '111',
      chatType: 'private',
      chatTitle: null,
      messageId: '9',
      senderId: '111',
      senderName: 'Ann Lee',
      senderUsername: 'ann',
      text: 'hello',
      ts: 1_700_000_000_000,
      mentionsBot: false,
      replyToBot: false,
    });
  });

  it('turns media into readable placeholders, with the caption after them', () => {
    expect(toInbound(update({ photo: [{ ...file, width: 1, height: 1 }], caption: 'look' }), BOT)?.text).toBe(
      '[photo] look',
    );
    expect(toInbound(update({ photo: [{ ...file, width: 1, height: 1 }] }), BOT)?.text).toBe('[photo]');
    expect(toInbound(update({ voice: { ...file, duration: 3 } }), BOT)?.text).toBe('[voice]');
    expect(toInbound(update({ document: { ...file, file_name: 'report.pdf' } }), BOT)?.text).toBe(
      '[document: report.pdf]',
    );
    expect(toInbound(update({ document: { ...file } }), BOT)?.text).toBe('[document: unnamed]');
    expect(
      toInbound(update({ sticker: { ...file, emoji: '👍', type: 'regular', width: 1, height: 1 } }), BOT)
        ?.text,
    ).toBe('[sticker 👍]');
    expect(toInbound(update({ location: { latitude: 1.5, longitude: -2 } }), BOT)?.text).toBe(
      '[location: 1.5, -2]',
    );
  });

  it('skips what carries nothing usable: no message, no sender, bots, empty text', () => {
    expect(toInbound({ update_id: 1 }, BOT)).toBeUndefined();
    expect(toInbound(update({ text: 'hi', from: undefined }), BOT)).toBeUndefined();
    expect(
      toInbound(update({ text: 'hi', from: { id: 7, is_bot: true, first_name: 'B' } }), BOT),
    ).toBeUndefined();
    expect(toInbound(update({ text: '' }), BOT)).toBeUndefined();
    expect(toInbound(update({}), BOT)).toBeUndefined();
  });

  it('skips malformed updates instead of throwing (a throw would wedge the poller on that batch)', () => {
    const bad: unknown[] = [
      null,
      'x',
      { update_id: 1, message: null },
      { update_id: 1, message: { message_id: 1, date: 1, chat: null, from: ANN, text: 'hi' } },
      {
        update_id: 1,
        message: { message_id: 1, date: 1, chat: { id: 1, type: 'private' }, from: 'Ann', text: 'hi' },
      },
      {
        update_id: 1,
        message: { message_id: '1', date: 1, chat: { id: 1, type: 'private' }, from: ANN, text: 'hi' },
      },
      {
        update_id: 1,
        message: { message_id: 1, date: 1, chat: { id: 1, type: 'weird' }, from: ANN, text: 'hi' },
      },
      {
        update_id: 1,
        message: { message_id: 1, date: 1, chat: { id: 1, type: 'private' }, from: ANN, text: 42 },
      },
    ];
    for (const u of bad) expect(toInbound(u as Update, BOT)).toBeUndefined();
    // Cosmetic fields that are malformed are ignored; the message itself still gets through.
    const odd = toInbound(
      update({ text: 'hi @forge_test_bot', entities: 'oops', audio: null, date: 'x' }),
      BOT,
    );
    expect(odd).toMatchObject({ text: '[audio] hi @forge_test_bot', mentionsBot: true });
    expect(Number.isFinite(odd?.ts)).toBe(true);
  });

  it('falls back to the username, then the id, for the sender name', () => {
    expect(
      toInbound(update({ text: 'x', from: { id: 5, is_bot: false, first_name: '', username: 'zed' } }), BOT)
        ?.senderName,
    ).toBe('zed');
    expect(
      toInbound(update({ text: 'x', from: { id: 5, is_bot: false, first_name: '' } }), BOT)?.senderName,
    ).toBe('5');
  });

  it('keeps the group title and type', () => {
    const m = toInbound(update({ text: 'x' }, { id: -100, type: 'supergroup', title: 'Team' }), BOT);
    expect(m).toMatchObject({ chatId: '-100', chatType: 'supergroup', chatTitle: 'Team' });
  });

  describe('mention of the bot', () => {
    const group = { id: -100, type: 'group', title: 'Team' };

    it('is seen through a mention entity, case-insensitively', () => {
      const text = 'hey @Forge_Test_Bot what now';
      const m = toInbound(
        update({ text, entities: [{ type: 'mention', offset: 4, length: 15 }] }, group),
        BOT,
      );
      expect(m?.mentionsBot).toBe(true);
    });

    it('is seen in a caption through caption entities', () => {
      const caption = '@forge_test_bot see this';
      const m = toInbound(
        update(
          {
            photo: [{ ...file, width: 1, height: 1 }],
            caption,
            caption_entities: [{ type: 'mention', offset: 0, length: 15 }],
          },
          group,
        ),
        BOT,
      );
      expect(m?.mentionsBot).toBe(true);
      expect(m?.text).toBe('[photo] @forge_test_bot see this');
    });

    it('is seen in the text even without entities', () => {
      expect(toInbound(update({ text: 'ping @forge_test_bot' }, group), BOT)?.mentionsBot).toBe(true);
    });

    it('is not a mention of somebody else, even a name that starts with ours', () => {
      expect(
        toInbound(
          update({ text: 'ask @alice please', entities: [{ type: 'mention', offset: 4, length: 6 }] }, group),
          BOT,
        )?.mentionsBot,
      ).toBe(false);
      const other = 'ask @forge_test_bot_two please';
      expect(
        toInbound(update({ text: other, entities: [{ type: 'mention', offset: 4, length: 19 }] }, group), BOT)
          ?.mentionsBot,
      ).toBe(false);
      expect(toInbound(update({ text: 'forge_test_bot without at' }, group), BOT)?.mentionsBot).toBe(false);
    });

    it('is never claimed before the bot knows its own name', () => {
      expect(toInbound(update({ text: 'ping @forge_test_bot' }, group), null)?.mentionsBot).toBe(false);
    });
  });

  describe('reply to the bot', () => {
    const chat = { id: -100, type: 'group', title: 'Team' };
    const replyFrom = (from: Record<string, unknown>) => ({
      message_id: 1,
      date: 0,
      chat,
      from,
      text: 'earlier',
    });

    it('is a reply to a message the bot sent', () => {
      const m = toInbound(
        update(
          { text: 'yes', reply_to_message: replyFrom({ id: BOT.id, is_bot: true, first_name: 'Forge' }) },
          chat,
        ),
        BOT,
      );
      expect(m?.replyToBot).toBe(true);
    });

    it('is not a reply to someone else, nor a plain message', () => {
      expect(
        toInbound(
          update(
            { text: 'yes', reply_to_message: replyFrom({ id: 5, is_bot: false, first_name: 'C' }) },
            chat,
          ),
          BOT,
        )?.replyToBot,
      ).toBe(false);
      expect(toInbound(update({ text: 'yes' }, chat), BOT)?.replyToBot).toBe(false);
      expect(
        toInbound(
          update(
            { text: 'yes', reply_to_message: replyFrom({ id: BOT.id, is_bot: true, first_name: 'F' }) },
            chat,
          ),
          null,
        )?.replyToBot,
      ).toBe(false);
    });
  });
});
