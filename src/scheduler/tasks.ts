/**
 * Task operations shared by the operator's API/CLI and the agents' MCP tools: validation, the first
 * due time, pause/resume/cancel. Authorization (who may touch which group) is the caller's job.
 */
import { randomBytes } from 'node:crypto';
import type { TaskRow, TasksRepo } from '../store/tasks-repo.js';
import { nextRunAfter, ScheduleError, validateSchedule, type ScheduleType } from './schedule.js';

export type TaskInput = {
  readonly group: string;
  readonly prompt: string;
  readonly scheduleType: ScheduleType;
  readonly scheduleValue: string;
  readonly contextMode?: 'group' | 'isolated';
  readonly timezone?: string;
};

export class TaskError extends Error {
  override readonly name = 'TaskError';
  constructor(
    readonly code: 'task_not_found' | 'invalid_schedule' | 'invalid_state',
    message: string,
  ) {
    super(message);
  }
}

export class TaskService {
  readonly #listeners: Array<() => void> = [];

  constructor(
    private readonly repo: TasksRepo,
    private readonly defaultTimezone: string,
    onChange?: () => void,
  ) {
    if (onChange !== undefined) this.#listeners.push(onChange);
  }

  /** Called after every change to the task table (the scheduler re-arms its timer). */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  #changed(): void {
    for (const l of this.#listeners) l();
  }

  /**
   * The next `count` run times a schedule would have, without storing anything: the dashboard's
   * cron preview and `agentforge task preview`. Invalid schedules fail as create() would.
   */
  preview(
    input: Pick<TaskInput, 'scheduleType' | 'scheduleValue' | 'timezone'>,
    count: number,
    now = Date.now(),
  ): { timezone: string; next: number[] } {
    const schedule = {
      type: input.scheduleType,
      value: input.scheduleValue,
      timezone: input.timezone ?? this.defaultTimezone,
    };
    try {
      validateSchedule(schedule, now);
    } catch (err) {
      if (err instanceof ScheduleError) throw new TaskError('invalid_schedule', err.message);
      throw err;
    }
    const next: number[] = [];
    for (let at = now; next.length < count;) {
      const n = nextRunAfter(schedule, at, next.length === 0 ? undefined : now);
      if (n === null) break;
      next.push(n);
      at = n;
    }
    return { timezone: schedule.timezone, next };
  }

  create(input: TaskInput, createdBy: string, now = Date.now()): TaskRow {
    const schedule = {
      type: input.scheduleType,
      value: input.scheduleValue,
      timezone: input.timezone ?? this.defaultTimezone,
    };
    try {
      validateSchedule(schedule, now);
    } catch (err) {
      if (err instanceof ScheduleError) throw new TaskError('invalid_schedule', err.message);
      throw err;
    }
    const next = nextRunAfter(schedule, now);
    if (next === null)
      throw new TaskError('invalid_schedule', `once "${input.scheduleValue}" is in the past`);
    const row = this.repo.add({
      id: `t-${randomBytes(4).toString('hex')}`,
      group_folder: input.group,
      prompt: input.prompt,
      schedule_type: schedule.type,
      schedule_value: schedule.value,
      timezone: schedule.timezone,
      context_mode: input.contextMode ?? 'group',
      next_run_at: next,
      created_by: createdBy,
      created_at: now,
    });
    this.#changed();
    return row;
  }

  get(id: string): TaskRow {
    const t = this.repo.get(id);
    if (t === undefined || t.status === 'cancelled')
      throw new TaskError('task_not_found', `no task ${id}; see: agentforge task list`);
    return t;
  }

  update(
    id: string,
    changes: {
      prompt?: string;
      scheduleType?: ScheduleType;
      scheduleValue?: string;
      contextMode?: 'group' | 'isolated';
    },
    now = Date.now(),
  ): TaskRow {
    const t = this.get(id);
    const type = changes.scheduleType ?? t.schedule_type;
    const value = changes.scheduleValue ?? t.schedule_value;
    const scheduleChanged = type !== t.schedule_type || value !== t.schedule_value;
    let next = t.next_run_at;
    if (scheduleChanged) {
      const schedule = { type, value, timezone: t.timezone };
      try {
        validateSchedule(schedule, now);
      } catch (err) {
        if (err instanceof ScheduleError) throw new TaskError('invalid_schedule', err.message);
        throw err;
      }
      next = nextRunAfter(schedule, now);
      if (next === null) throw new TaskError('invalid_schedule', `once "${value}" is in the past`);
    }
    const row = this.repo.update(
      id,
      {
        ...(changes.prompt !== undefined ? { prompt: changes.prompt } : {}),
        ...(changes.contextMode !== undefined ? { context_mode: changes.contextMode } : {}),
        ...(scheduleChanged ? { schedule_type: type, schedule_value: value, next_run_at: next } : {}),
        // A finished task given a new schedule runs again (a paused one stays paused).
        ...(scheduleChanged && t.status === 'done' ? { status: 'active' as const } : {}),
      },
      now,
    ) as TaskRow;
    this.#changed();
    return row;
  }

  pause(id: string, now = Date.now()): TaskRow {
    const t = this.get(id);
    if (t.status !== 'active') throw new TaskError('invalid_state', `task ${id} is ${t.status}, not active`);
    const row = this.repo.update(id, { status: 'paused' }, now) as TaskRow;
    this.#changed();
    return row;
  }

  /** Resumes from now: runs missed while paused are not made up. */
  resume(id: string, now = Date.now()): TaskRow {
    const t = this.get(id);
    if (t.status !== 'paused') throw new TaskError('invalid_state', `task ${id} is ${t.status}, not paused`);
    const next = nextRunAfter({ type: t.schedule_type, value: t.schedule_value, timezone: t.timezone }, now);
    const row = this.repo.update(
      id,
      { status: next === null ? 'done' : 'active', next_run_at: next },
      now,
    ) as TaskRow;
    this.#changed();
    return row;
  }

  cancel(id: string, now = Date.now()): TaskRow {
    this.get(id);
    const row = this.repo.update(id, { status: 'cancelled', next_run_at: null }, now) as TaskRow;
    this.#changed();
    return row;
  }
}
