import type { Migration } from '../migrate.js';

/**
 * The e-mail channel's durable state. `email_cursor` is the UID cursor of a watched mailbox (per
 * UIDVALIDITY); `email_inbox` has one row per fetched mail, keyed by (account, mailbox,
 * UIDVALIDITY, UID), written in the same transaction as the inbox message and the cursor, with the
 * server-side acknowledgement as a later, retried step (`acked`). `email_sent` remembers the
 * Message-ID each reply was given before its first send, so a send interrupted by a crash is looked
 * up in the Sent mailbox instead of being sent blindly again. Inbox messages gain the thread they
 * belong to (a turn answers one thread) and the channel's details (subject, attachments).
 */
export const migration006: Migration = {
  version: 6,
  name: 'email',
  up(db) {
    db.exec(`
      CREATE TABLE email_cursor (
        account TEXT NOT NULL,
        mailbox TEXT NOT NULL,
        uidvalidity TEXT NOT NULL,
        last_uid INTEGER NOT NULL,
        synced_at INTEGER NOT NULL,
        PRIMARY KEY (account, mailbox)
      );
      CREATE TABLE email_inbox (
        account TEXT NOT NULL,
        mailbox TEXT NOT NULL,
        uidvalidity TEXT NOT NULL,
        uid INTEGER NOT NULL,
        message_id TEXT,
        sender TEXT,
        subject TEXT,
        refs TEXT,
        status TEXT NOT NULL,
        reason TEXT,
        acked INTEGER NOT NULL DEFAULT 0,
        received_at INTEGER NOT NULL,
        PRIMARY KEY (account, mailbox, uidvalidity, uid)
      );
      CREATE INDEX email_inbox_message_id ON email_inbox (account, message_id);
      CREATE INDEX email_inbox_sender ON email_inbox (account, sender, received_at);
      CREATE TABLE email_sent (
        message_id TEXT PRIMARY KEY,
        outbox_key TEXT NOT NULL,
        recipient TEXT NOT NULL,
        state TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
      ALTER TABLE messages ADD COLUMN thread TEXT;
      ALTER TABLE messages ADD COLUMN details TEXT;
    `);
  },
};
