import type { Migration } from '../migrate.js';

/**
 * What the agents spent (one row per turn, or per update that reported spend outside a turn), the
 * last cumulative cost each agent session reported (so a resume or a restart never counts it
 * twice; per agent process, since a resumed process may restore an earlier total), and budget holds: a group or agent paused at a soft limit, durable across a kill -9.
 */
export const migration007: Migration = {
  version: 7,
  name: 'usage',
  up(db) {
    db.exec(`
      CREATE TABLE usage_records (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        day TEXT NOT NULL,
        month TEXT NOT NULL,
        session_id TEXT NOT NULL,
        turn INTEGER,
        agent TEXT NOT NULL,
        group_folder TEXT NOT NULL,
        task_id TEXT,
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cached_tokens INTEGER NOT NULL DEFAULT 0,
        total_tokens INTEGER NOT NULL DEFAULT 0,
        context_used INTEGER,
        context_size INTEGER,
        cost REAL NOT NULL DEFAULT 0,
        currency TEXT,
        estimated INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX usage_group_day ON usage_records (group_folder, day);
      CREATE INDEX usage_agent_day ON usage_records (agent, day);
      CREATE INDEX usage_day ON usage_records (day);
      CREATE TABLE usage_cumulative (
        session_id TEXT NOT NULL,
        acp_session_id TEXT NOT NULL,
        currency TEXT NOT NULL,
        process TEXT NOT NULL,
        amount REAL NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (session_id, acp_session_id, currency, process)
      );
      CREATE TABLE budget_holds (
        scope TEXT NOT NULL,
        name TEXT NOT NULL,
        period TEXT NOT NULL,
        period_key TEXT NOT NULL,
        state TEXT NOT NULL,
        extra REAL NOT NULL DEFAULT 0,
        asked_in TEXT,
        asked_at INTEGER NOT NULL,
        decided_by TEXT,
        decided_at INTEGER,
        PRIMARY KEY (scope, name, period, period_key)
      );
    `);
  },
};
