/**
 * The Telegram channel on grammY's Api client: a self-healing long-poll loop and sending. We drive
 * getUpdates ourselves (not bot.start()) because each batch must be stored before the offset moves
 * past it, a stalled poll must be torn down on a deadline, and a 409 (another instance polling this
 * bot) must be surfaced to readiness rather than retried blindly.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Api, GrammyError, HttpError } from 'grammy';
import type { Logger } from 'pino';
import type {
  Buttons,
  Channel,
  ChannelHealth,
  ChannelLimits,
  InboundSink,
  SendOptions,
  SendOutcome,
} from '../../router/ports.js';
import { draftText, editText, sendText } from './send.js';
import { toInbound, toPress, type BotIdentity } from './updates.js';

export const TELEGRAM_MAX_MESSAGE = 4096;
const BACKOFF_MIN_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
const STALL_GRACE_MS = 1_000;
/** A file download (at most 20 MB) that takes longer is given up and retried. */
const FILE_TIMEOUT_MS = 120_000;

/** grammY types its signal with the abort-controller shim; Node's native signal is what it uses at run time. */
type GrammySignal = Parameters<Api['getUpdates']>[1];
const sig = (s: AbortSignal): GrammySignal => s as unknown as GrammySignal;

export type TelegramOptions = {
  readonly token: string;
  readonly apiRoot: string;
  readonly pollTimeoutMs: number;
  /** How long past the long-poll timeout a getUpdates may take before it is torn down. */
  readonly stallMs: number;
  /** The wait after a 409 conflict before polling again (`conflict_retry`). */
  readonly conflictRetryMs: number;
  readonly limits: ChannelLimits;
  /** The bot's command menu, set once connected (setMyCommands). */
  readonly commands?: ReadonlyArray<{ readonly command: string; readonly description: string }>;
  readonly offset: { readonly load: () => number | undefined; readonly save: (offset: number) => void };
  readonly log: Logger;
};

export type PollStats = { polls: number; updates: number; errors: number; stalls: number; conflicts: number };

export class TelegramChannel implements Channel {
  readonly name = 'telegram';
  readonly maxMessageLength = TELEGRAM_MAX_MESSAGE;

  /** Telegram gives groups, supergroups and channels negative chat ids; users positive ones. */
  isGroupChat(chatId: string): boolean {
    return chatId.startsWith('-');
  }
  readonly limits: ChannelLimits;
  readonly stats: PollStats = { polls: 0, updates: 0, errors: 0, stalls: 0, conflicts: 0 };
  readonly #api: Api;
  #bot: BotIdentity | null = null;
  #stop = new AbortController();
  #loop: Promise<void> | undefined;
  #lastPollAt: number | null = null;
  #lastProgressAt: number | null = null;
  #conflict = false;
  #error: string | null = null;

  constructor(private readonly opts: TelegramOptions) {
    this.limits = opts.limits;
    // grammY's own timeout must outlast the long poll; our stall deadline is the one that acts.
    this.#api = new Api(opts.token, {
      apiRoot: opts.apiRoot,
      timeoutSeconds: Math.ceil((opts.pollTimeoutMs + opts.stallMs) / 1000) + 5,
    });
  }

  get botMention(): string | null {
    return this.#bot === null ? null : `@${this.#bot.username}`;
  }

  start(sink: InboundSink): Promise<void> {
    this.#loop = this.#run(sink);
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  status() {
    // Connected once the bot is known and polling without error: a long poll that is still open
    // (up to poll_timeout, 30 s by default) is the normal state, not a reason to report "not ready".
    const connected = this.#bot !== null && !this.#conflict && this.#error === null;
    return {
      name: this.name,
      enabled: true,
      connected,
      last_poll_at: this.#lastPollAt === null ? null : new Date(this.#lastPollAt).toISOString(),
      error: this.#conflict ? 'conflict: another instance is polling this bot (409)' : this.#error,
    };
  }

  health(): ChannelHealth {
    const connected = this.#bot !== null && !this.#conflict && this.#error === null;
    return {
      notReady: this.#conflict ? 'telegram_conflict' : connected ? null : 'telegram_disconnected',
      lastProgressAt: this.#lastProgressAt,
      // A long poll legitimately stays open for poll_timeout; past that plus the stall threshold
      // (and a little slack) the loop is stuck.
      stallLimitMs: this.opts.pollTimeoutMs + this.opts.stallMs + STALL_GRACE_MS,
      receiveErrors: this.stats.errors,
    };
  }

  async #run(sink: InboundSink): Promise<void> {
    const signal = this.#stop.signal;
    let backoff = BACKOFF_MIN_MS;
    while (!signal.aborted) {
      try {
        if (this.#bot === null) await this.#hello();
        await this.#pollOnce(sink);
        backoff = BACKOFF_MIN_MS;
      } catch (err) {
        if (signal.aborted) break;
        const wait = this.#onError(err, backoff);
        backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
        await sleep(wait, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  async #hello(): Promise<void> {
    const me = await this.#api.getMe(sig(this.#stop.signal));
    await this.#api.deleteWebhook({ drop_pending_updates: false }, sig(this.#stop.signal));
    this.#bot = { id: me.id, username: me.username };
    this.opts.log.info({ bot: me.username }, 'telegram connected');
    if (this.opts.commands !== undefined && this.opts.commands.length > 0)
      await this.#api
        .setMyCommands([...this.opts.commands], undefined, sig(this.#stop.signal))
        .catch((err: unknown) => this.opts.log.warn({ err: String(err) }, 'could not set the command menu'));
  }

  async #pollOnce(sink: InboundSink): Promise<void> {
    const poll = new AbortController();
    const onStop = (): void => poll.abort();
    this.#stop.signal.addEventListener('abort', onStop);
    let stalled = false;
    const deadline = setTimeout(() => {
      stalled = true;
      poll.abort();
    }, this.opts.pollTimeoutMs + this.opts.stallMs);
    try {
      const offset = this.opts.offset.load();
      this.stats.polls++;
      const updates = await this.#api.getUpdates(
        {
          offset,
          timeout: Math.round(this.opts.pollTimeoutMs / 1000),
          allowed_updates: ['message', 'callback_query'],
        },
        sig(poll.signal),
      );
      const now = Date.now();
      this.#lastPollAt = now;
      this.#lastProgressAt = now;
      if (this.#conflict) this.opts.log.info('telegram conflict cleared');
      this.#conflict = false;
      this.#error = null;
      if (updates.length === 0) return;
      const batch = updates.map((u) => toInbound(u, this.#bot)).filter((m) => m !== undefined);
      // Durable first: only after the batch is committed does the offset move past it.
      if (batch.length > 0) sink.accept(batch);
      for (const u of updates) {
        const press = toPress(u);
        if (press !== undefined) this.#answerPress(press.queryId, sink.press(press));
      }
      this.stats.updates += updates.length;
      this.opts.offset.save((updates[updates.length - 1]?.update_id ?? 0) + 1);
    } catch (err) {
      if (stalled) {
        this.stats.stalls++;
        this.opts.log.warn(
          { deadlineMs: this.opts.pollTimeoutMs + this.opts.stallMs },
          'getUpdates stalled; restarting the poll',
        );
        // A torn-down poll is not progress: if every poll hangs, the watchdog must notice.
        return;
      }
      throw err;
    } finally {
      clearTimeout(deadline);
      this.#stop.signal.removeEventListener('abort', onStop);
    }
  }

  /** The presser's toast or alert; cosmetic, so a failure is logged and not retried. */
  #answerPress(queryId: string, answer: { text: string; alert: boolean }): void {
    this.#api
      .answerCallbackQuery(queryId, { text: answer.text.slice(0, 200), show_alert: answer.alert })
      .catch((err: unknown) => this.opts.log.warn({ err: String(err) }, 'could not answer a button press'));
  }

  /** Records the error and says how long to wait before the next attempt. */
  #onError(err: unknown, backoff: number): number {
    this.stats.errors++;
    this.#lastProgressAt = Date.now(); // an answer, even an error, shows the loop is alive
    if (err instanceof GrammyError && err.error_code === 409) {
      this.stats.conflicts++;
      if (!this.#conflict) this.opts.log.error('telegram 409 conflict: another instance is polling this bot');
      this.#conflict = true;
      return this.opts.conflictRetryMs;
    }
    if (err instanceof GrammyError && err.error_code === 401) {
      this.#error = 'unauthorized: the bot token was rejected (401)';
      this.opts.log.error('telegram rejected the bot token (401)');
      return BACKOFF_MAX_MS;
    }
    if (err instanceof GrammyError && err.error_code === 429) {
      return (err.parameters.retry_after ?? 1) * 1000;
    }
    this.#error =
      err instanceof GrammyError
        ? `${err.error_code} ${err.description}`
        : err instanceof HttpError
          ? 'network error'
          : String(err);
    this.opts.log.warn({ err: this.#error, retryMs: backoff }, 'telegram poll failed; backing off');
    return backoff;
  }

  send(chatId: string, text: string, opts: SendOptions): Promise<SendOutcome> {
    return sendText(this.#api, this.opts.log, chatId, text, opts);
  }

  /** getFile, then the file itself from the Bot API's file endpoint (the token is in that URL: never logged). */
  async fetchFile(fileId: string, maxBytes: number): Promise<Buffer> {
    const file = await this.#api.getFile(fileId).catch((err: unknown) => {
      // A refused file id will not be served later either; the network or a 5xx may recover.
      if (err instanceof GrammyError && err.error_code < 500 && err.error_code !== 429)
        throw Object.assign(new Error(`${err.error_code} ${err.description}`), { permanent: true });
      throw err instanceof HttpError ? new Error('network error') : err;
    });
    if (file.file_size !== undefined && file.file_size > maxBytes)
      throw Object.assign(new Error(`the file is larger than ${maxBytes} bytes`), { permanent: true });
    if (file.file_path === undefined)
      throw Object.assign(new Error('Telegram gave no file path (too large?)'), { permanent: true });
    const url = `${this.opts.apiRoot}/file/bot${this.opts.token}/${file.file_path}`;
    const res = await fetch(url, { signal: AbortSignal.timeout(FILE_TIMEOUT_MS) });
    if (!res.ok || res.body === null)
      throw Object.assign(new Error(`file download answered HTTP ${res.status}`), {
        permanent: res.status < 500,
      });
    const chunks: Buffer[] = [];
    let got = 0;
    for await (const chunk of res.body) {
      got += (chunk as Uint8Array).length;
      if (got > maxBytes)
        throw Object.assign(new Error(`the file is larger than ${maxBytes} bytes`), { permanent: true });
      chunks.push(Buffer.from(chunk as Uint8Array));
    }
    return Buffer.concat(chunks);
  }

  draft(chatId: string, draftId: number, text: string): Promise<SendOutcome> {
    return draftText(this.#api, this.opts.log, chatId, draftId, text);
  }

  edit(
    chatId: string,
    messageId: string,
    text: string,
    opts: { buttons?: Buttons | null },
  ): Promise<SendOutcome> {
    return editText(this.#api, this.opts.log, chatId, messageId, text, opts.buttons);
  }

  async typing(chatId: string): Promise<void> {
    try {
      await this.#api.sendChatAction(chatId, 'typing');
    } catch {
      // cosmetic: never let a typing indicator fail a turn
    }
  }
}
