import type { Migration } from '../migrate.js';

/**
 * Chats and their traffic: registered groups, the durable inbox (unique per channel+chat+message,
 * so a redelivered update is dropped), the outbox (written before it is sent), pairing codes,
 * approved users, and small key-value state such as the Telegram poll offset.
 */
export const migration003: Migration = {
  version: 3,
  name: 'chat',
  up(db) {
    db.exec(`
      CREATE TABLE groups (
        folder TEXT PRIMARY KEY,
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        name TEXT,
        agent TEXT,
        is_main INTEGER NOT NULL DEFAULT 0,
        is_dm INTEGER NOT NULL DEFAULT 0,
        trigger TEXT,
        session_id TEXT,
        created_at INTEGER NOT NULL,
        UNIQUE (channel, chat_id)
      );
      CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        group_folder TEXT NOT NULL,
        sender_id TEXT,
        sender_name TEXT,
        text TEXT NOT NULL,
        ts INTEGER NOT NULL,
        triggered INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        answered_at INTEGER,
        UNIQUE (channel, chat_id, message_id)
      );
      CREATE INDEX messages_group_status ON messages (group_folder, status, id);
      CREATE INDEX messages_ts ON messages (ts);
      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        group_folder TEXT,
        text TEXT NOT NULL,
        sender TEXT,
        source TEXT NOT NULL,
        reply_to_message TEXT,
        status TEXT NOT NULL DEFAULT 'pending',
        parts_sent INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error TEXT,
        reported INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        sent_at INTEGER
      );
      CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
      CREATE TABLE pairing_codes (
        code TEXT PRIMARY KEY,
        channel TEXT NOT NULL,
        user_id TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        user_name TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        approved_at INTEGER
      );
      CREATE TABLE approved_users (
        channel TEXT NOT NULL,
        user_id TEXT NOT NULL,
        approved_at INTEGER NOT NULL,
        PRIMARY KEY (channel, user_id)
      );
      CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
  },
};
