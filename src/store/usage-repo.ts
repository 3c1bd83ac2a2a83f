/**
 * What the agents spent: one row per turn (or per spend an agent reported between turns), with
 * the local day and month it counts towards, and the last cumulative cost each agent session
 * reported. Budget sums and `agentforge usage` read these rows; nothing here knows the limits.
 */
import { sql, type Db } from './db.js';

export type NewUsage = {
  readonly at: number;
  /** The scheduler's local day (`2025-03-30`) and month (`2025-03`) of `at`. */
  readonly day: string;
  readonly month: string;
  readonly sessionId: string;
  readonly turn: number | null;
  readonly agent: string;
  readonly group: string;
  readonly taskId: string | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedTokens: number;
  readonly totalTokens: number;
  readonly contextUsed: number | null;
  readonly contextSize: number | null;
  readonly cost: number;
  readonly currency: string | null;
  readonly estimated: boolean;
};

export type UsageSummaryRow = {
  readonly day: string;
  readonly agent: string;
  readonly group_folder: string;
  readonly task_id: string | null;
  readonly currency: string | null;
  readonly turns: number;
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly total_tokens: number;
  readonly cost: number;
  /** Rows of this line whose cost is an estimate from the price table. */
  readonly estimated: number;
};

export type UsageFilter = { readonly group?: string; readonly agent?: string; readonly sinceDay?: string };

export class UsageRepo {
  constructor(readonly db: Db) {}

  /** The last cumulative total each agent process reported for an ACP session, newest first. */
  cumulatives(
    sessionId: string,
    acpSessionId: string,
    currency: string,
  ): Array<{ process: string; amount: number }> {
    return sql(
      this.db,
      'SELECT process, amount FROM usage_cumulative WHERE session_id = ? AND acp_session_id = ? AND currency = ? ORDER BY updated_at DESC, rowid DESC',
    ).all(sessionId, acpSessionId, currency) as Array<{ process: string; amount: number }>;
  }

  setCumulative(
    key: { sessionId: string; acpSessionId: string; currency: string; process: string },
    amount: number,
    now: number,
  ): void {
    sql(
      this.db,
      `INSERT INTO usage_cumulative (session_id, acp_session_id, currency, process, amount, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (session_id, acp_session_id, currency, process) DO UPDATE SET amount = excluded.amount, updated_at = excluded.updated_at`,
    ).run(key.sessionId, key.acpSessionId, key.currency, key.process, amount, now);
  }

  insert(u: NewUsage): number {
    const res = sql(
      this.db,
      `INSERT INTO usage_records (at, day, month, session_id, turn, agent, group_folder, task_id, input_tokens, output_tokens,
         cached_tokens, total_tokens, context_used, context_size, cost, currency, estimated)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      u.at,
      u.day,
      u.month,
      u.sessionId,
      u.turn,
      u.agent,
      u.group,
      u.taskId,
      u.inputTokens,
      u.outputTokens,
      u.cachedTokens,
      u.totalTokens,
      u.contextUsed,
      u.contextSize,
      u.cost,
      u.currency,
      u.estimated ? 1 : 0,
    );
    return Number(res.lastInsertRowid);
  }

  /** Cost (in `currency`) and tokens of a group or an agent in one local day or month. */
  spent(
    scope: 'group' | 'agent',
    name: string,
    period: 'day' | 'month',
    key: string,
    currency: string,
  ): { cost: number; tokens: number } {
    const column = scope === 'group' ? 'group_folder' : 'agent';
    const row = sql(
      this.db,
      `SELECT COALESCE(SUM(CASE WHEN currency = ? THEN cost ELSE 0 END), 0) AS cost,
              COALESCE(SUM(total_tokens), 0) AS tokens
         FROM usage_records WHERE ${column} = ? AND ${period} = ?`,
    ).get(currency, name, key) as { cost: number; tokens: number };
    return row;
  }

  /** Everyone's cost per currency and tokens in one local day or month. */
  totals(period: 'day' | 'month', key: string): { costs: Record<string, number>; tokens: number } {
    const rows = sql(
      this.db,
      `SELECT currency, SUM(cost) AS cost, SUM(total_tokens) AS tokens FROM usage_records WHERE ${period} = ? GROUP BY currency`,
    ).all(key) as Array<{ currency: string | null; cost: number; tokens: number }>;
    const costs: Record<string, number> = {};
    let tokens = 0;
    for (const r of rows) {
      tokens += r.tokens;
      if (r.currency !== null) costs[r.currency] = r.cost;
    }
    return { costs, tokens };
  }

  /** Per day, agent, group and task, oldest day first. */
  summary(f: UsageFilter): UsageSummaryRow[] {
    return sql(
      this.db,
      `SELECT day, agent, group_folder, task_id, currency, COUNT(*) AS turns,
              SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
              SUM(total_tokens) AS total_tokens, SUM(cost) AS cost, SUM(estimated) AS estimated
         FROM usage_records
        WHERE (@group IS NULL OR group_folder = @group) AND (@agent IS NULL OR agent = @agent) AND (@since IS NULL OR day >= @since)
        GROUP BY day, agent, group_folder, task_id, currency
        ORDER BY day, agent, group_folder, task_id`,
    ).all({ group: f.group ?? null, agent: f.agent ?? null, since: f.sinceDay ?? null }) as UsageSummaryRow[];
  }

  /** The rows of one session, oldest first (tests, `usage` per session). */
  ofSession(sessionId: string): Array<NewUsage & { id: number }> {
    return (
      sql(this.db, 'SELECT * FROM usage_records WHERE session_id = ? ORDER BY id').all(sessionId) as Array<
        Record<string, unknown>
      >
    ).map((r) => ({
      id: r['id'] as number,
      at: r['at'] as number,
      day: r['day'] as string,
      month: r['month'] as string,
      sessionId: r['session_id'] as string,
      turn: r['turn'] as number | null,
      agent: r['agent'] as string,
      group: r['group_folder'] as string,
      taskId: r['task_id'] as string | null,
      inputTokens: r['input_tokens'] as number,
      outputTokens: r['output_tokens'] as number,
      cachedTokens: r['cached_tokens'] as number,
      totalTokens: r['total_tokens'] as number,
      contextUsed: r['context_used'] as number | null,
      contextSize: r['context_size'] as number | null,
      cost: r['cost'] as number,
      currency: r['currency'] as string | null,
      estimated: r['estimated'] === 1,
    }));
  }
}
