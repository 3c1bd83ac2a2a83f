/** Small durable settings the daemon keeps for itself (e.g. the Telegram poll offset). */
import { sql, type Db } from './db.js';

export class KvRepo {
  constructor(private readonly db: Db) {}

  get(key: string): string | undefined {
    return (sql(this.db, 'SELECT value FROM kv WHERE key = ?').get(key) as { value: string } | undefined)
      ?.value;
  }

  set(key: string, value: string): void {
    sql(
      this.db,
      'INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ).run(key, value);
  }
}
