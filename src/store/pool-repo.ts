/**
 * The bot pool's assignments (migration 008): which pool bot speaks for which sender. Unique both
 * ways — a sender keeps its bot across restarts, and a bot (whose name is global) speaks for one
 * sender only.
 */
import { sql, type Db } from './db.js';

export type PoolRow = {
  readonly channel: string;
  readonly sender: string;
  readonly bot_id: string;
  readonly renamed: number;
  readonly assigned_at: number;
};

export class PoolRepo {
  constructor(private readonly db: Db) {}

  get(channel: string, sender: string): PoolRow | undefined {
    return sql(this.db, 'SELECT * FROM pool_senders WHERE channel = ? AND sender = ?').get(
      channel,
      sender,
    ) as PoolRow | undefined;
  }

  /** Gives `sender` the first of `bots` nobody has; undefined when the pool is exhausted. */
  assign(channel: string, sender: string, bots: readonly string[], now: number): PoolRow | undefined {
    return this.db.transaction(() => {
      const have = this.get(channel, sender);
      if (have !== undefined) return have;
      const taken = new Set(
        (
          sql(this.db, 'SELECT bot_id FROM pool_senders WHERE channel = ?').all(channel) as Array<{
            bot_id: string;
          }>
        ).map((r) => r.bot_id),
      );
      const free = bots.find((b) => !taken.has(b));
      if (free === undefined) return undefined;
      sql(this.db, 'INSERT INTO pool_senders (channel, sender, bot_id, assigned_at) VALUES (?, ?, ?, ?)').run(
        channel,
        sender,
        free,
        now,
      );
      return this.get(channel, sender);
    })();
  }

  markRenamed(channel: string, sender: string): void {
    sql(this.db, 'UPDATE pool_senders SET renamed = 1 WHERE channel = ? AND sender = ?').run(channel, sender);
  }

  list(channel: string): PoolRow[] {
    return sql(this.db, 'SELECT * FROM pool_senders WHERE channel = ? ORDER BY assigned_at').all(
      channel,
    ) as PoolRow[];
  }
}
