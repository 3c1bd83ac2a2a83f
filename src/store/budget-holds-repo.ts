/**
 * Budget holds: a group or an agent that reached a soft limit in a period. `asked` waits for an
 * approver, `stopped` waits for the next period or the operator, `continued` runs on with `extra`
 * added to the limit. A hold is a row before the question is sent, so a kill -9 while paused
 * leaves it paused; a new period has no row, so the rollover needs no write.
 */
import { sql, type Db } from './db.js';

export type HoldScope = 'group' | 'agent';
export type HoldState = 'asked' | 'stopped' | 'continued';

export type HoldRow = {
  readonly scope: HoldScope;
  readonly name: string;
  readonly period: 'day' | 'month';
  readonly period_key: string;
  readonly state: HoldState;
  readonly extra: number;
  readonly asked_in: string | null;
  readonly asked_at: number;
  readonly decided_by: string | null;
  readonly decided_at: number | null;
};

export type HoldKey = {
  readonly scope: HoldScope;
  readonly name: string;
  readonly period: 'day' | 'month';
  readonly periodKey: string;
};

export class BudgetHoldsRepo {
  constructor(private readonly db: Db) {}

  get(k: HoldKey): HoldRow | undefined {
    return sql(
      this.db,
      'SELECT * FROM budget_holds WHERE scope = ? AND name = ? AND period = ? AND period_key = ?',
    ).get(k.scope, k.name, k.period, k.periodKey) as HoldRow | undefined;
  }

  /** Paused and asking (again, after a `continue` whose extra is spent too). */
  ask(k: HoldKey, askedIn: string, now: number): void {
    sql(
      this.db,
      `INSERT INTO budget_holds (scope, name, period, period_key, state, asked_in, asked_at) VALUES (?, ?, ?, ?, 'asked', ?, ?)
         ON CONFLICT (scope, name, period, period_key) DO UPDATE SET state = 'asked', asked_in = excluded.asked_in, asked_at = excluded.asked_at`,
    ).run(k.scope, k.name, k.period, k.periodKey, askedIn, now);
  }

  decide(k: HoldKey, state: 'stopped' | 'continued', addExtra: number, by: string, now: number): void {
    sql(
      this.db,
      `INSERT INTO budget_holds (scope, name, period, period_key, state, extra, asked_at, decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (scope, name, period, period_key) DO UPDATE SET state = excluded.state, extra = budget_holds.extra + excluded.extra,
           decided_by = excluded.decided_by, decided_at = excluded.decided_at`,
    ).run(k.scope, k.name, k.period, k.periodKey, state, addExtra, now, by, now);
  }

  /** Holds of the given periods that still pause someone (`asked` or `stopped`). */
  paused(dayKey: string, monthKey: string): HoldRow[] {
    return sql(
      this.db,
      `SELECT * FROM budget_holds WHERE state IN ('asked', 'stopped')
         AND ((period = 'day' AND period_key = ?) OR (period = 'month' AND period_key = ?)) ORDER BY asked_at`,
    ).all(dayKey, monthKey) as HoldRow[];
  }
}
