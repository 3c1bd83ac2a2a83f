/**
 * Turns what an agent reported into usage rows in the global database. A cumulative cost (Claude
 * reports its session's running total) becomes a delta, and the row and the new total are
 * written in one transaction, so a retry or a daemon restart never counts the same money twice.
 *
 * Within one agent process the delta is exact: this total minus the process's previous one. A new
 * process (a resume, a daemon restart) may restore an earlier total or start from zero: Claude
 * Code restores the total it saved when an earlier process exited, and whether an exit saved is
 * its own business (observed both: a resume that started from zero, and a restart that went back
 * past the newest process to the one before). So a new process's first report is counted from the
 * newest earlier process's last total that is not above it, or from zero. That is exact whenever
 * the adapter restores the newest total, or starts from zero with a first turn cheaper than it;
 * otherwise the turn is off by the difference of two earlier totals (docs/operations.md). An agent that reports tokens and no cost
 * gets an estimate from `[budgets.prices.<agent>]`, marked as estimated.
 */
import type { Config } from '../config/load.js';
import type { UsageRepo } from '../store/usage-repo.js';
import { periodKeys } from './periods.js';

/** The reported figures (sessions/usage-meter.ts TurnUsage, structurally). */
export type ReportedUsage = {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedTokens: number;
  readonly totalTokens: number;
  readonly contextUsed: number | null;
  readonly contextSize: number | null;
  readonly cumulativeCost: { readonly amount: number; readonly currency: string } | null;
};

export type UsageReport = {
  readonly sessionId: string;
  readonly acpSessionId: string;
  /** The agent process that reported it (pid and start time): its totals are exact among themselves. */
  readonly process: string;
  readonly agent: string;
  readonly group: string;
  readonly turn: number | null;
  readonly taskId: string | null;
  readonly at: number;
  readonly usage: ReportedUsage;
};

export type RecordedUsage = {
  readonly id: number;
  readonly agent: string;
  readonly group: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly totalTokens: number;
  readonly cost: number;
  readonly currency: string | null;
  readonly estimated: boolean;
};

type Prices = Config['budgets']['prices'];

/** Cost from tokens at the agent's listed prices; undefined when it has none. */
export function estimateCost(
  prices: Prices,
  defaultCurrency: string,
  agent: string,
  u: Pick<ReportedUsage, 'inputTokens' | 'outputTokens' | 'cachedTokens'>,
): { amount: number; currency: string } | undefined {
  const p = prices[agent];
  if (p === undefined) return undefined;
  const amount =
    (u.inputTokens * p.input_per_mtok +
      u.outputTokens * p.output_per_mtok +
      u.cachedTokens * (p.cached_per_mtok ?? p.input_per_mtok)) /
    1_000_000;
  return { amount, currency: p.currency ?? defaultCurrency };
}

/** What a cumulative `amount` reported by `process` is counted from; `totals` newest first (see the header). */
export function baseline(
  totals: ReadonlyArray<{ readonly process: string; readonly amount: number }>,
  process: string,
  amount: number,
): number {
  const own = totals.find((t) => t.process === process);
  if (own !== undefined) return own.amount <= amount ? own.amount : 0; // below its own last total: it started again
  return totals.find((t) => t.amount <= amount)?.amount ?? 0;
}

export class UsageRecorder {
  constructor(
    private readonly repo: UsageRepo,
    private readonly config: Pick<Config, 'budgets'>,
    private readonly timezone: string,
  ) {}

  /** Records one report; undefined when it adds nothing (a repeated cumulative total). */
  record(r: UsageReport): RecordedUsage | undefined {
    const { repo } = this;
    return repo.db.transaction(() => {
      const u = r.usage;
      let cost = 0;
      let currency: string | null = null;
      let estimated = false;
      const c = u.cumulativeCost;
      if (c !== null) {
        const totals = repo.cumulatives(r.sessionId, r.acpSessionId, c.currency);
        cost = c.amount - baseline(totals, r.process, c.amount);
        currency = c.currency;
        repo.setCumulative({ ...r, currency: c.currency }, c.amount, r.at);
      } else {
        const e = estimateCost(this.config.budgets.prices, this.config.budgets.currency, r.agent, u);
        if (e !== undefined) {
          cost = e.amount;
          currency = e.currency;
          estimated = true;
        }
      }
      if (r.turn === null && cost === 0) return undefined;
      const keys = periodKeys(r.at, this.timezone);
      const id = repo.insert({
        at: r.at,
        day: keys.day,
        month: keys.month,
        sessionId: r.sessionId,
        turn: r.turn,
        agent: r.agent,
        group: r.group,
        taskId: r.taskId,
        inputTokens: u.inputTokens,
        outputTokens: u.outputTokens,
        cachedTokens: u.cachedTokens,
        totalTokens: u.totalTokens,
        contextUsed: u.contextUsed,
        contextSize: u.contextSize,
        cost,
        currency,
        estimated,
      });
      return {
        id,
        agent: r.agent,
        group: r.group,
        inputTokens: u.inputTokens,
        outputTokens: u.outputTokens,
        totalTokens: u.totalTokens,
        cost,
        currency,
        estimated,
      };
    })();
  }
}
