/**
 * What the Telegram channel sends: messages (HTML, falling back to plain text when Telegram
 * rejects the entities), inline buttons, edits of our own messages, and the mapping of Bot API
 * errors to a SendOutcome the outbox acts on (429 waits, 5xx and network errors retry, the rest
 * fail for good).
 */
import { GrammyError, HttpError, type Api } from 'grammy';
import type { InlineKeyboardMarkup } from 'grammy/types';
import type { Logger } from 'pino';
import type { Buttons, SendOptions, SendOutcome } from '../../router/ports.js';
import { toTelegramHtml } from './render.js';

export function keyboard(buttons: Buttons | null | undefined): InlineKeyboardMarkup | undefined {
  if (buttons == null || buttons.length === 0) return undefined;
  return {
    inline_keyboard: buttons.map((row) => row.map((b) => ({ text: b.text, callback_data: b.action }))),
  };
}

const isEntityError = (err: unknown): boolean =>
  err instanceof GrammyError &&
  err.error_code === 400 &&
  /parse entities|can't find end/i.test(err.description);

/** HTML first; plain text when Telegram cannot parse what we made of the agent's text. */
async function htmlOrPlain<T>(
  log: Logger,
  chatId: string,
  call: (text: string, html: boolean) => Promise<T>,
  text: string,
): Promise<T> {
  try {
    return await call(toTelegramHtml(text), true);
  } catch (err) {
    if (!isEntityError(err)) throw err;
    log.warn({ chat: chatId }, 'telegram rejected formatting; resending as plain text');
    return call(text, false);
  }
}

export async function sendText(
  api: Api,
  log: Logger,
  chatId: string,
  text: string,
  opts: SendOptions,
): Promise<SendOutcome> {
  const reply = opts.replyTo
    ? { reply_parameters: { message_id: Number(opts.replyTo), allow_sending_without_reply: true } }
    : {};
  const markup = keyboard(opts.buttons);
  try {
    const msg = await htmlOrPlain(
      log,
      chatId,
      (t, html) =>
        api.sendMessage(chatId, t, {
          ...(html ? { parse_mode: 'HTML' as const } : {}),
          ...reply,
          ...(markup === undefined ? {} : { reply_markup: markup }),
        }),
      text,
    );
    return { ok: true, messageId: String(msg.message_id) };
  } catch (err) {
    return outcome(err);
  }
}

export async function editText(
  api: Api,
  log: Logger,
  chatId: string,
  messageId: string,
  text: string,
  buttons: Buttons | null | undefined,
): Promise<SendOutcome> {
  const markup = keyboard(buttons);
  try {
    await htmlOrPlain(
      log,
      chatId,
      (t, html) =>
        api.editMessageText(chatId, Number(messageId), t, {
          ...(html ? { parse_mode: 'HTML' as const } : {}),
          ...(markup === undefined ? {} : { reply_markup: markup }),
        }),
      text,
    );
    return { ok: true, messageId };
  } catch (err) {
    // The message already says this (a repeated edit, a resend after a crash): done, not failed.
    if (err instanceof GrammyError && err.error_code === 400 && /not modified/i.test(err.description))
      return { ok: true, messageId };
    return outcome(err);
  }
}

export async function draftText(
  api: Api,
  log: Logger,
  chatId: string,
  draftId: number,
  text: string,
): Promise<SendOutcome> {
  try {
    await htmlOrPlain(
      log,
      chatId,
      (t, html) =>
        api.sendMessageDraft(Number(chatId), draftId, t, html ? { parse_mode: 'HTML' as const } : {}),
      text,
    );
    return { ok: true };
  } catch (err) {
    return outcome(err);
  }
}

export function outcome(err: unknown): SendOutcome & { ok: false } {
  if (err instanceof GrammyError) {
    if (err.error_code === 429)
      return {
        ok: false,
        retryable: true,
        retryAfterMs: (err.parameters.retry_after ?? 1) * 1000,
        error: `429 ${err.description}`,
      };
    return { ok: false, retryable: err.error_code >= 500, error: `${err.error_code} ${err.description}` };
  }
  return {
    ok: false,
    retryable: true,
    error: err instanceof HttpError ? `network: ${err.message}` : String(err),
  };
}
