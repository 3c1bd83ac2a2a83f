/**
 * The e-mail channel: IMAP in (IDLE-driven, synced by UID cursor), SMTP out (threaded replies,
 * Message-IDs assigned before the first send). A sender is a chat (one group per sender), a
 * thread is a conversation in it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ImapFlow } from 'imapflow';
import type { Channel, ChannelHealth, ChannelLimits, InboundSink, SendOutcome } from '../../router/ports.js';
import { ourMessageId, replySubject } from './ids.js';
import { appendTo, hasMessageId, newClient, withClient, type ClientOptions } from './imap.js';
import { compose, sendRaw } from './smtp.js';
import { MailboxSync } from './sync.js';
import type { EmailOptions } from './types.js';

const BACKOFF_MIN_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;
/** A mail is one part: the outbox never splits a reply into several mails. */
export const EMAIL_MAX_MESSAGE = 1_000_000;

export type EmailStats = {
  syncs: number;
  syncErrors: number;
  connects: number;
  fetched: number;
  accepted: number;
  sent: number;
  foundInSent: number;
};

export class EmailChannel implements Channel {
  readonly name = 'email';
  readonly maxMessageLength = EMAIL_MAX_MESSAGE;
  readonly botMention = null;
  // Mail has no per-chat rate limit worth pacing for; the per-sender reply cap guards volume.
  readonly limits: ChannelLimits = { perChatPerS: 1000, perGroupPerMin: 100_000, globalPerS: 1000 };
  readonly livenessMs: number;
  readonly stats: EmailStats = {
    syncs: 0,
    syncErrors: 0,
    connects: 0,
    fetched: 0,
    accepted: 0,
    sent: 0,
    foundInSent: 0,
  };
  readonly #sync: MailboxSync;
  readonly #stop = new AbortController();
  #client: ImapFlow | undefined;
  #loop: Promise<void> | undefined;
  #syncing: Promise<void> | undefined;
  #again = false;
  #pollTimer: NodeJS.Timeout | undefined;
  #connected = false;
  #lastSyncAt: number | null = null;
  #lastProgressAt: number | null = null;
  #imapError: string | null = null;
  #smtpError: string | null = null;

  constructor(
    private readonly opts: EmailOptions,
    private readonly sinkRef: { sink: InboundSink | undefined } = { sink: undefined },
  ) {
    this.livenessMs = opts.pollIntervalMs * 2 + 60_000;
    this.#sync = new MailboxSync(opts, { accept: (b) => this.sinkRef.sink?.accept(b) });
  }

  isGroupChat(): boolean {
    return false;
  }

  get account(): string {
    return this.#sync.account;
  }

  #clientOptions(idle: boolean): ClientOptions {
    return {
      endpoint: this.opts.imap,
      credentials: this.opts.credentials,
      log: this.opts.log,
      ...(idle ? { idleRestartMs: this.opts.idleRestartMs } : {}),
    };
  }

  start(sink: InboundSink): Promise<void> {
    this.sinkRef.sink = sink;
    this.#loop = this.#run();
    this.#pollTimer = setInterval(() => this.wake('timer'), this.opts.pollIntervalMs);
    this.#pollTimer.unref();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    clearInterval(this.#pollTimer);
    this.#client?.close();
    await this.#loop;
    await this.#syncing;
  }

  status() {
    const cursor = this.#sync.cursor();
    return {
      name: this.name,
      enabled: true,
      connected: this.#connected,
      last_poll_at: this.#lastSyncAt === null ? null : new Date(this.#lastSyncAt).toISOString(),
      error: this.#imapError ?? this.#smtpError,
      details: {
        account: this.account,
        mailbox: this.opts.mailbox,
        idle: this.#client?.idling === true,
        uidvalidity: cursor?.uidvalidity ?? null,
        cursor_uid: cursor?.last_uid ?? null,
        smtp_error: this.#smtpError,
        imap_error: this.#imapError,
        accepted: this.stats.accepted,
        sent: this.stats.sent,
      },
    };
  }

  health(): ChannelHealth {
    return {
      notReady: this.#connected ? null : 'email_disconnected',
      lastProgressAt: this.#lastProgressAt,
      // The timer syncs every poll_interval; two missed in a row (and a minute) is a hung loop.
      stallLimitMs: this.livenessMs,
      receiveErrors: this.stats.syncErrors,
    };
  }

  /** IDLE's EXISTS, a (re)connect or the timer: a hint to sync, never the source of truth. */
  wake(why: string): void {
    if (this.#stop.signal.aborted) return;
    if (this.#syncing !== undefined) {
      this.#again = true;
      return;
    }
    this.#syncing = this.#syncLoop(why).finally(() => (this.#syncing = undefined));
  }

  async #syncLoop(why: string): Promise<void> {
    do {
      this.#again = false;
      const client = this.#client;
      if (client === undefined || !client.usable) return;
      const t0 = performance.now();
      try {
        const r = await this.#sync.run(client);
        this.stats.syncs++;
        this.stats.fetched += r.fetched;
        this.stats.accepted += r.accepted;
        this.#lastSyncAt = Date.now();
        this.#lastProgressAt = this.#lastSyncAt;
        if (this.#client === client) this.#connected = true;
        this.#imapError = null;
        this.opts.metrics?.syncSeconds((performance.now() - t0) / 1000);
        if (r.fetched > 0) this.opts.log.debug({ why, ...r }, 'e-mail synced');
      } catch (err) {
        this.stats.syncErrors++;
        this.#imapError = describe(err);
        this.opts.log.warn({ err: this.#imapError, why }, 'e-mail sync failed; the next wake-up tries again');
        // A broken connection is the reconnect loop's to fix.
        return;
      }
    } while (this.#again && !this.#stop.signal.aborted);
  }

  /** Connect, sync, watch; on any loss a new client after a back-off. */
  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    let backoff = BACKOFF_MIN_MS;
    while (!signal.aborted) {
      let client: ImapFlow | undefined;
      try {
        client = await newClient(this.#clientOptions(true));
        const closed = new Promise<void>((resolve) => client!.once('close', () => resolve()));
        client.on('error', (err: Error) => {
          this.#imapError = describe(err);
          this.opts.log.warn({ err: this.#imapError }, 'imap connection error');
        });
        client.on('exists', () => this.wake('exists'));
        await client.connect();
        if (signal.aborted) break;
        // Connected (and ready) only after this connection's first sync: before it, the cursor of
        // a first start is not set yet, and mail arriving then would count as history.
        this.#client = client;
        this.#imapError = null;
        this.stats.connects++;
        this.#lastProgressAt = Date.now();
        this.opts.log.info({ account: this.account, mailbox: this.opts.mailbox }, 'e-mail connected');
        backoff = BACKOFF_MIN_MS;
        this.wake('connect');
        const onAbort = (): void => client!.close();
        signal.addEventListener('abort', onAbort, { once: true });
        await closed;
        signal.removeEventListener('abort', onAbort);
        if (!signal.aborted) this.opts.log.warn('e-mail connection closed; reconnecting');
      } catch (err) {
        if (signal.aborted) break;
        this.#imapError = describe(err);
        this.opts.log.warn({ err: this.#imapError, retryMs: backoff }, 'e-mail connect failed; backing off');
        client?.close();
      }
      this.#connected = false;
      this.#client = undefined;
      this.#lastProgressAt = Date.now(); // trying is progress: the loop itself is alive
      if (signal.aborted) break;
      await sleep(backoff, undefined, { signal }).catch(() => undefined);
      backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
    }
    this.#connected = false;
  }

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
        this.stats.foundInSent++;
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
      this.#smtpError = r.error;
      o.metrics?.sent(r.permanent ? 'failed' : 'retry');
      o.log.warn({ to: chatId, err: r.error, permanent: r.permanent }, 'e-mail send failed');
      return { ok: false, retryable: !r.permanent, error: r.error };
    }
    o.store.setSentState(messageId, key, chatId, 'sent', Date.now());
    this.#smtpError = null;
    this.stats.sent++;
    o.metrics?.sent('sent');
    if (o.sentCopy === 'append') void this.#fileInSent(raw, messageId);
    return { ok: true };
  }

  async #inSent(messageId: string): Promise<boolean> {
    try {
      return await withClient(this.#clientOptions(false), (c) =>
        hasMessageId(c, this.opts.sentMailbox, messageId),
      );
    } catch (err) {
      // Cannot look: sending again risks a duplicate, not sending risks a loss. Send.
      this.opts.log.warn({ err: describe(err) }, 'could not search the Sent mailbox');
      return false;
    }
  }

  async #fileInSent(raw: Buffer, messageId: string): Promise<void> {
    try {
      await withClient(this.#clientOptions(false), (c) =>
        appendTo(c, this.opts.sentMailbox, raw, ['\\Seen']),
      );
    } catch (err) {
      this.opts.log.warn({ err: describe(err), messageId }, 'could not file the reply in the Sent mailbox');
    }
  }

  async typing(): Promise<void> {
    // Mail has no typing indicator.
  }
}

/** An error as one line, without credentials (imapflow's errors carry the server's text only). */
function describe(err: unknown): string {
  const e = err as {
    responseText?: unknown;
    code?: unknown;
    message?: unknown;
    authenticationFailed?: unknown;
  };
  if (e.authenticationFailed === true)
    return 'login failed: the server rejected the user name or password/token';
  const text =
    typeof e.responseText === 'string' && e.responseText !== '' ? e.responseText : String(e.message ?? err);
  return `${typeof e.code === 'string' ? `${e.code}: ` : ''}${text}`.slice(0, 300);
}
