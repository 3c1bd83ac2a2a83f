import type { Migration } from '../migrate.js';

/**
 * Scheduled tasks and their runs. A run is claimed (row written, task's next_run_at advanced) in
 * one transaction before it is dispatched, which is what makes "never twice" hold across restarts.
 */
export const migration004: Migration = {
  version: 4,
  name: 'tasks',
  up(db) {
    db.exec(`
      CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        group_folder TEXT NOT NULL,
        prompt TEXT NOT NULL,
        schedule_type TEXT NOT NULL,
        schedule_value TEXT NOT NULL,
        timezone TEXT NOT NULL,
        context_mode TEXT NOT NULL DEFAULT 'group',
        status TEXT NOT NULL DEFAULT 'active',
        next_run_at INTEGER,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX tasks_due ON tasks (status, next_run_at);
      CREATE TABLE task_runs (
        id INTEGER PRIMARY KEY,
        task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
        scheduled_for INTEGER NOT NULL,
        due_at INTEGER NOT NULL,
        attempt INTEGER NOT NULL DEFAULT 1,
        status TEXT NOT NULL,
        started_at INTEGER,
        finished_at INTEGER,
        duration_ms INTEGER,
        result_excerpt TEXT,
        error TEXT,
        error_kind TEXT
      );
      CREATE INDEX task_runs_task ON task_runs (task_id, id);
      CREATE INDEX task_runs_status ON task_runs (status, due_at);
    `);
  },
};
