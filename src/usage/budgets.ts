/**
 * Budgets (`[[budgets.limits]]`): before a group's turn, every budget of the group and of its
 * agent is compared with what was spent in the current local day or month. A hard budget that is
 * spent refuses the turn until the period rolls over. A soft one pauses the group and asks its
 * chat once; an approver's `continue` adds `extend` for the rest of the period, `stop` keeps the
 * group paused until the period rolls over or the operator continues it. Holds are rows
 * (store/budget-holds-repo.ts), so a paused group stays paused across restarts.
 */
import type { Config } from '../config/load.js';
import type { Budgets as BudgetsStatus } from '../contract.js';
import type { BudgetHoldsRepo, HoldKey, HoldRow } from '../store/budget-holds-repo.js';
import type { UsageRepo } from '../store/usage-repo.js';
import { nextRollover, periodKeys, periodWord, type PeriodKeys } from './periods.js';

export type Limit = Config['budgets']['limits'][number];

export type Verdict =
  | { readonly kind: 'ok' }
  /** A hard budget is spent: the turn is refused with `message`. */
  | { readonly kind: 'refused'; readonly message: string }
  /** A soft budget holds the group; `ask` is the question to post, only when it is new. */
  | { readonly kind: 'paused'; readonly ask?: string };

export type Decision = 'continue' | 'stop';

export type BudgetDeps = {
  readonly usage: UsageRepo;
  readonly holds: BudgetHoldsRepo;
  readonly config: Pick<Config, 'budgets'>;
  readonly timezone: string;
  readonly now?: () => number;
};

const scopeOf = (l: Limit): { scope: 'group' | 'agent'; name: string } =>
  l.group !== undefined ? { scope: 'group', name: l.group } : { scope: 'agent', name: l.agent ?? '' };

export class BudgetBook {
  constructor(private readonly deps: BudgetDeps) {}

  get limits(): readonly Limit[] {
    return this.deps.config.budgets.limits;
  }

  #now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  #applying(group: string, agent: string): Limit[] {
    // Hard budgets first: a refusal says more than a question that could not help.
    return this.limits
      .filter((l) => l.group === group || l.agent === agent)
      .sort((a, b) => (a.mode === b.mode ? 0 : a.mode === 'hard' ? -1 : 1));
  }

  #key(l: Limit, keys: PeriodKeys): HoldKey {
    const { scope, name } = scopeOf(l);
    return { scope, name, period: l.period, periodKey: keys[l.period] };
  }

  #spent(l: Limit, keys: PeriodKeys): number {
    const { scope, name } = scopeOf(l);
    const s = this.deps.usage.spent(scope, name, l.period, keys[l.period], this.deps.config.budgets.currency);
    return l.cost !== undefined ? s.cost : s.tokens;
  }

  #amount(l: Limit, n: number): string {
    return l.cost !== undefined
      ? `${n.toFixed(2)} ${this.deps.config.budgets.currency}`
      : `${Math.round(n)} tokens`;
  }

  #whose(l: Limit): string {
    return l.group !== undefined ? 'this group' : `the agent ${l.agent ?? ''}`;
  }

  /** `2025-03-31 00:00 (Europe/Berlin)`: when the current period of `l` ends, in local time. */
  #rollover(l: Limit, now: number): string {
    const at = nextRollover(now, this.deps.timezone, l.period);
    const local = new Intl.DateTimeFormat('en-CA', {
      timeZone: this.deps.timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .format(new Date(at))
      .replace(',', '');
    return `${local} (${this.deps.timezone})`;
  }

  /** Whether the group may take a turn now; asks (records the hold) the first time a soft budget is reached. */
  check(group: string, agent: string): Verdict {
    const now = this.#now();
    const keys = periodKeys(now, this.deps.timezone);
    for (const l of this.#applying(group, agent)) {
      const limit = l.cost ?? l.tokens ?? 0;
      const spent = this.#spent(l, keys);
      if (l.mode === 'hard') {
        if (spent >= limit)
          return {
            kind: 'refused',
            message: `Not answered: the hard budget of ${this.#whose(l)} for ${periodWord(l.period)} is spent (${this.#amount(l, spent)} of ${this.#amount(l, limit)}). Turns resume after ${this.#rollover(l, now)}.`,
          };
        continue;
      }
      const k = this.#key(l, keys);
      const hold = this.deps.holds.get(k);
      if (hold?.state === 'asked' || hold?.state === 'stopped') return { kind: 'paused' };
      const allowed = limit + (hold?.extra ?? 0);
      if (spent < allowed) continue;
      this.deps.holds.ask(k, group, now);
      const extend = l.extend ?? limit;
      return {
        kind: 'paused',
        ask: `Spent ${l.cost !== undefined ? spent.toFixed(2) : Math.round(spent)} of ${this.#amount(l, allowed)} ${periodWord(l.period)}${l.agent !== undefined ? ` (budget of the agent ${l.agent})` : ''} — continue for ${periodWord(l.period)} (+${l.cost !== undefined ? extend.toFixed(2) : Math.round(extend)}) or stop? An approver may press a button or reply "continue" or "stop"; until then the messages wait.`,
      };
    }
    return { kind: 'ok' };
  }

  /** The group's paused holds in the current periods (soft budgets of the group and of its agent). */
  #pausedFor(group: string, agent: string, now: number): Array<{ l: Limit; k: HoldKey; hold: HoldRow }> {
    const keys = periodKeys(now, this.deps.timezone);
    const out: Array<{ l: Limit; k: HoldKey; hold: HoldRow }> = [];
    for (const l of this.#applying(group, agent)) {
      if (l.mode !== 'soft') continue;
      const k = this.#key(l, keys);
      const hold = this.deps.holds.get(k);
      if (hold !== undefined && hold.state !== 'continued') out.push({ l, k, hold });
    }
    return out;
  }

  /** Whether a `continue` / `stop` in this group's chat would decide something now. */
  asking(group: string, agent: string): boolean {
    return this.#pausedFor(group, agent, this.#now()).length > 0;
  }

  /** An approver's answer in the group's chat; returns the reply for the chat. */
  answer(group: string, agent: string, decision: Decision, by: string): string {
    const now = this.#now();
    const paused = this.#pausedFor(group, agent, now);
    if (paused.length === 0) return 'There is no budget question waiting in this chat.';
    if (decision === 'stop') {
      for (const p of paused)
        if (p.hold.state === 'asked') this.deps.holds.decide(p.k, 'stopped', 0, by, now);
      const first = paused[0]!.l;
      return `Stopped: the waiting messages stay queued until the budget period rolls over at ${this.#rollover(first, now)} or an approver replies "continue" (the operator: agentforge usage continue --${first.group !== undefined ? `group ${first.group}` : `agent ${first.agent ?? ''}`}).`;
    }
    const parts: string[] = [];
    for (const p of paused) parts.push(this.#continue(p.l, p.k, p.hold, by, now));
    return `Continuing: ${parts.join('; ')}.`;
  }

  #continue(l: Limit, k: HoldKey, hold: HoldRow, by: string, now: number): string {
    const limit = l.cost ?? l.tokens ?? 0;
    const extend = l.extend ?? limit;
    this.deps.holds.decide(k, 'continued', extend, by, now);
    return `the budget of ${this.#whose(l)} for ${periodWord(l.period)} is now ${this.#amount(l, limit + hold.extra + extend)}`;
  }

  /** The operator's word (`agentforge usage continue`): continues every paused hold of the group or agent. */
  operatorContinue(scope: 'group' | 'agent', name: string, by: string): string[] {
    const now = this.#now();
    const keys = periodKeys(now, this.deps.timezone);
    const done: string[] = [];
    for (const l of this.limits) {
      if (l.mode !== 'soft') continue;
      const s = scopeOf(l);
      if (s.scope !== scope || s.name !== name) continue;
      const k = this.#key(l, keys);
      const hold = this.deps.holds.get(k);
      if (hold === undefined || hold.state === 'continued') continue;
      done.push(this.#continue(l, k, hold, by, now));
    }
    return done;
  }

  /** Groups and agents paused right now (status, metrics). */
  paused(): HoldRow[] {
    const keys = periodKeys(this.#now(), this.deps.timezone);
    return this.deps.holds.paused(keys.day, keys.month);
  }

  /** Today's and this month's spend against every budget (`status`). */
  status(): BudgetsStatus {
    const now = this.#now();
    const keys = periodKeys(now, this.deps.timezone);
    const { usage, holds } = this.deps;
    return {
      currency: this.deps.config.budgets.currency,
      timezone: this.deps.timezone,
      today: { day: keys.day, ...usage.totals('day', keys.day) },
      month: { month: keys.month, ...usage.totals('month', keys.month) },
      limits: this.limits.map((l) => {
        const { scope, name } = scopeOf(l);
        const hold = l.mode === 'soft' ? holds.get(this.#key(l, keys)) : undefined;
        const limit = (l.cost ?? l.tokens ?? 0) + (hold?.extra ?? 0);
        const spent = this.#spent(l, keys);
        return {
          scope,
          name,
          period: l.period,
          mode: l.mode,
          unit: l.cost !== undefined ? this.deps.config.budgets.currency : 'tokens',
          limit,
          spent,
          state:
            l.mode === 'hard'
              ? spent >= limit
                ? 'refusing'
                : 'ok'
              : hold?.state === 'asked' || hold?.state === 'stopped'
                ? hold.state
                : 'ok',
        };
      }),
    };
  }

  /** The chat's `/status`: the group's spend today and this month, and its budgets. */
  groupSummary(group: string, agent: string): string {
    const now = this.#now();
    const keys = periodKeys(now, this.deps.timezone);
    const cur = this.deps.config.budgets.currency;
    const line = (period: 'day' | 'month'): string => {
      const s = this.deps.usage.spent('group', group, period, keys[period], cur);
      return `${periodWord(period)} ${s.cost.toFixed(2)} ${cur}, ${s.tokens} tokens`;
    };
    const lines = [`Spend of this group: ${line('day')}; ${line('month')}.`];
    const states = new Map(
      this.status().limits.map((s) => [`${s.scope}:${s.name}:${s.period}:${s.mode}`, s]),
    );
    for (const l of this.#applying(group, agent)) {
      const { scope, name } = scopeOf(l);
      const s = states.get(`${scope}:${name}:${l.period}:${l.mode}`);
      if (s === undefined) continue;
      const state =
        s.state === 'asked'
          ? ' — paused, waiting for an approver'
          : s.state === 'stopped'
            ? ' — stopped until the period rolls over'
            : s.state === 'refusing'
              ? ' — spent, turns refused'
              : '';
      lines.push(
        `${l.mode === 'hard' ? 'Hard' : 'Soft'} budget of ${this.#whose(l)} for ${periodWord(l.period)}: ${this.#amount(l, s.spent)} of ${this.#amount(l, s.limit)}${state}.`,
      );
    }
    if (this.#applying(group, agent).length === 0)
      lines.push('No budget is set for this group or its agent.');
    return lines.join('\n');
  }
}
