import type { Migration } from '../migrate.js';

/** The sessions index. The live process columns let the next boot find and kill orphans. */
export const migration002: Migration = {
  version: 2,
  name: 'sessions',
  up(db) {
    db.exec(`CREATE TABLE sessions (
      id TEXT PRIMARY KEY,
      agent TEXT NOT NULL,
      group_folder TEXT NOT NULL,
      workspace TEXT NOT NULL,
      acp_session_id TEXT,
      state TEXT NOT NULL DEFAULT 'active',
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      turns INTEGER NOT NULL DEFAULT 0,
      last_turn_at INTEGER,
      last_error_kind TEXT,
      last_error TEXT,
      last_error_at INTEGER,
      pid INTEGER,
      pgid INTEGER,
      proc_start_time TEXT
    );
    CREATE INDEX sessions_group ON sessions (group_folder, state);`);
  },
};
