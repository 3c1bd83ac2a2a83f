/**
 * Sending replies: each gets its Message-ID from its outbox key before the first send and is
 * recorded `sending`, then `sent` right after the server's 250. A send found `sending` (the daemon
 * stopped in the middle, or the connection dropped after DATA) is looked up in the Sent mailbox
 * before it goes out again. Definite SMTP answers clear the doubt: 4xx retry, 5xx fail for good.
 */
import type { SendOutcome } from '../../router/ports.js';
import { describe } from './errors.js';
import { ourMessageId, replySubject } from './ids.js';
import { appendTo, hasMessageId, withClient, type ClientOptions } from './imap.js';
import { compose, sendRaw } from './smtp.js';
import type { EmailOptions } from './types.js';

export class ReplySender {
  smtpError: string | null = null;
  sent = 0;
  foundInSent = 0;

  constructor(
    private readonly opts: EmailOptions,
    private readonly account: string,
    /** A short-lived connection's options, for the Sent mailbox. */
    private readonly clientOptions: ClientOptions,
  ) {}

  async send(
    chatId: string,
    text: string,
    opts: { replyTo?: string | null; key?: string },
  ): Promise<SendOutcome> {
    const o = this.opts;
    const key = opts.key ?? `x${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const messageId = ourMessageId(key, o.idSalt, o.from);
    const state = o.store.sentState(messageId);
    if (state === 'sent') return { ok: true };
    if (state === 'sending') {
      // The last attempt may have reached the server before the daemon stopped: look first.
      const found = await this.#inSent(messageId);
      if (found) {
        o.store.setSentState(messageId, key, chatId, 'sent', Date.now());
        this.foundInSent++;
        o.metrics?.sent('found_in_sent');
        o.log.info({ messageId }, 'e-mail reply found in the Sent mailbox; not sending it again');
        return { ok: true };
      }
      o.log.warn(
        { messageId, to: chatId },
        'resending an e-mail reply that was in flight when the daemon stopped',
      );
    }
    const orig = opts.replyTo ? o.store.byMessageId(this.account, opts.replyTo) : undefined;
    const refs =
      orig === undefined
        ? []
        : [...(orig.refs?.split(' ') ?? []), ...(orig.message_id ? [orig.message_id] : [])];
    const raw = await compose({
      from: { name: o.fromName, address: o.from },
      // Always the From address of the chat (the sender), never a Reply-To it asked for.
      to: chatId,
      subject: orig === undefined ? `Message from ${o.fromName}` : replySubject(orig.subject ?? ''),
      text,
      messageId,
      inReplyTo: orig?.message_id ?? null,
      references: refs.filter((r) => r !== '').slice(-20),
    });
    o.store.setSentState(messageId, key, chatId, 'sending', Date.now());
    const r = await sendRaw(o.smtp, o.credentials, { from: o.from, to: chatId }, raw);
    if (!r.ok) {
      if (r.certain) o.store.clearSending(messageId);
      this.smtpError = r.error;
      o.metrics?.sent(r.permanent ? 'failed' : 'retry');
      o.log.warn({ to: chatId, err: r.error, permanent: r.permanent }, 'e-mail send failed');
      return { ok: false, retryable: !r.permanent, error: r.error };
    }
    o.store.setSentState(messageId, key, chatId, 'sent', Date.now());
    this.smtpError = null;
    this.sent++;
    o.metrics?.sent('sent');
    if (o.sentCopy === 'append') void this.#fileInSent(raw, messageId);
    return { ok: true };
  }

  async #inSent(messageId: string): Promise<boolean> {
    try {
      return await withClient(this.clientOptions, (c) => hasMessageId(c, this.opts.sentMailbox, messageId));
    } catch (err) {
      // Cannot look: sending again risks a duplicate, not sending risks a loss. Send.
      this.opts.log.warn({ err: describe(err) }, 'could not search the Sent mailbox');
      return false;
    }
  }

  async #fileInSent(raw: Buffer, messageId: string): Promise<void> {
    try {
      await withClient(this.clientOptions, (c) => appendTo(c, this.opts.sentMailbox, raw, ['\\Seen']));
    } catch (err) {
      this.opts.log.warn({ err: describe(err), messageId }, 'could not file the reply in the Sent mailbox');
    }
  }
}
