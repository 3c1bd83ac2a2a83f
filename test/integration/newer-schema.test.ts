/**
 * SPEC §5: the daemon refuses a database written by a newer schema with a clear message, and
 * leaves both the database and the home as they were.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeHome, testConfig, type TestHome } from '../helpers/harness.js';

const FUTURE = 999;

describe('a database from a newer agentforge', () => {
  let h: TestHome;
  beforeEach(async () => {
    h = makeHome();
    h.writeConfig(testConfig(0));
    await h.run(['init']);
    const db = new Database(join(h.home, 'agentforge.db'));
    db.exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);
      INSERT INTO schema_migrations VALUES (${FUTURE}, 'from-the-future', 0);`);
    db.close();
  });
  afterEach(() => h.cleanup());

  const dbState = (): { version: number; tables: string[] } => {
    const db = new Database(join(h.home, 'agentforge.db'), { readonly: true });
    try {
      const { v } = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number };
      const tables = (
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
      ).map((r) => r.name);
      return { version: v, tables };
    } finally {
      db.close();
    }
  };

  it('makes daemon start (detached and foreground) fail, naming the schema version it needs', async () => {
    for (const args of [
      ['daemon', 'start'],
      ['daemon', 'start', '--foreground'],
    ]) {
      const r = await h.run(args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr).toContain(`schema version ${FUTURE}`);
      expect(r.stderr).toContain(`migration ${FUTURE}`);
      expect(r.stderr.trim().split('\n')).toHaveLength(1); // one line, no stack trace
    }
    expect((await h.run(['status'])).code).toBe(3);
    for (const f of ['daemon.sock', 'daemon.json', 'daemon.lock'])
      expect(existsSync(join(h.home, f)), f).toBe(false);
    expect(dbState()).toEqual({ version: FUTURE, tables: ['schema_migrations'] });
  });

  it('is reported by daemon check and doctor as an error', async () => {
    const check = await h.run(['daemon', 'check', '-o', 'json']);
    expect(check.code).not.toBe(0);
    expect(JSON.parse(check.stdout).findings).toContainEqual(
      expect.objectContaining({
        id: 'db.migrations',
        severity: 'error',
        message: expect.stringContaining(`${FUTURE}`),
      }),
    );
    const doctor = await h.run(['doctor', '-o', 'json']);
    expect(doctor.code).toBe(5);
    expect(JSON.parse(doctor.stdout).findings).toContainEqual(
      expect.objectContaining({ id: 'db.schema', severity: 'error' }),
    );
    expect(dbState().version).toBe(FUTURE);
  });
});
