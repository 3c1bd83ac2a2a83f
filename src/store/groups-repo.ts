/** Registered groups (chats bound to an agent and a folder) and approved direct-chat users. */
import { sql, type Db } from './db.js';

export type GroupRow = {
  readonly folder: string;
  readonly channel: string;
  readonly chat_id: string;
  readonly name: string | null;
  readonly agent: string | null;
  readonly is_main: number;
  readonly is_dm: number;
  readonly trigger: string | null;
  readonly session_id: string | null;
  readonly created_at: number;
};

export type NewGroup = {
  folder: string;
  channel: string;
  chatId: string;
  name?: string | null;
  agent?: string | null;
  isMain?: boolean;
  isDm?: boolean;
  trigger?: string | null;
};

export class GroupsRepo {
  constructor(private readonly db: Db) {}

  add(g: NewGroup, now: number): GroupRow {
    this.db.transaction(() => {
      if (g.isMain) sql(this.db, 'UPDATE groups SET is_main = 0').run();
      sql(
        this.db,
        'INSERT INTO groups (folder, channel, chat_id, name, agent, is_main, is_dm, trigger, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(
        g.folder,
        g.channel,
        g.chatId,
        g.name ?? null,
        g.agent ?? null,
        g.isMain ? 1 : 0,
        g.isDm ? 1 : 0,
        g.trigger ?? null,
        now,
      );
    })();
    return this.get(g.folder) as GroupRow;
  }

  get(folder: string): GroupRow | undefined {
    return sql(this.db, 'SELECT * FROM groups WHERE folder = ?').get(folder) as GroupRow | undefined;
  }

  byChat(channel: string, chatId: string): GroupRow | undefined {
    return sql(this.db, 'SELECT * FROM groups WHERE channel = ? AND chat_id = ?').get(channel, chatId) as
      GroupRow | undefined;
  }

  list(): GroupRow[] {
    return sql(this.db, 'SELECT * FROM groups ORDER BY created_at').all() as GroupRow[];
  }

  remove(folder: string): boolean {
    return sql(this.db, 'DELETE FROM groups WHERE folder = ?').run(folder).changes > 0;
  }

  setSession(folder: string, sessionId: string): void {
    sql(this.db, 'UPDATE groups SET session_id = ? WHERE folder = ?').run(sessionId, folder);
  }

  isApproved(channel: string, userId: string): boolean {
    return (
      sql(this.db, 'SELECT 1 FROM approved_users WHERE channel = ? AND user_id = ?').get(channel, userId) !==
      undefined
    );
  }

  approve(channel: string, userId: string, now: number): void {
    sql(this.db, 'INSERT OR IGNORE INTO approved_users (channel, user_id, approved_at) VALUES (?, ?, ?)').run(
      channel,
      userId,
      now,
    );
  }
}
