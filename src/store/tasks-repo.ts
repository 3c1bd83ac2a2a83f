/** Scheduled tasks and their run history. */
import { sql, type Db } from './db.js';

export type TaskStatus = 'active' | 'paused' | 'cancelled' | 'done';
/** `budget`: not run, a budget of the task's group or agent held it (soft paused or hard spent). */
export type RunStatus = 'pending' | 'claimed' | 'running' | 'ok' | 'failed' | 'missed' | 'budget';

export type TaskRow = {
  readonly id: string;
  readonly group_folder: string;
  readonly prompt: string;
  readonly schedule_type: 'cron' | 'interval' | 'once';
  readonly schedule_value: string;
  readonly timezone: string;
  readonly context_mode: 'group' | 'isolated';
  readonly status: TaskStatus;
  readonly next_run_at: number | null;
  readonly created_by: string;
  readonly created_at: number;
  readonly updated_at: number;
};

export type RunRow = {
  readonly id: number;
  readonly task_id: string;
  readonly scheduled_for: number;
  readonly due_at: number;
  readonly attempt: number;
  readonly status: RunStatus;
  readonly started_at: number | null;
  readonly finished_at: number | null;
  readonly duration_ms: number | null;
  readonly result_excerpt: string | null;
  readonly error: string | null;
  readonly error_kind: string | null;
};

export type NewTask = Omit<TaskRow, 'status' | 'updated_at'>;

export class TasksRepo {
  constructor(readonly db: Db) {}

  add(t: NewTask): TaskRow {
    sql(
      this.db,
      `INSERT INTO tasks (id, group_folder, prompt, schedule_type, schedule_value, timezone, context_mode, next_run_at, created_by, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      t.id,
      t.group_folder,
      t.prompt,
      t.schedule_type,
      t.schedule_value,
      t.timezone,
      t.context_mode,
      t.next_run_at,
      t.created_by,
      t.created_at,
      t.created_at,
    );
    return this.get(t.id) as TaskRow;
  }

  get(id: string): TaskRow | undefined {
    return sql(this.db, 'SELECT * FROM tasks WHERE id = ?').get(id) as TaskRow | undefined;
  }

  list(group?: string): TaskRow[] {
    return (
      group === undefined
        ? sql(this.db, "SELECT * FROM tasks WHERE status != 'cancelled' ORDER BY created_at").all()
        : sql(
            this.db,
            "SELECT * FROM tasks WHERE status != 'cancelled' AND group_folder = ? ORDER BY created_at",
          ).all(group)
    ) as TaskRow[];
  }

  update(
    id: string,
    fields: Partial<
      Pick<TaskRow, 'prompt' | 'schedule_type' | 'schedule_value' | 'status' | 'next_run_at' | 'context_mode'>
    >,
    now: number,
  ): TaskRow | undefined {
    const keys = Object.keys(fields) as Array<keyof typeof fields>;
    if (keys.length > 0) {
      const sets = keys.map((k) => `${k} = @${k}`).join(', ');
      sql(this.db, `UPDATE tasks SET ${sets}, updated_at = @updated_at WHERE id = @id`).run({
        ...fields,
        updated_at: now,
        id,
      });
    }
    return this.get(id);
  }

  /** Active tasks due at or before `now`. */
  due(now: number): TaskRow[] {
    return sql(
      this.db,
      "SELECT * FROM tasks WHERE status = 'active' AND next_run_at IS NOT NULL AND next_run_at <= ? ORDER BY next_run_at",
    ).all(now) as TaskRow[];
  }

  /** The earliest moment anything is due: a task's next run or a run waiting for its retry. */
  nextDueAt(): number | undefined {
    const t = sql(
      this.db,
      "SELECT MIN(next_run_at) AS t FROM tasks WHERE status = 'active' AND next_run_at IS NOT NULL",
    ).get() as { t: number | null };
    const r = sql(this.db, "SELECT MIN(due_at) AS t FROM task_runs WHERE status = 'pending'").get() as {
      t: number | null;
    };
    const times = [t.t, r.t].filter((x): x is number => x !== null);
    return times.length === 0 ? undefined : Math.min(...times);
  }

  insertRun(run: {
    taskId: string;
    scheduledFor: number;
    dueAt: number;
    attempt: number;
    status: RunStatus;
    error?: string;
  }): number {
    return Number(
      sql(
        this.db,
        'INSERT INTO task_runs (task_id, scheduled_for, due_at, attempt, status, error) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(run.taskId, run.scheduledFor, run.dueAt, run.attempt, run.status, run.error ?? null)
        .lastInsertRowid,
    );
  }

  getRun(id: number): RunRow | undefined {
    return sql(this.db, 'SELECT * FROM task_runs WHERE id = ?').get(id) as RunRow | undefined;
  }

  retriesDue(now: number): RunRow[] {
    return sql(
      this.db,
      "SELECT * FROM task_runs WHERE status = 'pending' AND due_at <= ? ORDER BY due_at",
    ).all(now) as RunRow[];
  }

  setRun(id: number, fields: Partial<Omit<RunRow, 'id' | 'task_id'>>): void {
    const keys = Object.keys(fields);
    if (keys.length === 0) return;
    sql(this.db, `UPDATE task_runs SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE id = @id`).run({
      ...fields,
      id,
    });
  }

  runs(taskId: string, limit = 50): RunRow[] {
    return sql(this.db, 'SELECT * FROM task_runs WHERE task_id = ? ORDER BY id DESC LIMIT ?').all(
      taskId,
      limit,
    ) as RunRow[];
  }

  /** Runs that were claimed or running when the daemon stopped. */
  interrupted(): RunRow[] {
    return sql(this.db, "SELECT * FROM task_runs WHERE status IN ('claimed', 'running')").all() as RunRow[];
  }

  recentFailures(limit = 5): Array<RunRow & { group_folder: string }> {
    return sql(
      this.db,
      "SELECT r.*, t.group_folder FROM task_runs r JOIN tasks t ON t.id = r.task_id WHERE r.status = 'failed' ORDER BY r.id DESC LIMIT ?",
    ).all(limit) as Array<RunRow & { group_folder: string }>;
  }

  activeCount(): number {
    return (sql(this.db, "SELECT COUNT(*) AS n FROM tasks WHERE status = 'active'").get() as { n: number }).n;
  }
}
