/**
 * A session's durable event log (sessions/<id>/events.db): every ACP update, prompt, permission
 * decision and failure, in order. Appends are buffered and committed in one transaction per event
 * loop turn (never one commit per event); watchers see an event only after it is committed, so a
 * reader replaying from a sequence number never sees an event that could still be lost.
 */
import type { Db } from '../store/db.js';
import { openDatabase, sql } from '../store/db.js';
import { migrate, type Migration } from '../store/migrate.js';

export type SessionEvent = {
  readonly seq: number;
  readonly ts: number;
  readonly turn: number | null;
  readonly kind: string;
  readonly data: unknown;
};

export const EVENT_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events',
    up(db) {
      db.exec(`CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        turn INTEGER,
        kind TEXT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX events_ts ON events (ts);`);
    },
  },
];

type Pending = { ts: number; turn: number | null; kind: string; data: string; parsed: unknown };
export type Watcher = (events: readonly SessionEvent[]) => void;

export class EventLog {
  readonly #db: Db;
  readonly #insert;
  #pending: Pending[] = [];
  #scheduled = false;
  #lastSeq: number;
  readonly #watchers = new Set<Watcher>();
  #closed = false;

  constructor(
    path: string,
    private readonly onCommit?: (n: number) => void,
  ) {
    this.#db = openDatabase(path);
    migrate(this.#db, EVENT_MIGRATIONS, path);
    this.#insert = this.#db.prepare('INSERT INTO events (ts, turn, kind, data) VALUES (?, ?, ?, ?)');
    const row = this.#db.prepare('SELECT MAX(seq) AS s FROM events').get() as { s: number | null };
    this.#lastSeq = row.s ?? 0;
  }

  get lastSeq(): number {
    return this.#lastSeq + this.#pending.length;
  }

  append(kind: string, data: unknown, turn: number | null = null, ts = Date.now()): void {
    if (this.#closed) return;
    this.#pending.push({ ts, turn, kind, data: JSON.stringify(data ?? null), parsed: data ?? null });
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Commits everything buffered in one transaction, then tells the watchers. */
  flush(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0 || this.#closed) return;
    const batch = this.#pending;
    this.#pending = [];
    const committed: SessionEvent[] = [];
    this.#db.transaction(() => {
      for (const e of batch) {
        const seq = Number(this.#insert.run(e.ts, e.turn, e.kind, e.data).lastInsertRowid);
        committed.push({ seq, ts: e.ts, turn: e.turn, kind: e.kind, data: e.parsed });
      }
    })();
    this.#lastSeq = committed[committed.length - 1]?.seq ?? this.#lastSeq;
    this.onCommit?.(committed.length);
    for (const w of this.#watchers) {
      try {
        w(committed);
      } catch {
        // a broken watcher must not stop the log
      }
    }
  }

  read(afterSeq = 0, limit = 1000): SessionEvent[] {
    const rows = sql(
      this.#db,
      'SELECT seq, ts, turn, kind, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?',
    ).all(afterSeq, limit) as Array<{
      seq: number;
      ts: number;
      turn: number | null;
      kind: string;
      data: string;
    }>;
    return rows.map((r) => ({ ...r, data: JSON.parse(r.data) as unknown }));
  }

  get watchers(): number {
    return this.#watchers.size;
  }

  watch(w: Watcher): () => void {
    this.#watchers.add(w);
    return () => this.#watchers.delete(w);
  }

  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    this.#watchers.clear();
    this.#db.close();
  }
}
