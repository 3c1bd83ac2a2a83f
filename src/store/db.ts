/**
 * Opens a SQLite file with the pragmas every AgentForge database uses (SPEC §5): WAL so readers never
 * block the writer, synchronous=NORMAL (durable at checkpoints, no fsync per commit), foreign keys
 * on, and a busy timeout so a concurrent backup or CLI reader waits instead of failing.
 */
import Database from 'better-sqlite3';

export type Db = Database.Database;

export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;
/**
 * A session's events.db waits at most this long for a lock. better-sqlite3 is synchronous, so a
 * wait here is a wait for the whole daemon; the event log keeps its appends in memory instead.
 */
export const EVENT_DB_BUSY_TIMEOUT_MS = 25;

/** SQLITE_BUSY (and its extended codes) or SQLITE_LOCKED: someone else holds the file's lock. */
export function isBusyError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

export type OpenOptions = {
  readonly readonly?: boolean;
  readonly fileMustExist?: boolean;
  readonly busyTimeoutMs?: number; // DEFAULT_BUSY_TIMEOUT_MS
};

export function openDatabase(path: string, opts: OpenOptions = {}): Db {
  const db = new Database(path, {
    readonly: opts.readonly ?? false,
    fileMustExist: opts.fileMustExist ?? false,
  });
  db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS}`);
  if (!opts.readonly) {
    // Before WAL: auto_vacuum only takes effect on a new file (or after VACUUM), and switching to
    // WAL first writes the header. Retention deletes rows; incremental vacuum gives space back.
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  }
  db.pragma('foreign_keys = ON');
  return db;
}

/** Turns a copied database into one self-contained file (rollback journal), as backups need. */
export function toSingleFile(path: string): void {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
}

const statements = new WeakMap<Db, Map<string, Database.Statement>>();

/**
 * A prepared statement, compiled once per connection. Repositories run the same few queries on
 * every message; preparing them each time was the daemon's largest CPU cost under load.
 */
export function sql(db: Db, text: string): Database.Statement {
  let cache = statements.get(db);
  if (cache === undefined) {
    cache = new Map();
    statements.set(db, cache);
  }
  let stmt = cache.get(text);
  if (stmt === undefined) {
    stmt = db.prepare(text);
    cache.set(text, stmt);
  }
  return stmt;
}
