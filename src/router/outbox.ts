/**
 * Delivers the outbox. Woken by new rows (event-driven); a single timer is armed for the next
 * deferred row. Each row is split into parts at send time and `parts_sent` is committed after each
 * part, so a crash resends at most the one part that was in flight. Per chat, rows go out in order:
 * a row held back (429 retry_after, backoff, pacing) holds back the rows behind it. 429 waits
 * retry_after without counting an attempt; network and 5xx errors back off; a delivery that fails
 * for good is marked failed, never dropped silently.
 */
import type { Logger } from 'pino';
import { rowButtons, type OutboxRepo, type OutboxRow } from '../store/outbox-repo.js';
import { Pacer } from './pacing.js';
import type { Channel, SendOutcome } from './ports.js';
import { splitMessage } from './split.js';

/** With the back-off cap this rides out about an hour of Telegram being unreachable. */
export const MAX_DELIVERY_ATTEMPTS = 20;
export const DELIVERY_BACKOFF_BASE_MS = 1_000;
export const DELIVERY_BACKOFF_MAX_MS = 5 * 60_000;

export type OutboxDeps = {
  readonly repo: OutboxRepo;
  readonly channels: ReadonlyMap<string, Channel>;
  readonly log: Logger;
};

export type DeliveryStats = { sent: number; retried: number; failed: number; rateLimited: number };

export class OutboxWorker {
  readonly stats: DeliveryStats = { sent: 0, retried: 0, failed: 0, rateLimited: 0 };
  readonly #pacers = new Map<string, Pacer>();
  #draining = false;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(private readonly deps: OutboxDeps) {}

  /**
   * At boot: a part handed to the chat service just before the daemon stopped is sent again,
   * because we cannot know whether the service got it (delivery is at-least-once). Each such
   * resend is logged at warn with its outbox row, so a duplicate in a chat can be explained.
   */
  recoverInFlight(): number {
    const rows = this.deps.repo.takeInFlight();
    for (const r of rows)
      this.deps.log.warn(
        { outbox: r.id, part: r.part + 1, chat: r.chat_id, group: r.group_folder },
        'resending a reply part that was in flight when the daemon stopped; the chat may see it twice',
      );
    return rows.length;
  }

  kick(): void {
    if (this.#stopped) return;
    if (this.#draining) {
      this.#again = true;
      return;
    }
    void this.#drain();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      do {
        this.#again = false;
        for (
          let rows = this.deps.repo.due(Date.now());
          rows.length > 0 && !this.#stopped;
          rows = this.deps.repo.due(Date.now())
        ) {
          // Chats are independent: deliver them concurrently, each chat's rows in order.
          const byChat = new Map<string, OutboxRow[]>();
          for (const row of rows)
            byChat.set(`${row.channel}:${row.chat_id}`, [
              ...(byChat.get(`${row.channel}:${row.chat_id}`) ?? []),
              row,
            ]);
          const results = await Promise.all(
            [...byChat.values()].map(async (chatRows) => {
              let progressed = false;
              for (const row of chatRows) if (await this.#deliver(row)) progressed = true;
              return progressed;
            }),
          );
          if (!results.some(Boolean)) break;
        }
      } while (this.#again && !this.#stopped);
    } catch (err) {
      this.deps.log.error({ err }, 'outbox drain failed');
    } finally {
      this.#draining = false;
      this.#arm();
    }
  }

  #arm(): void {
    clearTimeout(this.#timer);
    if (this.#stopped) return;
    const next = this.deps.repo.nextDueAt();
    if (next === undefined) return;
    this.#timer = setTimeout(() => this.kick(), Math.max(0, next - Date.now()));
    this.#timer.unref();
  }

  /** The channel's pacer, shared with live previews so both count against the same limits. */
  pacer(channel: Channel): Pacer {
    let p = this.#pacers.get(channel.name);
    if (p === undefined) {
      p = new Pacer(channel.limits);
      this.#pacers.set(channel.name, p);
    }
    return p;
  }

  /** Returns true when the row left the due set (sent, deferred, failed). */
  async #deliver(row: OutboxRow): Promise<boolean> {
    const { repo } = this.deps;
    const channel = this.deps.channels.get(row.channel);
    if (channel === undefined) {
      repo.fail(row.id, `channel ${row.channel} is not enabled`);
      this.stats.failed++;
      this.deps.log.error(
        { outbox: row.id, channel: row.channel, group: row.group_folder },
        'delivery failed for good: channel not enabled',
      );
      return true;
    }
    // Per chat, replies leave in the order they were written: a row behind one that is waiting
    // (429 retry_after, backoff, pacing) waits with it instead of overtaking it.
    const ahead = repo.pendingBefore(row);
    if (ahead !== undefined) {
      repo.defer(row.id, Math.max(ahead.next_attempt_at, Date.now()), `waiting for outbox #${ahead.id}`);
      return true;
    }
    const pacer = this.pacer(channel);
    const isGroup = channel.isGroupChat(row.chat_id);
    const paced = (): boolean => {
      const wait = pacer.delay(row.chat_id, isGroup, Date.now());
      if (wait > 0) {
        repo.defer(row.id, Date.now() + wait, 'paced');
        return true;
      }
      pacer.record(row.chat_id, isGroup, Date.now());
      return false;
    };
    if (row.edit_of !== null || row.edit_message_id !== null) return this.#edit(row, channel, paced);
    const parts = splitMessage(row.text, channel.maxMessageLength);
    const buttons = rowButtons(row);
    for (let i = row.parts_sent; i < parts.length; i++) {
      if (paced()) return true;
      repo.partInFlight(row.id, i);
      const last = i === parts.length - 1;
      const send = (): Promise<SendOutcome> =>
        channel.send(row.chat_id, parts[i] as string, {
          replyTo: i === 0 ? row.reply_to_message : null,
          buttons: last ? buttons : null,
        });
      let outcome: SendOutcome;
      if (i === 0 && row.replaces_message_id !== null) {
        // The live preview becomes the reply; a preview that is gone (deleted) means a new message.
        outcome = await channel.edit(row.chat_id, row.replaces_message_id, parts[0] as string, {
          buttons: last ? buttons : null,
        });
        if (!outcome.ok && !outcome.retryable && outcome.retryAfterMs === undefined) outcome = await send();
      } else outcome = await send();
      if (outcome.ok) {
        // Before parts_sent moves: a crash between the two resends the part, never loses its id.
        if (outcome.messageId !== undefined) repo.setSentMessageId(row.id, outcome.messageId);
        repo.partSent(row.id, i + 1);
        continue;
      }
      repo.partSettled(row.id);
      this.#failed(row, outcome);
      return true;
    }
    repo.sent(row.id, Date.now());
    this.stats.sent++;
    return true;
  }

  /** An edit of a message sent earlier: the one another row became, or one named directly. */
  async #edit(row: OutboxRow, channel: Channel, paced: () => boolean): Promise<boolean> {
    const { repo } = this.deps;
    const target =
      row.edit_message_id ?? (row.edit_of === null ? null : (repo.get(row.edit_of)?.sent_message_id ?? null));
    if (target === null) {
      // The message to edit was never sent (its delivery failed for good): nothing to change.
      repo.fail(row.id, `nothing to edit: outbox #${row.edit_of ?? '?'} was not delivered`);
      this.stats.failed++;
      return true;
    }
    if (paced()) return true;
    const text = splitMessage(row.text, channel.maxMessageLength)[0] ?? row.text;
    const outcome = await channel.edit(row.chat_id, target, text, { buttons: rowButtons(row) });
    if (!outcome.ok) {
      this.#failed(row, outcome);
      return true;
    }
    repo.sent(row.id, Date.now());
    this.stats.sent++;
    return true;
  }

  /** A send or edit the service refused: wait (429), retry with backoff, or fail for good. */
  #failed(row: OutboxRow, outcome: Extract<SendOutcome, { ok: false }>): void {
    const { repo, log } = this.deps;
    if (outcome.retryAfterMs !== undefined) {
      this.stats.rateLimited++;
      repo.defer(row.id, Date.now() + outcome.retryAfterMs, outcome.error);
      log.warn({ outbox: row.id, retryAfterMs: outcome.retryAfterMs }, 'rate limited by the chat service');
    } else if (outcome.retryable && row.attempts + 1 < MAX_DELIVERY_ATTEMPTS) {
      this.stats.retried++;
      const backoff = Math.min(DELIVERY_BACKOFF_MAX_MS, DELIVERY_BACKOFF_BASE_MS * 2 ** row.attempts);
      repo.retry(row.id, Date.now() + backoff, outcome.error);
      log.warn(
        { outbox: row.id, attempts: row.attempts + 1, err: outcome.error },
        'delivery failed; will retry',
      );
    } else {
      this.stats.failed++;
      repo.fail(row.id, outcome.error);
      log.error({ outbox: row.id, group: row.group_folder, err: outcome.error }, 'delivery failed for good');
    }
  }
}
