import type { Migration } from '../migrate.js';

/** One row per daemon boot: lets status tell a clean stop from a crash, and gives the watchdog a write to prove. */
export const migration001: Migration = {
  version: 1,
  name: 'daemon-runs',
  up(db) {
    db.exec(`CREATE TABLE daemon_runs (
      id INTEGER PRIMARY KEY,
      pid INTEGER NOT NULL,
      version TEXT NOT NULL,
      git_sha TEXT NOT NULL,
      started_at INTEGER NOT NULL,
      heartbeat_at INTEGER NOT NULL,
      stopped_at INTEGER,
      clean_stop INTEGER NOT NULL DEFAULT 0
    )`);
  },
};
