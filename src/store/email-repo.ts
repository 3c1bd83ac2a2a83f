/**
 * The e-mail channel's state (migration 006): UID cursors, one row per fetched mail (with its
 * pending server-side acknowledgement), and the Message-IDs of replies being sent.
 */
import { sql, type Db } from './db.js';

export type EmailCursor = {
  readonly uidvalidity: string;
  readonly last_uid: number;
  readonly synced_at: number;
};

export type EmailInboxRow = {
  readonly account: string;
  readonly mailbox: string;
  readonly uidvalidity: string;
  readonly uid: number;
  readonly message_id: string | null;
  readonly sender: string | null;
  readonly subject: string | null;
  readonly refs: string | null;
  readonly status: 'accepted' | 'skipped' | 'quarantined' | 'baseline';
  readonly reason: string | null;
  readonly acked: number;
  readonly received_at: number;
};

export type NewEmailInbox = Omit<EmailInboxRow, 'acked'>;

export type SentState = 'sending' | 'sent';

export class EmailRepo {
  constructor(private readonly db: Db) {}

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  cursor(account: string, mailbox: string): EmailCursor | undefined {
    return sql(
      this.db,
      'SELECT uidvalidity, last_uid, synced_at FROM email_cursor WHERE account = ? AND mailbox = ?',
    ).get(account, mailbox) as EmailCursor | undefined;
  }

  setCursor(account: string, mailbox: string, c: EmailCursor): void {
    sql(
      this.db,
      `INSERT INTO email_cursor (account, mailbox, uidvalidity, last_uid, synced_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (account, mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid, synced_at = excluded.synced_at`,
    ).run(account, mailbox, c.uidvalidity, c.last_uid, c.synced_at);
  }

  /** False when this (account, mailbox, UIDVALIDITY, UID) was recorded before. */
  record(r: NewEmailInbox, acked: boolean): boolean {
    return (
      sql(
        this.db,
        `INSERT OR IGNORE INTO email_inbox (account, mailbox, uidvalidity, uid, message_id, sender, subject, refs, status, reason, acked, received_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        r.account,
        r.mailbox,
        r.uidvalidity,
        r.uid,
        r.message_id,
        r.sender,
        r.subject,
        r.refs,
        r.status,
        r.reason,
        acked ? 1 : 0,
        r.received_at,
      ).changes > 0
    );
  }

  knowsMessageId(account: string, messageId: string): boolean {
    return (
      sql(this.db, 'SELECT 1 FROM email_inbox WHERE account = ? AND message_id = ? LIMIT 1').get(
        account,
        messageId,
      ) !== undefined
    );
  }

  /** The newest accepted mail with this Message-ID: what a reply threads onto. */
  byMessageId(account: string, messageId: string): EmailInboxRow | undefined {
    return sql(
      this.db,
      "SELECT * FROM email_inbox WHERE account = ? AND message_id = ? AND status = 'accepted' ORDER BY received_at DESC LIMIT 1",
    ).get(account, messageId) as EmailInboxRow | undefined;
  }

  /** Accepted mails from this sender since `since` (the per-sender reply cap). */
  acceptedFrom(account: string, sender: string, since: number): number {
    return (
      sql(
        this.db,
        "SELECT COUNT(*) AS n FROM email_inbox WHERE account = ? AND sender = ? AND status = 'accepted' AND received_at >= ?",
      ).get(account, sender, since) as { n: number }
    ).n;
  }

  unacked(account: string, mailbox: string, uidvalidity: string, limit = 500): number[] {
    return (
      sql(
        this.db,
        "SELECT uid FROM email_inbox WHERE account = ? AND mailbox = ? AND uidvalidity = ? AND status = 'accepted' AND acked = 0 ORDER BY uid LIMIT ?",
      ).all(account, mailbox, uidvalidity, limit) as Array<{ uid: number }>
    ).map((r) => r.uid);
  }

  markAcked(account: string, mailbox: string, uidvalidity: string, uids: readonly number[]): void {
    const stmt = sql(
      this.db,
      'UPDATE email_inbox SET acked = 1 WHERE account = ? AND mailbox = ? AND uidvalidity = ? AND uid = ?',
    );
    this.db.transaction(() => uids.forEach((u) => stmt.run(account, mailbox, uidvalidity, u)))();
  }

  counts(account: string): Record<string, number> {
    const rows = sql(
      this.db,
      'SELECT status, COUNT(*) AS n FROM email_inbox WHERE account = ? GROUP BY status',
    ).all(account) as Array<{ status: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  sentState(messageId: string): SentState | undefined {
    return (
      sql(this.db, 'SELECT state FROM email_sent WHERE message_id = ?').get(messageId) as
        { state: SentState } | undefined
    )?.state;
  }

  setSentState(messageId: string, outboxKey: string, recipient: string, state: SentState, now: number): void {
    sql(
      this.db,
      `INSERT INTO email_sent (message_id, outbox_key, recipient, state, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (message_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
    ).run(messageId, outboxKey, recipient, state, now);
  }

  /** A send that got a definite answer (an SMTP error): nothing is in doubt any more. */
  clearSending(messageId: string): void {
    sql(this.db, "DELETE FROM email_sent WHERE message_id = ? AND state = 'sending'").run(messageId);
  }

  isOurMessageId(messageId: string): boolean {
    return sql(this.db, 'SELECT 1 FROM email_sent WHERE message_id = ?').get(messageId) !== undefined;
  }
}
