/**
 * The durable inbox. A message is stored before its channel acknowledges it; the unique key
 * (channel, chat, message id) drops redeliveries. Status: `context` (kept, not addressed to the
 * agent), `queued` (waiting for a turn), `processing`, `done`, `failed`.
 */
import { sql, type Db } from './db.js';

/**
 * A file that came with a message (migration 008), as the channel described it; `path` (inside the
 * group's workspace) once downloaded, or `skipped` saying why it was not.
 */
export type MessageFile = {
  readonly kind: 'photo' | 'document' | 'voice' | 'audio' | 'video' | 'video_note' | 'animation';
  readonly fileId: string;
  readonly name: string | null;
  readonly mime: string | null;
  readonly size: number | null;
  path?: string;
  skipped?: string;
};

export type MessageRow = {
  readonly id: number;
  readonly channel: string;
  readonly chat_id: string;
  readonly message_id: string;
  readonly group_folder: string;
  readonly sender_id: string | null;
  readonly sender_name: string | null;
  readonly text: string;
  readonly ts: number;
  readonly triggered: number;
  readonly status: 'context' | 'queued' | 'processing' | 'done' | 'failed';
  readonly attempts: number;
  readonly next_attempt_at: number;
  readonly last_error: string | null;
  readonly answered_at: number | null;
  /** JSON MessageFile[]. */
  readonly attachments: string | null;
};

export function messageFiles(row: Pick<MessageRow, 'attachments'>): MessageFile[] {
  return row.attachments === null ? [] : (JSON.parse(row.attachments) as MessageFile[]);
}

export type NewMessage = {
  channel: string;
  chatId: string;
  messageId: string;
  groupFolder: string;
  senderId: string | null;
  senderName: string | null;
  text: string;
  ts: number;
  triggered: boolean;
  attachments?: readonly MessageFile[];
};

export class MessagesRepo {
  constructor(private readonly db: Db) {}

  /** Stores the message; false when it was already stored (a duplicate delivery). */
  insert(m: NewMessage): boolean {
    const res = sql(
      this.db,
      `INSERT OR IGNORE INTO messages (channel, chat_id, message_id, group_folder, sender_id, sender_name, text, ts, triggered, status, attachments)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      m.channel,
      m.chatId,
      m.messageId,
      m.groupFolder,
      m.senderId,
      m.senderName,
      m.text,
      m.ts,
      m.triggered ? 1 : 0,
      m.triggered ? 'queued' : 'context',
      m.attachments === undefined || m.attachments.length === 0 ? null : JSON.stringify(m.attachments),
    );
    return res.changes > 0;
  }

  /** Groups with a queued message due now, oldest first. */
  groupsWithWork(now: number): string[] {
    return (
      sql(
        this.db,
        "SELECT group_folder, MIN(id) AS first FROM messages WHERE status = 'queued' AND next_attempt_at <= ? GROUP BY group_folder ORDER BY first",
      ).all(now) as Array<{ group_folder: string }>
    ).map((r) => r.group_folder);
  }

  /** Earliest retry time of a queued message that is not due yet. */
  nextRetryAt(now: number): number | undefined {
    const row = sql(
      this.db,
      "SELECT MIN(next_attempt_at) AS t FROM messages WHERE status = 'queued' AND next_attempt_at > ?",
    ).get(now) as {
      t: number | null;
    };
    return row.t ?? undefined;
  }

  /** The batch for the group's next turn: kept context plus every queued message, in order. */
  nextBatch(group: string, now: number): MessageRow[] {
    const lastQueued = sql(
      this.db,
      "SELECT MAX(id) AS id FROM messages WHERE group_folder = ? AND status = 'queued' AND next_attempt_at <= ?",
    ).get(group, now) as { id: number | null };
    if (lastQueued.id === null) return [];
    return sql(
      this.db,
      "SELECT * FROM messages WHERE group_folder = ? AND status IN ('context', 'queued') AND id <= ? ORDER BY id",
    ).all(group, lastQueued.id) as MessageRow[];
  }

  markProcessing(ids: readonly number[]): void {
    const stmt = sql(
      this.db,
      "UPDATE messages SET status = 'processing', attempts = attempts + triggered WHERE id = ?",
    );
    this.db.transaction(() => ids.forEach((id) => stmt.run(id)))();
  }

  /** The files of a message after a download attempt (paths, or why one was skipped). */
  setFiles(id: number, files: readonly MessageFile[]): void {
    sql(this.db, 'UPDATE messages SET attachments = ? WHERE id = ?').run(JSON.stringify(files), id);
  }

  markDone(ids: readonly number[], now: number): void {
    const stmt = sql(this.db, "UPDATE messages SET status = 'done', answered_at = ? WHERE id = ?");
    for (const id of ids) stmt.run(now, id);
  }

  /** Back to the queue after a failed turn (triggered ones wait for the retry; context stays context). */
  requeue(ids: readonly number[], nextAttemptAt: number, error: string): void {
    const stmt = sql(
      this.db,
      "UPDATE messages SET status = CASE WHEN triggered = 1 THEN 'queued' ELSE 'context' END, next_attempt_at = ?, last_error = ? WHERE id = ?",
    );
    this.db.transaction(() => ids.forEach((id) => stmt.run(nextAttemptAt, error, id)))();
  }

  /** Like requeue, but only for messages still `processing` (a turn whose outcome was never recorded). */
  requeueStuck(ids: readonly number[], nextAttemptAt: number, error: string): number {
    const stmt = sql(
      this.db,
      "UPDATE messages SET status = CASE WHEN triggered = 1 THEN 'queued' ELSE 'context' END, next_attempt_at = ?, last_error = ? WHERE id = ? AND status = 'processing'",
    );
    let n = 0;
    this.db.transaction(() => ids.forEach((id) => (n += stmt.run(nextAttemptAt, error, id).changes)))();
    return n;
  }

  markFailed(ids: readonly number[], error: string): void {
    const stmt = sql(this.db, "UPDATE messages SET status = 'failed', last_error = ? WHERE id = ?");
    this.db.transaction(() => ids.forEach((id) => stmt.run(error, id)))();
  }

  /** Boot recovery: turns that were running when the daemon died are queued again. */
  requeueInterrupted(): number {
    return sql(
      this.db,
      "UPDATE messages SET status = CASE WHEN triggered = 1 THEN 'queued' ELSE 'context' END, next_attempt_at = 0 WHERE status = 'processing'",
    ).run().changes;
  }

  /** Messages of a group waiting for or in a turn. */
  waitingFor(group: string): number {
    return (
      sql(
        this.db,
        "SELECT COUNT(*) AS n FROM messages WHERE group_folder = ? AND status IN ('queued', 'processing')",
      ).get(group) as { n: number }
    ).n;
  }

  counts(): Record<string, number> {
    const rows = sql(this.db, 'SELECT status, COUNT(*) AS n FROM messages GROUP BY status').all() as Array<{
      status: string;
      n: number;
    }>;
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }
}
