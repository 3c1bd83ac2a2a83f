/**
 * Live previews in the chat (migration 008): a message being edited while a turn runs. Recorded
 * when it is first sent and dropped when the final reply takes it over, so a crash mid-stream
 * leaves a row the next boot finds, and the stale preview is marked instead of left half-written.
 */
import { sql, type Db } from './db.js';

export type PreviewRow = {
  readonly channel: string;
  readonly chat_id: string;
  readonly message_id: string;
  readonly group_folder: string;
  readonly created_at: number;
};

export class PreviewsRepo {
  constructor(private readonly db: Db) {}

  add(p: { channel: string; chatId: string; messageId: string; groupFolder: string }, now: number): void {
    sql(
      this.db,
      'INSERT OR IGNORE INTO live_previews (channel, chat_id, message_id, group_folder, created_at) VALUES (?, ?, ?, ?, ?)',
    ).run(p.channel, p.chatId, p.messageId, p.groupFolder, now);
  }

  remove(channel: string, chatId: string, messageId: string): void {
    sql(this.db, 'DELETE FROM live_previews WHERE channel = ? AND chat_id = ? AND message_id = ?').run(
      channel,
      chatId,
      messageId,
    );
  }

  /** Every recorded preview, removed as it is returned (boot: previews a crash left behind). */
  takeAll(): PreviewRow[] {
    return this.db.transaction(() => {
      const rows = sql(this.db, 'SELECT * FROM live_previews ORDER BY created_at').all() as PreviewRow[];
      sql(this.db, 'DELETE FROM live_previews').run();
      return rows;
    })();
  }
}
