/**
 * Wires usage and budgets: the supervisor's usage reports become rows (usage/recorder.ts), and the
 * budget book (usage/budgets.ts) gates the group queue and scheduled tasks, answers the chat's
 * `continue` / `stop` / `/status`, and kicks the queue when a period rolls over at local midnight.
 * Part of the composition root.
 */
import { Cron } from 'croner';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import type { BudgetChat, BudgetGate } from '../router/ports.js';
import type { Supervisor } from '../sessions/supervisor.js';
import type { Stores } from '../store/store.js';
import { BudgetBook, type Verdict } from '../usage/budgets.js';
import { UsageRecorder, type RecordedUsage } from '../usage/recorder.js';

export type Budgets = {
  readonly book: BudgetBook;
  /** The group queue's gate (`agent` null: the default agent). */
  readonly gate: BudgetGate;
  /** The chat side; `afterAnswer` runs after an answer (the queue is kicked). */
  chat(afterAnswer: () => void): BudgetChat;
  /** The `/status` lines of a group: its spend against its budgets. */
  summary(group: string, agent: string | null): string;
  /** For a task run: the verdict for its group. */
  check(group: string, agent: string | null): Verdict;
  /** Called after every recorded usage row (metrics). */
  onRecorded(listener: (u: RecordedUsage) => void): void;
  /** Calls `kick` at every local midnight (a period may have rolled over). */
  onRollover(kick: () => void): void;
  stop(): void;
};

export function createBudgets(deps: {
  stores: Stores;
  config: Config;
  supervisor: Supervisor;
  /** Read when first needed: resolving the system's zone loads ICU's data (~6.5 MB, ~25 ms). */
  timezone: () => string;
  log: Logger;
}): Budgets {
  const { stores, config, supervisor, timezone, log } = deps;
  let recorder: UsageRecorder | undefined;
  const book = new BudgetBook({
    usage: stores.usage,
    holds: stores.holds,
    config,
    get timezone() {
      return timezone();
    },
  });
  const listeners: Array<(u: RecordedUsage) => void> = [];
  supervisor.on('usage', (e) => {
    recorder ??= new UsageRecorder(stores.usage, config, timezone());
    const recorded = recorder.record({
      sessionId: e.sessionId,
      acpSessionId: e.acpSessionId,
      process: e.process,
      agent: e.agent,
      group: e.group,
      turn: e.turn,
      taskId: e.taskId,
      at: e.at,
      usage: e.usage,
    });
    if (recorded === undefined) return;
    log.debug(
      { session: e.sessionId, turn: e.turn, cost: recorded.cost, tokens: recorded.totalTokens },
      'usage recorded',
    );
    for (const l of listeners) l(recorded);
  });
  const agentOf = (agent: string | null): string => agent ?? supervisor.agent(undefined).name;
  const check = (group: string, agent: string | null): Verdict => book.check(group, agentOf(agent));
  let cron: Cron | undefined;
  return {
    book,
    gate: { check: (g) => check(g.folder, g.agent) },
    chat: (afterAnswer) => ({
      asking: (g) => book.asking(g.folder, agentOf(g.agent)),
      answer: (g, decision, by) => {
        const text = book.answer(g.folder, agentOf(g.agent), decision, by);
        afterAnswer();
        return text;
      },
    }),
    check,
    summary: (group, agent) => book.groupSummary(group, agentOf(agent)),
    onRecorded: (l) => listeners.push(l),
    onRollover(kick) {
      if (config.budgets.limits.length === 0) return;
      // croner keeps one timer, re-armed in the zone's wall clock (DST-safe); unref'd: it must not hold the process.
      const zone = timezone();
      cron = new Cron('0 0 * * *', { timezone: zone, unref: true }, () => {
        log.info({ timezone: zone }, 'budget period rolled over; waiting groups are checked again');
        kick();
      });
    },
    stop: () => cron?.stop(),
  };
}
