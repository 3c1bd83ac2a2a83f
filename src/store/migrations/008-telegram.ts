import type { Migration } from '../migrate.js';

/**
 * Telegram as people use it (issue 15), in one migration:
 * - outbox rows carry inline buttons (`buttons`, JSON rows of {text, action}), a key others find
 *   them by (`ref`, e.g. the permission request they ask about), the chat message id their last
 *   part got (`sent_message_id`, what an edit targets), edits (`edit_of` another row, or
 *   `edit_message_id` directly), a stored file to send (`attachment`, JSON) and the chat message
 *   a reply's first part replaces (`replaces_message_id`, a live preview);
 * - inbox messages carry the files that came with them (`attachments`, JSON);
 * - `pool_senders`: which pool bot speaks for which sender, unique both ways;
 * - `live_previews`: preview messages being edited while a turn runs, so a crash mid-stream
 *   leaves none behind unexplained.
 */
export const migration008: Migration = {
  version: 8,
  name: 'telegram',
  up(db) {
    db.exec(`
      ALTER TABLE outbox ADD COLUMN buttons TEXT;
      ALTER TABLE outbox ADD COLUMN ref TEXT;
      ALTER TABLE outbox ADD COLUMN sent_message_id TEXT;
      ALTER TABLE outbox ADD COLUMN edit_of INTEGER;
      ALTER TABLE outbox ADD COLUMN edit_message_id TEXT;
      ALTER TABLE outbox ADD COLUMN attachment TEXT;
      ALTER TABLE outbox ADD COLUMN replaces_message_id TEXT;
      CREATE INDEX outbox_ref ON outbox (ref) WHERE ref IS NOT NULL;
      ALTER TABLE messages ADD COLUMN attachments TEXT;
      CREATE TABLE pool_senders (
        channel TEXT NOT NULL,
        sender TEXT NOT NULL,
        bot_id TEXT NOT NULL,
        renamed INTEGER NOT NULL DEFAULT 0,
        assigned_at INTEGER NOT NULL,
        PRIMARY KEY (channel, sender),
        UNIQUE (channel, bot_id)
      );
      CREATE TABLE live_previews (
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        group_folder TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (channel, chat_id, message_id)
      );
    `);
  },
};
