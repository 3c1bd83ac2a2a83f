/**
 * A session's durable event log (sessions/<id>/events.db): every ACP update, prompt, permission
 * decision and failure, in order. Appends are buffered and committed in one transaction per event
 * loop turn (never one commit per event); watchers see an event only after it is committed, so a
 * reader replaying from a sequence number never sees an event that could still be lost.
 *
 * One session's database must never stall the daemon (audit finding 13: another process holding
 * a lock on an events.db made every access wait the 5 s busy timeout, synchronously, and the
 * Telegram poller was reported stalled). So the busy timeout here is short; an append that finds
 * the file locked keeps its batch in memory, in order, and retries on a backoff timer; a read that
 * finds it locked fails at once with EventLogBusyError (the API answers 503).
 */
import type { Db } from '../store/db.js';
import { EVENT_DB_BUSY_TIMEOUT_MS, isBusyError, openDatabase, sql } from '../store/db.js';
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

/** Retry delays while the file is locked: 50 ms doubling to 2 s. */
export const BUSY_RETRY_FIRST_MS = 50;
export const BUSY_RETRY_MAX_MS = 2_000;
/**
 * At most this many bytes of event data wait in memory for a locked file. Past it new events are
 * counted, not kept, and one `events_lost` event with the count is written once the file is free,
 * so a reader sees the gap instead of a silent hole.
 */
export const MAX_PENDING_BYTES = 32 * 1024 * 1024;

export type EventLogOptions = {
  /** Told once per locked spell (not per retry), e.g. to log a warning. */
  readonly onBusy?: (info: { path: string; pending: number }) => void;
  /** Told when a locked spell ends and the kept events are committed. */
  readonly onUnblocked?: (info: { path: string; waitedMs: number; lost: number }) => void;
  /** Applied to every event's data before it is stored, e.g. scrubbing credentials (redact.ts). */
  readonly redact?: (data: unknown) => unknown;
  /**
   * A write failed for another reason than a lock (disk full, I/O error): told once per spell.
   * The batch stays buffered and is retried like a locked file; it never takes the daemon down.
   */
  readonly onWriteError?: (info: { path: string; err: unknown; pending: number }) => void;
};

/** The event log's file is locked by another process; the read did not wait for it. */
export class EventLogBusyError extends Error {
  override readonly name = 'EventLogBusyError';
}

export class EventLog {
  readonly #db: Db;
  readonly #insert;
  #pending: Pending[] = [];
  #scheduled = false;
  #lastSeq: number;
  readonly #watchers = new Set<Watcher>();
  #closed = false;
  /** close() was called while events still waited for a locked file: close after they commit. */
  #closing = false;
  #pendingBytes = 0;
  #lost = 0;
  #retry: NodeJS.Timeout | undefined;
  #retryMs = BUSY_RETRY_FIRST_MS;
  #busySince: number | undefined;

  constructor(
    private readonly path: string,
    private readonly onCommit?: (n: number) => void,
    private readonly opts: EventLogOptions = {},
  ) {
    this.#db = openDatabase(path, { busyTimeoutMs: EVENT_DB_BUSY_TIMEOUT_MS });
    migrate(this.#db, EVENT_MIGRATIONS, path);
    this.#insert = this.#db.prepare('INSERT INTO events (ts, turn, kind, data) VALUES (?, ?, ?, ?)');
    const row = this.#db.prepare('SELECT MAX(seq) AS s FROM events').get() as { s: number | null };
    this.#lastSeq = row.s ?? 0;
  }

  get lastSeq(): number {
    return this.#lastSeq + this.#pending.length;
  }

  /** Events waiting in memory for the file (more than a turn's worth only while it is locked). */
  get pending(): number {
    return this.#pending.length;
  }

  /** True while the file is locked by someone else and appends wait in memory. */
  get blocked(): boolean {
    return this.#busySince !== undefined;
  }

  append(kind: string, data: unknown, turn: number | null = null, ts = Date.now()): void {
    if (this.#closed || this.#closing) return;
    const text = JSON.stringify((this.opts.redact === undefined ? data : this.opts.redact(data)) ?? null);
    if (this.#pendingBytes + text.length > MAX_PENDING_BYTES) {
      this.#lost++;
      return;
    }
    this.#pendingBytes += text.length;
    this.#pending.push({ ts, turn, kind, data: text, parsed: data ?? null });
    // While blocked, the retry timer flushes; a setImmediate per append would only hit the lock.
    if (!this.#scheduled && this.#retry === undefined) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /**
   * Commits everything buffered in one transaction, then tells the watchers. When the file is
   * locked the batch stays buffered, in order, and a timer tries again; this never waits longer
   * than the short busy timeout.
   */
  flush(): void {
    this.#scheduled = false;
    if (this.#closed) return;
    // While locked, only the retry timer tries again: every other try would wait the timeout too.
    if (this.#retry !== undefined) return;
    if (this.#lost > 0 && this.#busySince === undefined) this.#noteLost();
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    const committed: SessionEvent[] = [];
    try {
      this.#db.transaction(() => {
        for (const e of batch) {
          const seq = Number(this.#insert.run(e.ts, e.turn, e.kind, e.data).lastInsertRowid);
          committed.push({ seq, ts: e.ts, turn: e.turn, kind: e.kind, data: e.parsed });
        }
      })();
    } catch (err) {
      // Runs from setImmediate or a timer: a throw here would be an uncaught exception, and one
      // session's full disk or damaged file would exit the daemon. Keep the batch and retry.
      if (!isBusyError(err) && this.#busySince === undefined)
        this.opts.onWriteError?.({ path: this.path, err, pending: this.#pending.length });
      this.#waitForLock(isBusyError(err));
      return;
    }
    this.#pending = this.#pending.slice(batch.length);
    this.#pendingBytes = this.#pending.reduce((n, e) => n + e.data.length, 0);
    if (this.#busySince !== undefined) {
      const waitedMs = Date.now() - this.#busySince;
      this.#busySince = undefined;
      this.#retryMs = BUSY_RETRY_FIRST_MS;
      this.opts.onUnblocked?.({ path: this.path, waitedMs, lost: this.#lost });
      if (this.#lost > 0) setImmediate(() => this.flush());
    }
    this.#lastSeq = committed[committed.length - 1]?.seq ?? this.#lastSeq;
    this.onCommit?.(committed.length);
    for (const w of this.#watchers) {
      try {
        w(committed);
      } catch {
        // a broken watcher must not stop the log
      }
    }
    if (this.#closing && this.#pending.length === 0) this.#closeNow();
  }

  #waitForLock(locked = true): void {
    if (this.#busySince === undefined) {
      this.#busySince = Date.now();
      if (locked) this.opts.onBusy?.({ path: this.path, pending: this.#pending.length });
    }
    if (this.#retry !== undefined) return;
    const delay = this.#retryMs;
    this.#retryMs = Math.min(this.#retryMs * 2, BUSY_RETRY_MAX_MS);
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.flush();
    }, delay);
  }

  /** The count of events dropped while the buffer was full, as an event of its own. */
  #noteLost(): void {
    const lost = this.#lost;
    this.#lost = 0;
    this.#pending.push({
      ts: Date.now(),
      turn: null,
      kind: 'events_lost',
      data: JSON.stringify({ count: lost, reason: 'events.db was locked by another process' }),
      parsed: { count: lost, reason: 'events.db was locked by another process' },
    });
  }

  read(afterSeq = 0, limit = 1000): SessionEvent[] {
    let rows;
    try {
      rows = sql(
        this.#db,
        'SELECT seq, ts, turn, kind, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?',
      ).all(afterSeq, limit) as Array<{
        seq: number;
        ts: number;
        turn: number | null;
        kind: string;
        data: string;
      }>;
    } catch (err) {
      if (isBusyError(err))
        throw new EventLogBusyError(`${this.path} is locked by another process; try again when it lets go`);
      throw err;
    }
    return rows.map((r) => ({ ...r, data: JSON.parse(r.data) as unknown }));
  }

  get watchers(): number {
    return this.#watchers.size;
  }

  watch(w: Watcher): () => void {
    this.#watchers.add(w);
    return () => this.#watchers.delete(w);
  }

  /**
   * Commits what is buffered and closes the file. If the file is locked right now the buffered
   * events are not dropped: the log closes itself once the retry timer has committed them.
   */
  close(): void {
    if (this.#closed || this.#closing) return;
    this.flush();
    if (this.#pending.length > 0 && this.#busySince !== undefined) {
      this.#closing = true;
      return;
    }
    this.#closeNow();
  }

  #closeNow(): void {
    if (this.#closed) return;
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#closed = true;
    this.#closing = false;
    this.#watchers.clear();
    this.#db.close();
  }
}
