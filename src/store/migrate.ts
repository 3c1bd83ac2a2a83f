/**
 * Numbered, append-only migrations. Each runs in its own transaction together with its row in
 * schema_migrations, so a failing migration leaves the database exactly as it was. A database
 * written by a newer build is refused rather than guessed at.
 */
import type { Db } from './db.js';

export type Migration = {
  readonly version: number;
  readonly name: string;
  readonly up: (db: Db) => void;
};

export class SchemaError extends Error {
  override readonly name = 'SchemaError';
  constructor(
    readonly kind: 'schema_newer' | 'migration_failed',
    message: string,
    opts?: { cause?: unknown },
  ) {
    super(message, opts);
  }
}

export type MigrationState = { readonly current: number; readonly latest: number; readonly pending: number };

export function currentVersion(db: Db): number {
  const exists = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (exists === undefined) return 0;
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

/** The versions recorded in schema_migrations (none before the first migration). */
function appliedVersions(db: Db): Set<number> {
  const exists = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (exists === undefined) return new Set();
  const rows = db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>;
  return new Set(rows.map((r) => r.version));
}

export function migrationState(db: Db, migrations: readonly Migration[]): MigrationState {
  const latest = latestVersion(migrations);
  const current = currentVersion(db);
  const done = appliedVersions(db);
  return { current, latest, pending: migrations.filter((m) => !done.has(m.version)).length };
}

export function assertNotNewer(db: Db, migrations: readonly Migration[], label: string): void {
  const latest = latestVersion(migrations);
  const current = currentVersion(db);
  if (current > latest) {
    throw new SchemaError(
      'schema_newer',
      `${label} has schema version ${current} but this agentforge knows only up to ${latest}; ` +
        `run an agentforge release that includes migration ${current}, or restore a backup taken with this version`,
    );
  }
}

/** Applies every pending migration in order; returns the versions applied. */
export function migrate(db: Db, migrations: readonly Migration[], label: string, now = Date.now): number[] {
  assertOrdered(migrations);
  assertNotNewer(db, migrations, label);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  // Pending = not recorded, not "above the highest": numbers are reserved by parallel branches
  // (006 e-mail, 008 telegram …), so a database may have 008 before a later merge brings 006.
  const done = appliedVersions(db);
  const applied: number[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    try {
      db.transaction(() => {
        m.up(db);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
          m.version,
          m.name,
          now(),
        );
      })();
    } catch (err) {
      throw new SchemaError(
        'migration_failed',
        `${label}: migration ${m.version} (${m.name}) failed and was rolled back: ${(err as Error).message}`,
        { cause: err },
      );
    }
    applied.push(m.version);
  }
  return applied;
}

function latestVersion(migrations: readonly Migration[]): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

/** Strictly increasing from 1; a gap is a number another branch has reserved. */
function assertOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    const before = i === 0 ? 0 : migrations[i - 1]!.version;
    if (!Number.isInteger(m.version) || m.version <= before)
      throw new Error(
        `migrations must be numbered in increasing order from 1; found ${m.version} after ${before}`,
      );
  });
}
