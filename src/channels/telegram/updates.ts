/**
 * Telegram Update → InboundMessage. Media become readable placeholders ("[photo]", "[voice]",
 * "[document: report.pdf]") so the agent knows something arrived. Anything we cannot use returns
 * undefined and is skipped (its offset still advances).
 */
import type { Message, Update } from 'grammy/types';
import type { InboundMessage } from '../../router/ports.js';

export type BotIdentity = { readonly id: number; readonly username: string };

function placeholder(m: Message): string | undefined {
  if (m.photo !== undefined) return '[photo]';
  if (m.voice !== undefined) return '[voice]';
  if (m.video !== undefined) return '[video]';
  if (m.video_note !== undefined) return '[video note]';
  if (m.audio !== undefined) return `[audio${m.audio.title ? `: ${m.audio.title}` : ''}]`;
  if (m.document !== undefined) return `[document: ${m.document.file_name ?? 'unnamed'}]`;
  if (m.sticker !== undefined) return `[sticker${m.sticker.emoji ? ` ${m.sticker.emoji}` : ''}]`;
  if (m.animation !== undefined) return '[animation]';
  if (m.location !== undefined) return `[location: ${m.location.latitude}, ${m.location.longitude}]`;
  if (m.contact !== undefined) return `[contact: ${m.contact.first_name}]`;
  if (m.poll !== undefined) return `[poll: ${m.poll.question}]`;
  return undefined;
}

/** "@name" not followed by another username character: "@name_two" is somebody else. */
function mentionPattern(username: string): RegExp {
  return new RegExp(`@${username.replace(/[^a-z0-9_]/g, '')}(?![a-z0-9_])`, 'i');
}

export function toInbound(update: Update, bot: BotIdentity | null): InboundMessage | undefined {
  const m = update.message;
  if (m === undefined || m.from === undefined || m.from.is_bot) return undefined;
  const media = placeholder(m);
  const body = m.text ?? m.caption;
  const text = [media, body].filter((s) => s !== undefined && s !== '').join(' ');
  if (text === '') return undefined;
  const username = bot?.username.toLowerCase();
  const entities = m.entities ?? m.caption_entities ?? [];
  const mentionsBot =
    username !== undefined &&
    (entities.some(
      (e) =>
        e.type === 'mention' &&
        (body ?? '').slice(e.offset + 1, e.offset + e.length).toLowerCase() === username,
    ) ||
      mentionPattern(username).test(body ?? ''));
  const name =
    [m.from.first_name, m.from.last_name].filter(Boolean).join(' ') || m.from.username || String(m.from.id);
  return {
    channel: 'telegram',
    chatId: String(m.chat.id),
    chatType: m.chat.type,
    chatTitle: 'title' in m.chat ? (m.chat.title ?? null) : null,
    messageId: String(m.message_id),
    senderId: String(m.from.id),
    senderName: name,
    senderUsername: m.from.username ?? null,
    text,
    ts: m.date * 1000,
    mentionsBot,
    replyToBot: bot !== null && m.reply_to_message?.from?.id === bot.id,
  };
}
