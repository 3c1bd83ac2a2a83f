/**
 * The e-mail channel: IMAP in (IDLE-driven, synced by UID cursor), SMTP out (threaded replies,
 * Message-IDs assigned before the first send). A sender is a chat (one group per sender), a
 * thread is a conversation in it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ImapFlow } from 'imapflow';
import type { Channel, ChannelHealth, ChannelLimits, InboundSink, SendOutcome } from '../../router/ports.js';
import { describe } from './errors.js';
import { newClient, type ClientOptions } from './imap.js';
import { ReplySender } from './replies.js';
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
};

export class EmailChannel implements Channel {
  readonly name = 'email';
  readonly maxMessageLength = EMAIL_MAX_MESSAGE;
  readonly botMention = null;
  // Mail has no per-chat rate limit worth pacing for; the per-sender reply cap guards volume.
  readonly limits: ChannelLimits = { perChatPerS: 1000, perGroupPerMin: 100_000, globalPerS: 1000 };
  /** The watchdog's limit: two missed timer syncs and a minute. */
  readonly livenessMs: number;
  readonly stats: EmailStats = {
    syncs: 0,
    syncErrors: 0,
    connects: 0,
    fetched: 0,
    accepted: 0,
  };
  readonly #sync: MailboxSync;
  readonly #replies: ReplySender;
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

  constructor(
    private readonly opts: EmailOptions,
    private readonly sinkRef: { sink: InboundSink | undefined } = { sink: undefined },
  ) {
    this.livenessMs = opts.pollIntervalMs * 2 + 60_000;
    this.#sync = new MailboxSync(opts, { accept: (b) => this.sinkRef.sink?.accept(b) });
    this.#replies = new ReplySender(opts, this.#sync.account, this.#clientOptions(false));
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
      error: this.#imapError ?? this.#replies.smtpError,
      details: {
        account: this.account,
        mailbox: this.opts.mailbox,
        idle: this.#client?.idling === true,
        uidvalidity: cursor?.uidvalidity ?? null,
        cursor_uid: cursor?.last_uid ?? null,
        smtp_error: this.#replies.smtpError,
        imap_error: this.#imapError,
        accepted: this.stats.accepted,
        sent: this.#replies.sent,
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

  send(chatId: string, text: string, opts: { replyTo?: string | null; key?: string }): Promise<SendOutcome> {
    return this.#replies.send(chatId, text, opts);
  }

  async typing(): Promise<void> {
    // Mail has no typing indicator.
  }
}
