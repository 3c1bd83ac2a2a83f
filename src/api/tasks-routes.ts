/** /api/tasks: the operator's view of scheduled work (the same TaskService the agents' tools use). */
import { taskInfo, taskRunInfo } from './dto.js';
import type { Hono } from 'hono';
import * as z from 'zod';
import type { Scheduler } from '../scheduler/scheduler.js';
import { TaskError, type TaskService } from '../scheduler/tasks.js';
import type { TasksRepo } from '../store/tasks-repo.js';
import { ApiError } from './errors.js';
import { parseBody, parseQuery, requestSchema } from './body.js';
import { GROUP_FOLDER_RE } from '../config/paths.js';
import { parseDuration } from '../config/duration.js';

/**
 * An interval's next run must be a time we can show: "999999999999d" would be stored, and then
 * break every view that prints it (task list, status). The scheduler itself has no upper bound.
 */
export const MAX_INTERVAL_DAYS = 3650;

const addTask = requestSchema(() =>
  z.strictObject({
    group: z.string().regex(GROUP_FOLDER_RE, 'group: a group folder, e.g. "cli" or "team"'),
    prompt: z.string().min(1).max(20_000),
    schedule_type: z.enum(['cron', 'interval', 'once']),
    schedule_value: z.string().min(1).max(200),
    context_mode: z.enum(['group', 'isolated']).optional(),
    timezone: z.string().min(1).optional(),
  }),
);

const preview = requestSchema(() =>
  z.strictObject({
    schedule_type: z.enum(['cron', 'interval', 'once']),
    schedule_value: z.string().min(1).max(200),
    timezone: z.string().min(1).optional(),
    count: z.coerce.number().int().min(1).max(20).default(5),
  }),
);

const STATUS: Record<TaskError['code'], 400 | 404 | 409> = {
  task_not_found: 404,
  invalid_schedule: 400,
  invalid_state: 409,
};

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TaskError) throw new ApiError(STATUS[err.code], err.code, err.message);
    throw err;
  }
}

export function taskRoutes(
  api: Hono,
  deps: {
    tasks: TaskService;
    repo: TasksRepo;
    scheduler: Scheduler;
    groupExists: (folder: string) => boolean;
  },
): void {
  api.get('/tasks', (c) => c.json({ tasks: deps.repo.list(c.req.query('group')).map(taskInfo) }));
  api.post('/tasks', async (c) => {
    const b = await parseBody(c, addTask());
    if (!deps.groupExists(b.group))
      throw new ApiError(
        404,
        'group_not_found',
        `no group ${b.group}; use "cli" or a folder from: agentforge group list`,
      );
    if (
      b.schedule_type === 'interval' &&
      (parseDuration(b.schedule_value) ?? 0) > MAX_INTERVAL_DAYS * 86_400_000
    )
      throw new ApiError(
        400,
        'invalid_schedule',
        `interval "${b.schedule_value}" is longer than the maximum of ${MAX_INTERVAL_DAYS}d`,
      );
    if (b.timezone !== undefined) {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: b.timezone });
      } catch {
        throw new ApiError(400, 'invalid_schedule', `timezone "${b.timezone}" is not an IANA time zone`);
      }
    }
    const row = wrap(() =>
      deps.tasks.create(
        {
          group: b.group,
          prompt: b.prompt,
          scheduleType: b.schedule_type,
          scheduleValue: b.schedule_value,
          contextMode: b.context_mode,
          timezone: b.timezone,
        },
        'operator',
      ),
    );
    return c.json(taskInfo(row), 201);
  });
  // Before /tasks/:id, which would otherwise take "preview" for a task id.
  api.get('/tasks/preview', (c) => {
    const q = parseQuery(c, preview());
    const { timezone, next } = wrap(() =>
      deps.tasks.preview(
        {
          scheduleType: q.schedule_type,
          scheduleValue: q.schedule_value,
          timezone: q.timezone,
        },
        q.count,
      ),
    );
    return c.json({ timezone, next: next.map((t) => new Date(t).toISOString()) });
  });
  api.get('/tasks/:id', (c) => c.json(taskInfo(wrap(() => deps.tasks.get(c.req.param('id'))))));
  api.get('/tasks/:id/runs', (c) => {
    wrap(() => deps.tasks.get(c.req.param('id')));
    const limit = Number(c.req.query('limit') ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new ApiError(400, 'invalid_request', 'limit must be a whole number from 1 to 1000');
    return c.json({ runs: deps.repo.runs(c.req.param('id'), limit).map(taskRunInfo) });
  });
  api.post('/tasks/:id/pause', (c) => c.json(taskInfo(wrap(() => deps.tasks.pause(c.req.param('id'))))));
  api.post('/tasks/:id/resume', (c) => c.json(taskInfo(wrap(() => deps.tasks.resume(c.req.param('id'))))));
  api.delete('/tasks/:id', (c) => c.json(taskInfo(wrap(() => deps.tasks.cancel(c.req.param('id'))))));
  api.post('/tasks/:id/run-now', (c) => {
    wrap(() => deps.tasks.get(c.req.param('id')));
    return c.json({ run_id: deps.scheduler.runNow(c.req.param('id')) }, 202);
  });
}
