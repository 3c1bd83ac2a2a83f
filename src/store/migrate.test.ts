import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from './db.js';
import { SchemaError, currentVersion, migrate, migrationState, type Migration } from './migrate.js';
import { GLOBAL_MIGRATIONS } from './migrations/index.js';

const LATEST = GLOBAL_MIGRATIONS[GLOBAL_MIGRATIONS.length - 1]!.version;

const createTable = (version: number, table: string): Migration => ({
  version,
  name: `create-${table}`,
  up: (db) => db.exec(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY)`),
});

const tables = (db: Db): string[] =>
  (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[]
  ).map((r) => r.name);

const applied = (db: Db): Array<{ version: number; name: string }> =>
  db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as Array<{
    version: number;
    name: string;
  }>;

describe('migrate', () => {
  let dir: string;
  let file: string;
  const open: Db[] = [];
  const openDb = (): Db => {
    const db = openDatabase(file);
    open.push(db);
    return db;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'af-migrate-'));
    file = join(dir, 'test.db');
  });
  afterEach(() => {
    for (const db of open.splice(0)) if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('brings a fresh database to the latest version, one schema_migrations row per migration', () => {
    const db = openDb();
    expect(migrate(db, GLOBAL_MIGRATIONS, 'test.db')).toEqual(GLOBAL_MIGRATIONS.map((m) => m.version));
    db.close();

    const again = openDb();
    expect(applied(again)).toEqual(GLOBAL_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    expect(tables(again)).toContain('daemon_runs');
    expect(migrationState(again, GLOBAL_MIGRATIONS)).toEqual({ current: LATEST, latest: LATEST, pending: 0 });
    expect(migrate(again, GLOBAL_MIGRATIONS, 'test.db')).toEqual([]); // idempotent
  });

  it('applies only the pending migrations, in order', () => {
    const db = openDb();
    migrate(db, [createTable(1, 'a')], 'test.db');
    expect(migrationState(db, [createTable(1, 'a'), createTable(2, 'b'), createTable(3, 'c')])).toMatchObject(
      {
        current: 1,
        pending: 2,
      },
    );
    expect(migrate(db, [createTable(1, 'a'), createTable(2, 'b'), createTable(3, 'c')], 'test.db')).toEqual([
      2, 3,
    ]);
    expect(tables(db)).toEqual(['a', 'b', 'c', 'schema_migrations']);
  });

  it('refuses a database written by a newer schema, naming the version it needs, and changes nothing', () => {
    const db = openDb();
    migrate(db, GLOBAL_MIGRATIONS, 'agentforge.db');
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
      LATEST + 5,
      'from-the-future',
      0,
    );
    const before = tables(db);

    let error: unknown;
    try {
      migrate(db, GLOBAL_MIGRATIONS, 'agentforge.db');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SchemaError);
    expect((error as SchemaError).kind).toBe('schema_newer');
    expect((error as SchemaError).message).toContain(`migration ${LATEST + 5}`);
    expect((error as SchemaError).message).toContain('agentforge.db');
    expect(tables(db)).toEqual(before);
    expect(currentVersion(db)).toBe(LATEST + 5);
  });

  it('rolls back a failing migration completely: its table is absent and schema_migrations unchanged', () => {
    const db = openDb();
    migrate(db, [createTable(1, 'first')], 'test.db');
    const rowsBefore = applied(db);
    const failing: Migration = {
      version: 2,
      name: 'half-done',
      up: (d) => {
        d.exec('CREATE TABLE half_done (id INTEGER PRIMARY KEY)');
        d.exec('INSERT INTO first (id) VALUES (1)');
        throw new Error('boom in the middle');
      },
    };

    let error: unknown;
    try {
      migrate(db, [createTable(1, 'first'), failing], 'test.db');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SchemaError);
    expect((error as SchemaError).kind).toBe('migration_failed');
    expect((error as SchemaError).message).toMatch(/migration 2 \(half-done\).*boom in the middle/);
    db.close();

    // Check from a fresh connection: the rollback is on disk, not only in the failed connection.
    const reopened = openDb();
    expect(tables(reopened)).toEqual(['first', 'schema_migrations']);
    expect(reopened.prepare('SELECT COUNT(*) AS n FROM first').get()).toEqual({ n: 0 });
    expect(applied(reopened)).toEqual(rowsBefore);
  });

  it('refuses migrations out of order or numbered twice', () => {
    const db = openDb();
    expect(() => migrate(db, [createTable(2, 'b'), createTable(1, 'a')], 'test.db')).toThrow(/increasing/);
    expect(() => migrate(db, [createTable(1, 'a'), createTable(1, 'b')], 'test.db')).toThrow(/increasing/);
    expect(tables(db)).toEqual([]);
  });

  it('applies a migration numbered below one already applied (a number reserved by another branch)', () => {
    const db = openDb();
    expect(migrate(db, [createTable(1, 'a'), createTable(3, 'c')], 'test.db')).toEqual([1, 3]);
    const all = [createTable(1, 'a'), createTable(2, 'b'), createTable(3, 'c')];
    expect(migrationState(db, all)).toMatchObject({ current: 3, pending: 1 });
    expect(migrate(db, all, 'test.db')).toEqual([2]);
    expect(tables(db)).toEqual(['a', 'b', 'c', 'schema_migrations']);
    expect(migrate(db, all, 'test.db')).toEqual([]);
  });
});
