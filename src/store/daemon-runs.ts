/** The daemon_runs aggregate: one row per boot, closed on a clean stop. */
import { sql, type Db } from './db.js';

export type DaemonRun = {
  readonly id: number;
  readonly pid: number;
  readonly version: string;
  readonly git_sha: string;
  readonly started_at: number;
  readonly heartbeat_at: number;
  readonly stopped_at: number | null;
  readonly clean_stop: number;
};

export class DaemonRuns {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  start(run: { pid: number; version: string; gitSha: string; now: number }): number {
    const res = sql(
      this.#db,
      'INSERT INTO daemon_runs (pid, version, git_sha, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)',
    ).run(run.pid, run.version, run.gitSha, run.now, run.now);
    return Number(res.lastInsertRowid);
  }

  /** A real write: proves to the watchdog that the store accepts writes. */
  heartbeat(id: number, now: number): void {
    sql(this.#db, 'UPDATE daemon_runs SET heartbeat_at = ? WHERE id = ?').run(now, id);
  }

  stop(id: number, now: number): void {
    sql(this.#db, 'UPDATE daemon_runs SET stopped_at = ?, clean_stop = 1 WHERE id = ?').run(now, id);
  }

  /** The run before `currentId`, to report whether the last shutdown was clean. */
  previous(currentId: number): DaemonRun | undefined {
    return sql(this.#db, 'SELECT * FROM daemon_runs WHERE id < ? ORDER BY id DESC LIMIT 1').get(currentId) as
      DaemonRun | undefined;
  }
}
