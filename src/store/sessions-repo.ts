/** The sessions aggregate in agentforge.db. */
import { sql, type Db } from './db.js';

export type SessionRow = {
  readonly id: string;
  readonly agent: string;
  readonly group_folder: string;
  readonly workspace: string;
  readonly acp_session_id: string | null;
  readonly state: 'active' | 'stopped' | 'removed';
  readonly created_at: number;
  readonly updated_at: number;
  readonly turns: number;
  readonly last_turn_at: number | null;
  readonly last_error_kind: string | null;
  readonly last_error: string | null;
  readonly last_error_at: number | null;
  readonly pid: number | null;
  readonly pgid: number | null;
  readonly proc_start_time: string | null;
};

export class SessionsRepo {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  create(row: { id: string; agent: string; groupFolder: string; workspace: string; now: number }): void {
    sql(
      this.#db,
      'INSERT INTO sessions (id, agent, group_folder, workspace, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(row.id, row.agent, row.groupFolder, row.workspace, row.now, row.now);
  }

  get(id: string): SessionRow | undefined {
    return sql(this.#db, 'SELECT * FROM sessions WHERE id = ?').get(id) as SessionRow | undefined;
  }

  list(includeRemoved = false): SessionRow[] {
    const query = includeRemoved
      ? 'SELECT * FROM sessions ORDER BY created_at'
      : "SELECT * FROM sessions WHERE state != 'removed' ORDER BY created_at";
    return sql(this.#db, query).all() as SessionRow[];
  }

  setAcpSession(id: string, acpSessionId: string, now: number): void {
    sql(this.#db, 'UPDATE sessions SET acp_session_id = ?, updated_at = ? WHERE id = ?').run(
      acpSessionId,
      now,
      id,
    );
  }

  setState(id: string, state: SessionRow['state'], now: number): void {
    sql(this.#db, 'UPDATE sessions SET state = ?, updated_at = ? WHERE id = ?').run(state, now, id);
  }

  recordProcess(
    id: string,
    proc: { pid: number; pgid: number; startTime: string | null } | null,
    now: number,
  ): void {
    sql(
      this.#db,
      'UPDATE sessions SET pid = ?, pgid = ?, proc_start_time = ?, updated_at = ? WHERE id = ?',
    ).run(proc?.pid ?? null, proc?.pgid ?? null, proc?.startTime ?? null, now, id);
  }

  recordTurn(id: string, now: number): void {
    sql(this.#db, 'UPDATE sessions SET turns = turns + 1, last_turn_at = ?, updated_at = ? WHERE id = ?').run(
      now,
      now,
      id,
    );
  }

  recordFailure(id: string, kind: string, message: string, now: number): void {
    sql(
      this.#db,
      'UPDATE sessions SET last_error_kind = ?, last_error = ?, last_error_at = ?, updated_at = ? WHERE id = ?',
    ).run(kind, message, now, now, id);
  }

  /** The newest active session of a group folder (for folders with no registered chat, e.g. cli). */
  latestActive(groupFolder: string): SessionRow | undefined {
    return sql(
      this.#db,
      "SELECT * FROM sessions WHERE group_folder = ? AND state = 'active' ORDER BY created_at DESC LIMIT 1",
    ).get(groupFolder) as SessionRow | undefined;
  }

  /** Sessions that had a live process recorded: candidates for orphan cleanup at boot. */
  withProcess(): SessionRow[] {
    return sql(this.#db, 'SELECT * FROM sessions WHERE pid IS NOT NULL').all() as SessionRow[];
  }
}
