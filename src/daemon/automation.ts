/**
 * Wires the scheduler: what a task run does (a turn in the group's session or a throw-away one)
 * and where its result goes (the group's chat, through the outbox). Part of the composition root.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import type { Status } from '../contract.js';
import { Scheduler } from '../scheduler/scheduler.js';
import type { TaskService } from '../scheduler/tasks.js';
import type { Supervisor } from '../sessions/supervisor.js';
import type { Stores } from '../store/store.js';
import type { TaskRow } from '../store/tasks-repo.js';
import { Failure } from '../failures.js';
import { budgetButtons } from '../router/budget-buttons.js';
import type { Budgets } from './budgets.js';
import { groupTurns } from './group-turns.js';

export function systemTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export type Automation = {
  readonly scheduler: Scheduler;
  status(): Status['scheduler'];
};

export function createAutomation(deps: {
  stores: Stores;
  config: Config;
  supervisor: Supervisor;
  tasks: TaskService;
  budgets?: Budgets;
  log: Logger;
}): Automation {
  const { stores, config, supervisor } = deps;
  const groupTurn = groupTurns(supervisor, stores.groups, stores.sessions);
  /** The budget question to the task's group chat; the local CLI group has none. */
  const ask = (folder: string, text: string): void => {
    const group = stores.groups.get(folder);
    if (group === undefined) return;
    stores.outbox.add(
      {
        channel: group.channel,
        chatId: group.chat_id,
        groupFolder: folder,
        source: 'system',
        text,
        buttons: budgetButtons(),
      },
      Date.now(),
    );
  };
  /** Tasks are held by the group's budgets like chat turns; the run records `budget`. */
  const holdByBudget = (task: TaskRow, agent: string | null): void => {
    const v = deps.budgets?.check(task.group_folder, agent);
    if (v === undefined || v.kind === 'ok') return;
    if (v.kind === 'refused') throw new Failure('budget', v.message);
    if (v.ask !== undefined) ask(task.group_folder, v.ask);
    throw new Failure('budget', 'a soft budget holds this group until an approver answers "continue"');
  };
  const runTask = async (task: TaskRow): Promise<string> => {
    const agent = stores.groups.get(task.group_folder)?.agent ?? null;
    holdByBudget(task, agent);
    if (task.context_mode === 'group')
      return groupTurn.run({ folder: task.group_folder, agent }, task.prompt, [], task.id);
    const s = supervisor.create({ agent: agent ?? undefined, group: task.group_folder });
    try {
      return (await s.prompt(task.prompt, 'queue', [], task.id)).reply;
    } finally {
      // The run's outcome lives in task_runs; the throw-away session would only pile up.
      await supervisor.remove(s.id).catch(() => undefined);
    }
  };

  const scheduler = new Scheduler({
    repo: stores.tasks,
    policy: config.scheduler.missed_runs,
    catchUpWindowMs: config.scheduler.catch_up_window,
    log: deps.log.child({ component: 'scheduler' }),
    port: {
      run: runTask,
      deliver: (task, text) => {
        const group = stores.groups.get(task.group_folder);
        if (group === undefined) return; // e.g. the local CLI group: the result stays in the run history
        stores.outbox.add(
          { channel: group.channel, chatId: group.chat_id, groupFolder: group.folder, text, source: 'turn' },
          Date.now(),
        );
      },
    },
  });
  deps.tasks.onChange(() => scheduler.changed());

  return {
    scheduler,
    status: () => {
      const next = scheduler.armedFor;
      return {
        tasks: stores.tasks.activeCount(),
        next_due_at: next === undefined ? null : new Date(next).toISOString(),
        recent_failures: stores.tasks.recentFailures(5).map((r) => ({
          task_id: r.task_id,
          group: r.group_folder,
          at: new Date(r.finished_at ?? r.due_at).toISOString(),
          kind: r.error_kind,
          error: r.error,
        })),
      };
    },
  };
}
