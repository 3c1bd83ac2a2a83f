/**
 * One turn per group at a time. When a group has queued messages, its next turn takes the kept
 * context and every queued message, runs it through the TurnPort, and commits the reply to the
 * outbox and the messages as done in one transaction. Failed turns retry with backoff; after the
 * last attempt the chat is told. Event-driven: a single timer is armed only for a pending retry.
 */
import type { Logger } from 'pino';
import type { Db } from '../store/db.js';
import type { GroupsRepo } from '../store/groups-repo.js';
import type { MessagesRepo } from '../store/messages-repo.js';
import type { OutboxRepo } from '../store/outbox-repo.js';
import { buildPrompt } from './prompt.js';
import { asFailure } from '../failures.js';
import { fetchInboundFiles, type InboundFilesDeps } from './inbound-files.js';
import type { LiveReplies } from './live-reply.js';
import { budgetButtons } from './budget-buttons.js';
import type { BudgetGate, Channel, TurnPort } from './ports.js';

export const MAX_TURN_ATTEMPTS = 3;
export const TURN_RETRY_BASE_MS = 2_000;
export const TYPING_REFRESH_MS = 4_000;
export const TYPING_DELAY_MS = 300;

export type GroupQueueDeps = {
  readonly db: Db;
  readonly groups: GroupsRepo;
  readonly messages: MessagesRepo;
  readonly outbox: OutboxRepo;
  readonly turns: TurnPort;
  readonly channels: ReadonlyMap<string, Channel>;
  readonly log: Logger;
  /** Budgets: checked before every turn (none: no budgets). */
  readonly budget?: BudgetGate;
  /** Shows the reply growing while the turn runs (live-reply.ts); none: only the final message. */
  readonly live?: LiveReplies;
  /** Where files that came with messages are saved before the turn; none: they are only named. */
  readonly files?: Omit<InboundFilesDeps, 'messages' | 'log'>;
};

/** After a database error, how soon a stuck batch is handed back to the queue (doubling). */
const REQUEUE_AFTER_ERROR_MS = 5_000;
const REQUEUE_AFTER_ERROR_MAX_MS = 5 * 60_000;

export class GroupQueue {
  readonly #running = new Set<string>();
  /** Groups whose running turn was stopped from the chat: its failure is not retried. */
  readonly #stopping = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  turnsRun = 0;

  constructor(private readonly deps: GroupQueueDeps) {}

  get busyGroups(): number {
    return this.#running.size;
  }

  /** Looks for groups with due work and starts a worker for each idle one. */
  kick(): void {
    if (this.#stopped) return;
    const now = Date.now();
    for (const folder of this.deps.messages.groupsWithWork(now)) {
      if (!this.#running.has(folder)) void this.#work(folder);
    }
    this.#armRetry(now);
  }

  /** `/stop`: the group's running turn is cancelled and not retried. False when none runs. */
  stopTurn(folder: string): boolean {
    if (!this.#running.has(folder)) return false;
    const stopped = this.deps.turns.cancel?.(folder) === true;
    if (stopped) this.#stopping.add(folder);
    return stopped;
  }

  /** Stops taking new turns; running ones finish (the supervisor drains them). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  async idle(): Promise<void> {
    while (this.#running.size > 0) await new Promise((r) => setTimeout(r, 50));
  }

  #armRetry(now: number): void {
    clearTimeout(this.#timer);
    const next = this.deps.messages.nextRetryAt(now);
    if (next === undefined) return;
    this.#timer = setTimeout(() => this.kick(), Math.max(1_000, next - now));
    this.#timer.unref();
  }

  async #work(folder: string): Promise<void> {
    this.#running.add(folder);
    let batch: ReturnType<MessagesRepo['nextBatch']> = [];
    try {
      while (!this.#stopped) {
        batch = this.deps.messages.nextBatch(folder, Date.now());
        if (batch.length === 0) break;
        const budget = this.#budget(folder, batch);
        if (budget === 'paused') break;
        if (budget === 'refused') continue; // its messages are failed now: look again
        await this.#turn(folder, batch);
      }
    } catch (err) {
      // A database error while recording the turn's outcome: the batch would stay `processing`
      // until the next boot. Hand it back to the queue as soon as the database lets us.
      this.deps.log.error({ err, group: folder }, 'group worker failed; the batch will be queued again');
      this.#requeueLater(
        batch.map((m) => m.id),
        (err as Error).message,
      );
    } finally {
      this.#running.delete(folder);
    }
  }

  /**
   * Before the turn, the group's budgets. Paused: the messages stay queued (the worker ends; a
   * `continue` or the period's rollover kicks the queue again). Refused: the waiting messages are
   * failed with the budget's message, which goes to the chat; kept context stays context.
   */
  #budget(folder: string, batch: ReturnType<MessagesRepo['nextBatch']>): 'ok' | 'paused' | 'refused' {
    const gate = this.deps.budget;
    const group = this.deps.groups.get(folder);
    if (gate === undefined || group === undefined) return 'ok';
    const v = gate.check({ folder, agent: group.agent });
    if (v.kind === 'ok') return 'ok';
    const { db, messages, outbox } = this.deps;
    const notice = v.kind === 'refused' ? v.message : v.ask;
    db.transaction(() => {
      if (v.kind === 'refused')
        messages.markFailed(
          batch.filter((m) => m.status === 'queued').map((m) => m.id),
          `budget: ${v.message}`,
        );
      if (notice !== undefined)
        outbox.add(
          {
            channel: group.channel,
            chatId: group.chat_id,
            groupFolder: folder,
            source: 'system',
            text: notice,
            ...(v.kind === 'paused' ? { buttons: budgetButtons() } : {}),
          },
          Date.now(),
        );
    })();
    this.deps.log.info({ group: folder, verdict: v.kind }, 'turn held by a budget');
    return v.kind;
  }

  #requeueLater(ids: readonly number[], why: string, delayMs = REQUEUE_AFTER_ERROR_MS): void {
    if (ids.length === 0 || this.#stopped) return;
    const t = setTimeout(() => {
      try {
        this.deps.messages.requeueStuck(ids, Date.now(), `internal: ${why}`);
        this.kick();
      } catch (err) {
        this.deps.log.error({ err }, 'could not queue the batch again; retrying');
        this.#requeueLater(ids, why, Math.min(delayMs * 2, REQUEUE_AFTER_ERROR_MAX_MS));
      }
    }, delayMs);
    t.unref();
  }

  async #turn(folder: string, batch: ReturnType<MessagesRepo['nextBatch']>): Promise<void> {
    const { db, messages, outbox } = this.deps;
    const group = this.deps.groups.get(folder);
    const ids = batch.map((m) => m.id);
    if (group === undefined) {
      messages.markFailed(ids, 'group was removed');
      return;
    }
    const undelivered = db.transaction(() => {
      messages.markProcessing(ids);
      return outbox.takeUnreported(folder);
    })();
    const channel = this.deps.channels.get(group.channel);
    const stopTyping = channel === undefined ? () => undefined : keepTyping(channel, group.chat_id);
    const attempts = Math.max(...batch.map((m) => m.attempts + m.triggered));
    const triggering = batch.findLast((m) => m.triggered === 1);
    // A threaded chat (e-mail) gets the reply in the thread, on the newest message it answers; in
    // a group the reply answers the message that triggered the turn.
    const threaded = triggering?.thread != null;
    const replyTo =
      threaded || channel?.isGroupChat(group.chat_id) === true ? (triggering?.message_id ?? null) : null;
    const live = this.deps.live;
    live?.begin(folder, group.channel, group.chat_id, replyTo);
    try {
      const images =
        this.deps.files === undefined
          ? []
          : await fetchInboundFiles(batch, channel, { ...this.deps.files, messages, log: this.deps.log });
      const reply = await this.deps.turns.run(
        { folder, agent: group.agent },
        buildPrompt(batch, undelivered),
        images,
      );
      this.turnsRun++;
      const { replaces } = (await live?.end(folder)) ?? { replaces: null };
      db.transaction(() => {
        if (reply.trim() !== '')
          outbox.add(
            {
              channel: group.channel,
              chatId: group.chat_id,
              groupFolder: folder,
              text: reply,
              source: 'turn',
              // In a group the reply answers the message that triggered the turn.
              replyTo,
              replacesMessageId: replaces,
            },
            Date.now(),
          );
        // The outbox row owns the preview now (it edits it into the reply).
        if (replaces !== null) live?.release(group.channel, group.chat_id, replaces, reply.trim() === '');
        messages.markDone(ids, Date.now());
      })();
    } catch (err) {
      const kind = asFailure(err).kind;
      const message = (err as Error).message;
      const { replaces } = (await live?.end(folder)) ?? { replaces: null };
      if (replaces !== null) live?.release(group.channel, group.chat_id, replaces, true);
      if (this.#stopping.has(folder)) {
        // Stopped from the chat: done, not failed; the chat was told when /stop was answered.
        messages.markDone(ids, Date.now());
        this.deps.log.info({ group: folder, kind }, 'turn stopped from the chat');
      } else if (attempts >= MAX_TURN_ATTEMPTS) {
        db.transaction(() => {
          messages.markFailed(ids, `${kind}: ${message}`);
          outbox.add(
            {
              channel: group.channel,
              chatId: group.chat_id,
              groupFolder: folder,
              source: 'system',
              text: `Sorry, I could not answer (${kind}). The operator can see details with: agentforge logs --group ${folder}`,
              replyTo,
            },
            Date.now(),
          );
        })();
        this.deps.log.error({ group: folder, kind, err: message }, 'turn failed for good');
      } else {
        const retryAt = Date.now() + TURN_RETRY_BASE_MS * 2 ** (attempts - 1);
        messages.requeue(ids, retryAt, `${kind}: ${message}`);
        this.deps.log.warn({ group: folder, kind, attempts, err: message }, 'turn failed; will retry');
        this.#armRetry(Date.now());
      }
    } finally {
      this.#stopping.delete(folder);
      stopTyping();
    }
  }
}

/**
 * Typing indicator while the turn runs; Telegram shows it for about 5 s per call. It starts after
 * TYPING_DELAY_MS: a reply faster than that needs no indicator, and skipping it halves the API
 * calls of quick turns.
 */
function keepTyping(channel: Channel, chatId: string): () => void {
  let interval: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    void channel.typing(chatId);
    interval = setInterval(() => void channel.typing(chatId), TYPING_REFRESH_MS);
    interval.unref();
  }, TYPING_DELAY_MS);
  first.unref();
  return () => {
    clearTimeout(first);
    clearInterval(interval);
  };
}
