/**
 * The durable outbox: every reply is written here before it is sent, and leaves only as `sent` or,
 * after retries, `failed` (shown in status and told to the agent on the group's next turn).
 */
import { sql, type Db } from './db.js';

/** An inline button: its label and the action id the inbox routes a press to (migration 008). */
export type OutboxButton = { readonly text: string; readonly action: string };
/** A file copied into the outbox's own store when it was queued: what is sent cannot change. */
export type OutboxAttachment = {
  /** The stored copy's name in the outbox file store. */
  readonly file: string;
  /** The name the chat shows. */
  readonly name: string;
  readonly kind: 'photo' | 'document';
  readonly bytes: number;
};

export type OutboxRow = {
  readonly id: number;
  readonly channel: string;
  readonly chat_id: string;
  readonly group_folder: string | null;
  readonly text: string;
  readonly sender: string | null;
  readonly source: 'turn' | 'send' | 'system' | 'tool';
  readonly reply_to_message: string | null;
  readonly status: 'pending' | 'sent' | 'failed';
  readonly parts_sent: number;
  readonly attempts: number;
  readonly next_attempt_at: number;
  readonly last_error: string | null;
  readonly reported: number;
  readonly created_at: number;
  readonly sent_at: number | null;
  /** JSON rows of OutboxButton, shown under the last part. */
  readonly buttons: string | null;
  readonly ref: string | null;
  /** The chat's id for the message the last part became (what an edit targets). */
  readonly sent_message_id: string | null;
  /** This row edits the message another row sent, or a chat message named directly. */
  readonly edit_of: number | null;
  readonly edit_message_id: string | null;
  /** JSON OutboxAttachment. */
  readonly attachment: string | null;
  /** A live preview the first part replaces by editing it, instead of a new message. */
  readonly replaces_message_id: string | null;
};

export type NewOutbox = {
  channel: string;
  chatId: string;
  groupFolder: string | null;
  text: string;
  source: OutboxRow['source'];
  sender?: string | null;
  replyTo?: string | null;
  buttons?: ReadonlyArray<readonly OutboxButton[]> | null;
  ref?: string | null;
  editOf?: number | null;
  editMessageId?: string | null;
  attachment?: OutboxAttachment | null;
  replacesMessageId?: string | null;
};

export function rowButtons(row: Pick<OutboxRow, 'buttons'>): OutboxButton[][] | null {
  return row.buttons === null ? null : (JSON.parse(row.buttons) as OutboxButton[][]);
}

export function rowAttachment(row: Pick<OutboxRow, 'attachment'>): OutboxAttachment | null {
  return row.attachment === null ? null : (JSON.parse(row.attachment) as OutboxAttachment);
}

export class OutboxRepo {
  readonly #listeners: Array<() => void> = [];
  #wakeQueued = false;

  constructor(private readonly db: Db) {}

  /**
   * Calls `fn` after rows were added: the delivery worker subscribes, so queueing a message is
   * one operation and no caller has to remember to wake it. Deferred to the next turn of the
   * event loop, so a row added inside a caller's transaction is committed before it is read.
   */
  onAdded(fn: () => void): void {
    this.#listeners.push(fn);
  }

  add(m: NewOutbox, now: number): number {
    const res = sql(
      this.db,
      `INSERT INTO outbox (channel, chat_id, group_folder, text, sender, source, reply_to_message, next_attempt_at, created_at,
         buttons, ref, edit_of, edit_message_id, attachment, replaces_message_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      m.channel,
      m.chatId,
      m.groupFolder,
      m.text,
      m.sender ?? null,
      m.source,
      m.replyTo ?? null,
      now,
      now,
      m.buttons == null ? null : JSON.stringify(m.buttons),
      m.ref ?? null,
      m.editOf ?? null,
      m.editMessageId ?? null,
      m.attachment == null ? null : JSON.stringify(m.attachment),
      m.replacesMessageId ?? null,
    );
    this.#wake();
    return Number(res.lastInsertRowid);
  }

  #wake(): void {
    if (this.#wakeQueued || this.#listeners.length === 0) return;
    this.#wakeQueued = true;
    setImmediate(() => {
      this.#wakeQueued = false;
      for (const fn of this.#listeners) fn();
    });
  }

  get(id: number): OutboxRow | undefined {
    return sql(this.db, 'SELECT * FROM outbox WHERE id = ?').get(id) as OutboxRow | undefined;
  }

  /** The newest row queued with this ref (e.g. the question a permission request was put as). */
  byRef(ref: string): OutboxRow | undefined {
    return sql(this.db, 'SELECT * FROM outbox WHERE ref = ? ORDER BY id DESC LIMIT 1').get(ref) as
      OutboxRow | undefined;
  }

  /** How many rows edit this one. */
  editsOf(id: number): number {
    return (sql(this.db, 'SELECT COUNT(*) AS n FROM outbox WHERE edit_of = ?').get(id) as { n: number }).n;
  }

  /** The chat message the row's last part became: what a later edit of the row targets. */
  setSentMessageId(id: number, messageId: string): void {
    sql(this.db, 'UPDATE outbox SET sent_message_id = ? WHERE id = ?').run(messageId, id);
  }

  /** Pending rows due now, oldest first. */
  due(now: number, limit = 100): OutboxRow[] {
    return sql(
      this.db,
      "SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
    ).all(now, limit) as OutboxRow[];
  }

  /** The oldest pending row for the same chat queued before this one: replies go out in order. */
  pendingBefore(row: Pick<OutboxRow, 'id' | 'channel' | 'chat_id'>): OutboxRow | undefined {
    return sql(
      this.db,
      "SELECT * FROM outbox WHERE status = 'pending' AND channel = ? AND chat_id = ? AND id < ? ORDER BY id LIMIT 1",
    ).get(row.channel, row.chat_id, row.id) as OutboxRow | undefined;
  }

  nextDueAt(): number | undefined {
    const row = sql(
      this.db,
      "SELECT MIN(next_attempt_at) AS t FROM outbox WHERE status = 'pending'",
    ).get() as { t: number | null };
    return row.t ?? undefined;
  }

  /** Part `index` (0-based) is being handed to the chat service (migration 005). */
  partInFlight(id: number, index: number): void {
    sql(this.db, 'UPDATE outbox SET in_flight_part = ? WHERE id = ?').run(index, id);
  }

  partSent(id: number, partsSent: number): void {
    sql(this.db, 'UPDATE outbox SET parts_sent = ?, in_flight_part = NULL WHERE id = ?').run(partsSent, id);
  }

  /** The service answered (an error): the part is no longer in flight. */
  partSettled(id: number): void {
    sql(this.db, 'UPDATE outbox SET in_flight_part = NULL WHERE id = ?').run(id);
  }

  /**
   * Rows whose part was in flight when the daemon stopped: the chat service may have it already.
   * Cleared as they are returned, so each is reported once.
   */
  takeInFlight(): Array<Pick<OutboxRow, 'id' | 'chat_id' | 'group_folder'> & { part: number }> {
    return this.db.transaction(() => {
      const rows = sql(
        this.db,
        "SELECT id, chat_id, group_folder, in_flight_part AS part FROM outbox WHERE in_flight_part IS NOT NULL AND status = 'pending'",
      ).all() as Array<Pick<OutboxRow, 'id' | 'chat_id' | 'group_folder'> & { part: number }>;
      sql(this.db, 'UPDATE outbox SET in_flight_part = NULL WHERE in_flight_part IS NOT NULL').run();
      return rows;
    })();
  }

  sent(id: number, now: number): void {
    sql(this.db, "UPDATE outbox SET status = 'sent', sent_at = ?, last_error = NULL WHERE id = ?").run(
      now,
      id,
    );
  }

  retry(id: number, nextAttemptAt: number, error: string): void {
    sql(
      this.db,
      'UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?',
    ).run(nextAttemptAt, error, id);
  }

  /** Delays without counting an attempt (429 retry_after, pacing). */
  defer(id: number, nextAttemptAt: number, error: string): void {
    sql(this.db, 'UPDATE outbox SET next_attempt_at = ?, last_error = ? WHERE id = ?').run(
      nextAttemptAt,
      error,
      id,
    );
  }

  fail(id: number, error: string): void {
    sql(
      this.db,
      "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?",
    ).run(error, id);
  }

  /** Failed deliveries of a group the agent has not been told about yet; marks them told. */
  takeUnreported(group: string): OutboxRow[] {
    const rows = sql(
      this.db,
      "SELECT * FROM outbox WHERE group_folder = ? AND status = 'failed' AND reported = 0 ORDER BY id",
    ).all(group) as OutboxRow[];
    const mark = sql(this.db, 'UPDATE outbox SET reported = 1 WHERE id = ?');
    for (const r of rows) mark.run(r.id);
    return rows;
  }

  stats(): { pending: number; failed: number; sent: number } {
    const rows = sql(this.db, 'SELECT status, COUNT(*) AS n FROM outbox GROUP BY status').all() as Array<{
      status: string;
      n: number;
    }>;
    const by = Object.fromEntries(rows.map((r) => [r.status, r.n]));
    return { pending: by['pending'] ?? 0, failed: by['failed'] ?? 0, sent: by['sent'] ?? 0 };
  }

  /**
   * Rows an operator looks at: `failed` (for good), or `pending` ones that already failed an
   * attempt or wait past now (backoff, 429, pacing). Newest first.
   */
  listAttention(which: 'failed' | 'pending', now: number, limit = 100): OutboxRow[] {
    if (which === 'failed')
      return sql(this.db, "SELECT * FROM outbox WHERE status = 'failed' ORDER BY id DESC LIMIT ?").all(
        limit,
      ) as OutboxRow[];
    return sql(
      this.db,
      "SELECT * FROM outbox WHERE status = 'pending' AND (attempts > 0 OR last_error IS NOT NULL OR next_attempt_at > ?) ORDER BY id DESC LIMIT ?",
    ).all(now, limit) as OutboxRow[];
  }

  /**
   * The operator's retry: a failed row (or a pending one waiting out a backoff) is due again now
   * with a fresh attempt count. Parts already sent stay sent. Undefined when no such row; false
   * when it was sent already (nothing to retry).
   */
  requeue(id: number, now: number): OutboxRow | false | undefined {
    const row = this.get(id);
    if (row === undefined) return undefined;
    if (row.status === 'sent') return false;
    sql(
      this.db,
      "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, reported = 0 WHERE id = ?",
    ).run(now, id);
    this.#wake();
    return this.get(id);
  }

  recentFailures(limit = 5): OutboxRow[] {
    return sql(this.db, "SELECT * FROM outbox WHERE status = 'failed' ORDER BY id DESC LIMIT ?").all(
      limit,
    ) as OutboxRow[];
  }
}
