/**
 * Runs tasks when they are due. One timer, armed for the earliest due time — no polling. Before a
 * run is dispatched it is claimed durably: the task_runs row is written and the task's next_run_at
 * advanced in one transaction, so a restart can never run the same occurrence again. Runs found
 * claimed-but-unfinished at boot are recorded as missed, never re-run; occurrences that fell due
 * while the daemon was down follow `[scheduler] missed_runs`.
 */
import { asFailure } from '../failures.js';
import type { Logger } from 'pino';
import type { RunRow, TaskRow, TasksRepo } from '../store/tasks-repo.js';
import { latestDueTimes, nextRunAfter, type Schedule } from './schedule.js';

export const MAX_RUN_ATTEMPTS = 3;
export const RETRY_BASE_MS = 30_000;
const MAX_TIMER_MS = 2 ** 31 - 1;
const MAX_MISSED_RECORDED = 100;

export type MissedRunPolicy = 'skip' | 'run-once' | 'catch-up';

export type TaskPort = {
  /** Runs the task's prompt; resolves with the reply or rejects (a Failure says its kind). */
  readonly run: (task: TaskRow) => Promise<string>;
  /** Commits the run's output for delivery (inside the caller's transaction; the outbox wakes itself). */
  readonly deliver: (task: TaskRow, text: string) => void;
};

export type SchedulerDeps = {
  readonly repo: TasksRepo;
  readonly port: TaskPort;
  readonly policy: MissedRunPolicy;
  readonly catchUpWindowMs: number;
  readonly log: Logger;
  readonly retryBaseMs?: number; // RETRY_BASE_MS
};

const scheduleOf = (t: TaskRow): Schedule => ({
  type: t.schedule_type,
  value: t.schedule_value,
  timezone: t.timezone,
});

export class Scheduler {
  #timer: NodeJS.Timeout | undefined;
  #armedFor: number | undefined;
  #stopped = false;
  readonly #running = new Set<Promise<void>>();
  /** For the watchdog: the last time the scheduler did its work (armed, claimed or finished). */
  lastProgressAt = Date.now();

  constructor(private readonly deps: SchedulerDeps) {}

  get armedFor(): number | undefined {
    return this.#armedFor;
  }

  /** Recovery, then the first timer. */
  start(now = Date.now()): { interrupted: number; missed: number; queued: number } {
    const r = this.#recover(now);
    this.#tick();
    return r;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#armedFor = undefined;
  }

  async idle(): Promise<void> {
    await Promise.allSettled([...this.#running]);
  }

  /** Task definitions changed: re-arm for the new earliest due time. */
  changed(): void {
    if (!this.#stopped) this.#arm();
  }

  /** Claims an extra run of the task right now (does not move its schedule). */
  runNow(taskId: string): number {
    const { repo } = this.deps;
    const task = repo.get(taskId);
    if (task === undefined) throw new Error(`no task ${taskId}`);
    const now = Date.now();
    const runId = repo.insertRun({ taskId, scheduledFor: now, dueAt: now, attempt: 1, status: 'claimed' });
    this.#dispatch(runId, task);
    return runId;
  }

  #recover(now: number): { interrupted: number; missed: number; queued: number } {
    const { repo, policy, catchUpWindowMs } = this.deps;
    let missed = 0;
    let queued = 0;
    const interrupted = repo.interrupted();
    repo.db.transaction(() => {
      for (const run of interrupted) {
        repo.setRun(run.id, {
          status: 'missed',
          finished_at: now,
          error: 'interrupted: the daemon stopped during this run; not re-run so it cannot run twice',
        });
      }
      for (const task of repo.due(now)) {
        const schedule = scheduleOf(task);
        const times = latestDueTimes(schedule, task.next_run_at as number, now, MAX_MISSED_RECORDED);
        const runTimes =
          policy === 'skip'
            ? []
            : policy === 'run-once'
              ? times.slice(-1)
              : times.filter((t) => t >= now - catchUpWindowMs);
        for (const t of times) {
          const run = runTimes.includes(t);
          repo.insertRun({
            taskId: task.id,
            scheduledFor: t,
            dueAt: now,
            attempt: 1,
            status: run ? 'pending' : 'missed',
            error: run ? undefined : 'missed: the daemon was not running when it was due',
          });
          if (run) queued++;
          else missed++;
        }
        const next = nextRunAfter(schedule, now, times[times.length - 1]);
        repo.update(task.id, { next_run_at: next, status: next === null ? 'done' : 'active' }, now);
      }
    })();
    if (interrupted.length + missed + queued > 0)
      this.deps.log.warn(
        { interrupted: interrupted.length, missed, queued },
        'scheduler recovered missed runs',
      );
    return { interrupted: interrupted.length, missed, queued };
  }

  #arm(): void {
    clearTimeout(this.#timer);
    this.#armedFor = undefined;
    if (this.#stopped) return;
    const next = this.deps.repo.nextDueAt();
    this.lastProgressAt = Date.now();
    if (next === undefined) return;
    this.#armedFor = next;
    this.#timer = setTimeout(() => this.#tick(), Math.min(MAX_TIMER_MS, Math.max(0, next - Date.now())));
  }

  #tick(): void {
    if (this.#stopped) return;
    const now = Date.now();
    const { repo } = this.deps;
    const claimed: Array<{ runId: number; task: TaskRow }> = [];
    repo.db.transaction(() => {
      for (const task of repo.due(now)) {
        const runId = repo.insertRun({
          taskId: task.id,
          scheduledFor: task.next_run_at as number,
          dueAt: now,
          attempt: 1,
          status: 'claimed',
        });
        const next = nextRunAfter(scheduleOf(task), now, task.next_run_at as number);
        repo.update(task.id, { next_run_at: next, status: next === null ? 'done' : 'active' }, now);
        claimed.push({ runId, task });
      }
      for (const run of repo.retriesDue(now)) {
        const task = repo.get(run.task_id);
        if (task === undefined || task.status === 'cancelled') {
          repo.setRun(run.id, { status: 'missed', error: 'task was cancelled before the retry' });
          continue;
        }
        repo.setRun(run.id, { status: 'claimed' });
        claimed.push({ runId: run.id, task });
      }
    })();
    for (const c of claimed) this.#dispatch(c.runId, c.task);
    this.#arm();
  }

  #dispatch(runId: number, task: TaskRow): void {
    const p = this.#execute(runId, task).finally(() => this.#running.delete(p));
    this.#running.add(p);
  }

  async #execute(runId: number, task: TaskRow): Promise<void> {
    const { repo, port, log } = this.deps;
    const started = Date.now();
    repo.setRun(runId, { status: 'running', started_at: started });
    try {
      const reply = await port.run(task);
      const now = Date.now();
      repo.db.transaction(() => {
        repo.setRun(runId, {
          status: 'ok',
          finished_at: now,
          duration_ms: now - started,
          result_excerpt: reply.slice(0, 500),
        });
        if (reply.trim() !== '') port.deliver(task, reply);
      })();
    } catch (err) {
      const now = Date.now();
      const kind = asFailure(err).kind;
      const message = (err as Error).message;
      const run = repo.getRun(runId) as RunRow;
      if (kind === 'budget') {
        // Held by a budget, never run: not a failure to retry; the next occurrence is checked again.
        repo.setRun(runId, {
          status: 'budget',
          finished_at: now,
          duration_ms: 0,
          error: message,
          error_kind: kind,
        });
        log.info({ task: task.id, group: task.group_folder, err: message }, 'task run held by a budget');
        return;
      }
      const retry = kind !== 'cancelled' && run.attempt < MAX_RUN_ATTEMPTS && !this.#stopped;
      repo.db.transaction(() => {
        repo.setRun(runId, {
          status: 'failed',
          finished_at: now,
          duration_ms: now - started,
          error: message,
          error_kind: kind,
        });
        if (retry) {
          const delay = (this.deps.retryBaseMs ?? RETRY_BASE_MS) * 2 ** (run.attempt - 1);
          repo.insertRun({
            taskId: task.id,
            scheduledFor: run.scheduled_for,
            dueAt: now + delay,
            attempt: run.attempt + 1,
            status: 'pending',
          });
        }
      })();
      log.warn(
        { task: task.id, group: task.group_folder, kind, attempt: run.attempt, retry, err: message },
        'task run failed',
      );
      if (retry) this.#arm();
    } finally {
      this.lastProgressAt = Date.now();
    }
  }
}
