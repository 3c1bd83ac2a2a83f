/**
 * The bot pool: extra bots that give swarm members their own identities in a group. A sender gets
 * a pool bot on first use (persisted, unique both ways), which is renamed once to the sender's
 * name (setMyName). Pool bots only send; they never poll. When the pool is exhausted, a bot's token
 * does not work, or the bot is not in the chat, the main bot sends with the sender's name as a prefix.
 */
import { Api, GrammyError } from 'grammy';
import type { Logger } from 'pino';
import type { SendOptions, SendOutcome, SenderBots } from '../../router/ports.js';
import { sendText } from './send.js';

/** A pool bot's call that takes longer is given up (the outbox retries the send). */
const POOL_TIMEOUT_S = 30;

type PoolBot = { readonly id: string; readonly username: string; readonly api: Api };

/** The main bot speaks for a sender who has no bot of their own (or whose bot cannot). */
export const prefixed = (sender: string, text: string): string => `${sender}: ${text}`;

/** 403 (kicked, never added) or 400 chat not found: this bot cannot speak in this chat. */
function notInChat(o: SendOutcome): boolean {
  return !o.ok && /^(403 |400 .*chat not found)/i.test(o.error);
}

export class BotPool {
  readonly #bots = new Map<string, PoolBot>();

  constructor(
    private readonly tokens: readonly string[],
    private readonly apiRoot: string,
    private readonly store: SenderBots,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.#bots.size;
  }

  /** Learns each pool bot's identity; a bot whose token fails is left out (and logged). */
  async start(): Promise<void> {
    for (const [i, token] of this.tokens.entries()) {
      const api = new Api(token, { apiRoot: this.apiRoot, timeoutSeconds: POOL_TIMEOUT_S });
      try {
        const me = await api.getMe();
        this.#bots.set(String(me.id), { id: String(me.id), username: me.username, api });
      } catch (err) {
        this.log.warn(
          {
            index: i,
            err: err instanceof GrammyError ? `${err.error_code} ${err.description}` : String(err),
          },
          'pool bot unavailable; its senders fall back to the main bot',
        );
      }
    }
    if (this.#bots.size > 0) this.log.info({ bots: this.#bots.size }, 'bot pool ready');
  }

  #botFor(sender: string): PoolBot | undefined {
    const had = this.store.get(sender);
    const id = had?.botId ?? this.store.assign(sender, [...this.#bots.keys()]);
    return id === undefined ? undefined : this.#bots.get(id);
  }

  pacingKey(sender: string | null): string {
    if (sender === null) return 'main';
    const bot = this.#botFor(sender);
    return bot === undefined ? 'main' : `pool:${bot.id}`;
  }

  /** Sends as the sender's bot; undefined when the main bot must send it (with a prefix). */
  async send(
    chatId: string,
    sender: string,
    text: string,
    opts: SendOptions,
  ): Promise<SendOutcome | undefined> {
    const bot = this.#botFor(sender);
    if (bot === undefined) return undefined;
    if (this.store.get(sender)?.renamed !== true) {
      try {
        await bot.api.setMyName(sender.slice(0, 64));
        this.store.markRenamed(sender);
        this.log.info({ sender, bot: bot.username }, 'pool bot renamed for its sender');
      } catch (err) {
        this.log.warn(
          { sender, bot: bot.username, err: String(err) },
          'could not rename a pool bot; sending anyway',
        );
      }
    }
    const outcome = await sendText(bot.api, this.log, chatId, text, opts);
    if (notInChat(outcome)) {
      this.log.info(
        { sender, bot: bot.username, chat: chatId },
        'pool bot is not in this chat; the main bot sends',
      );
      return undefined;
    }
    return outcome;
  }

  /** Assignments for status: sender → @bot. */
  list(): Array<{ sender: string; bot: string }> {
    return this.store
      .list()
      .map((r) => ({ sender: r.sender, bot: `@${this.#bots.get(r.botId)?.username ?? r.botId}` }));
  }
}
