/**
 * Telegram Update → InboundMessage. Media become readable placeholders ("[photo]", "[voice]",
 * "[document: report.pdf]") so the agent knows something arrived. Anything we cannot use returns
 * undefined and is skipped (its offset still advances).
 */
import type { Update } from 'grammy/types';
import type { ButtonPress, InboundFile, InboundMessage } from '../../router/ports.js';

/** The Bot API serves files of at most 20 MB through getFile. */
export const BOT_API_MAX_DOWNLOAD = 20 * 1024 * 1024;

export type BotIdentity = { readonly id: number; readonly username: string };

/** A JSON object (not null, not an array): anything else in an update is unusable. */
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const CHAT_TYPES = new Set(['private', 'group', 'supergroup', 'channel']);

function placeholder(m: Obj): string | undefined {
  const field = (name: string): Obj | undefined => (isObj(m[name]) ? m[name] : undefined);
  if (m['photo'] !== undefined) return '[photo]';
  if (m['voice'] !== undefined) return '[voice]';
  if (m['video'] !== undefined) return '[video]';
  if (m['video_note'] !== undefined) return '[video note]';
  if (m['audio'] !== undefined) {
    const title = str(field('audio')?.['title']);
    return `[audio${title ? `: ${title}` : ''}]`;
  }
  if (m['document'] !== undefined) return `[document: ${str(field('document')?.['file_name']) ?? 'unnamed'}]`;
  if (m['sticker'] !== undefined) {
    const emoji = str(field('sticker')?.['emoji']);
    return `[sticker${emoji ? ` ${emoji}` : ''}]`;
  }
  if (m['animation'] !== undefined) return '[animation]';
  if (m['location'] !== undefined) {
    const loc = field('location');
    return `[location: ${String(loc?.['latitude'])}, ${String(loc?.['longitude'])}]`;
  }
  if (m['contact'] !== undefined) return `[contact: ${str(field('contact')?.['first_name']) ?? '?'}]`;
  if (m['poll'] !== undefined) return `[poll: ${str(field('poll')?.['question']) ?? '?'}]`;
  return undefined;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * The files a message brought. A photo comes in several sizes: the largest that can be fetched
 * (under the Bot API's download limit), else the largest there is (described, not fetched).
 */
export function filesOf(m: Obj): InboundFile[] {
  const out: InboundFile[] = [];
  const file = (kind: InboundFile['kind'], f: unknown, mime?: string): void => {
    if (!isObj(f) || typeof f['file_id'] !== 'string') return;
    out.push({
      kind,
      fileId: f['file_id'],
      name: str(f['file_name']) ?? null,
      mime: str(f['mime_type']) ?? mime ?? null,
      size: num(f['file_size']),
    });
  };
  if (Array.isArray(m['photo'])) {
    const sizes = (m['photo'] as unknown[]).filter(isObj).filter((p) => typeof p['file_id'] === 'string');
    const area = (p: Obj): number => (num(p['width']) ?? 0) * (num(p['height']) ?? 0);
    sizes.sort((a, b) => area(b) - area(a));
    const best = sizes.find((p) => (num(p['file_size']) ?? 0) <= BOT_API_MAX_DOWNLOAD) ?? sizes[0];
    file('photo', best, 'image/jpeg');
  }
  file('document', m['document']);
  file('voice', m['voice'], 'audio/ogg');
  file('audio', m['audio']);
  file('video', m['video']);
  file('video_note', m['video_note'], 'video/mp4');
  file('animation', m['animation']);
  return out;
}

/** "@name" not followed by another username character: "@name_two" is somebody else. */
function mentionPattern(username: string): RegExp {
  return new RegExp(`@${username.replace(/[^a-z0-9_]/g, '')}(?![a-z0-9_])`, 'i');
}

/**
 * Telegram sends well-formed updates, but the update is read field by field all the same: a
 * malformed one (a proxy, a test server, a protocol change) must be skipped, not throw — a throw
 * here fails the whole batch, which is then fetched again and again, and the bot goes deaf.
 */
export function toInbound(update: Update, bot: BotIdentity | null): InboundMessage | undefined {
  const u: unknown = update;
  const m = isObj(u) ? u['message'] : undefined;
  if (!isObj(m) || !isObj(m['from']) || !isObj(m['chat'])) return undefined;
  const from = m['from'];
  const chat = m['chat'];
  if (from['is_bot'] === true || !isId(from['id']) || !isId(chat['id']) || !isId(m['message_id']))
    return undefined;
  const chatType = str(chat['type']);
  if (chatType === undefined || !CHAT_TYPES.has(chatType)) return undefined;
  const media = placeholder(m);
  const body = str(m['text']) ?? str(m['caption']);
  const text = [media, body].filter((s) => s !== undefined && s !== '').join(' ');
  if (text === '') return undefined;
  const username = bot?.username.toLowerCase();
  const rawEntities = Array.isArray(m['entities'])
    ? m['entities']
    : Array.isArray(m['caption_entities'])
      ? m['caption_entities']
      : [];
  const entities = (rawEntities as unknown[]).filter(isObj);
  const mentionsBot =
    username !== undefined &&
    (entities.some(
      (e) =>
        e['type'] === 'mention' &&
        typeof e['offset'] === 'number' &&
        typeof e['length'] === 'number' &&
        (body ?? '').slice(e['offset'] + 1, e['offset'] + e['length']).toLowerCase() === username,
    ) ||
      mentionPattern(username).test(body ?? ''));
  const name =
    [str(from['first_name']), str(from['last_name'])].filter(Boolean).join(' ') ||
    str(from['username']) ||
    String(from['id']);
  const ts = typeof m['date'] === 'number' ? m['date'] * 1000 : NaN;
  const files = filesOf(m);
  const replyTo = m['reply_to_message'];
  const replyFrom = isObj(replyTo) && isObj(replyTo['from']) ? replyTo['from']['id'] : undefined;
  return {
    channel: 'telegram',
    chatId: String(chat['id']),
    chatType: chatType as InboundMessage['chatType'],
    chatTitle: str(chat['title']) ?? null,
    messageId: String(m['message_id']),
    senderId: String(from['id']),
    senderName: name,
    senderUsername: str(from['username']) ?? null,
    text,
    // Telegram's date is in seconds; without a usable one, the time it reached us.
    ts: Number.isFinite(ts) && ts >= 0 ? ts : Date.now(),
    mentionsBot,
    replyToBot: bot !== null && replyFrom === bot.id,
    ...(files.length > 0 ? { files } : {}),
  };
}

/**
 * A callback_query (a press on one of our inline buttons) → ButtonPress; undefined when it is not
 * one we can use (no data, no message: e.g. a button under an inline-mode message).
 */
export function toPress(update: Update): (ButtonPress & { readonly queryId: string }) | undefined {
  const u: unknown = update;
  const q = isObj(u) ? u['callback_query'] : undefined;
  if (!isObj(q) || !isObj(q['from']) || typeof q['id'] !== 'string') return undefined;
  const from = q['from'];
  const msg = q['message'];
  const data = str(q['data']);
  if (!isObj(msg) || !isObj(msg['chat']) || data === undefined || !isId(from['id'])) return undefined;
  const chatId = msg['chat']['id'];
  if (!isId(chatId) || !isId(msg['message_id'])) return undefined;
  const name =
    [str(from['first_name']), str(from['last_name'])].filter(Boolean).join(' ') ||
    str(from['username']) ||
    null;
  return {
    queryId: q['id'],
    channel: 'telegram',
    chatId: String(chatId),
    messageId: String(msg['message_id']),
    senderId: String(from['id']),
    senderName: name,
    action: data,
  };
}
