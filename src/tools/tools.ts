/**
 * The tools agents call (SPEC §8). Every tool validates its input (zod, via the MCP SDK), checks
 * authorization against the caller's group (non-main groups act only on themselves; main on any),
 * returns the real outcome as text — an error the agent can read, never a cheerful lie — and is
 * recorded in the session's event log.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import { TaskError, type TaskService } from '../scheduler/tasks.js';
import type { GroupsRepo } from '../store/groups-repo.js';
import type { OutboxRepo } from '../store/outbox-repo.js';
import type { TaskRow, TasksRepo } from '../store/tasks-repo.js';
import type { Caller } from './identity.js';
import { ToolRefusal } from './refusal.js';
import { GROUP_FOLDER_RE, reservedFolder } from '../config/paths.js';
import { parseDuration } from '../config/duration.js';

/** An interval whose next run is beyond what a date can show would break every view of the task. */
const MAX_INTERVAL_DAYS = 3650;

export type ToolDeps = {
  readonly groups: GroupsRepo;
  /** True when a folder already holds a workspace or sessions (a group removed earlier). */
  readonly folderInUse: (folder: string) => boolean;
  readonly outbox: OutboxRepo;
  readonly tasks: TaskService;
  readonly taskRows: TasksRepo;
  /** A validated call within the rate limit, before it runs. */
  readonly recordCall: (caller: Caller, tool: string, args: unknown) => void;
  readonly record: (caller: Caller, tool: string, args: unknown, result: CallToolResult) => void;
  readonly allow: (caller: Caller) => boolean;
  /**
   * send_file: copies a file of the caller's workspace (confined like fs/*) into the outbox and
   * queues it for the group's chat; throws ToolRefusal with what to do when it cannot.
   */
  readonly sendFile?: (caller: Caller, path: string, caption: string | undefined) => Promise<string>;
};

class Refused extends Error {}

const ok = (text: string): CallToolResult => ({ content: [{ type: 'text', text }] });
const fail = (text: string): CallToolResult => ({ content: [{ type: 'text', text }], isError: true });

function describeTask(t: TaskRow): string {
  const at = t.next_run_at === null ? undefined : new Date(t.next_run_at);
  const next =
    at === undefined
      ? 'no further runs'
      : `next run ${Number.isNaN(at.getTime()) ? `at ${t.next_run_at}` : at.toISOString()}`;
  return `${t.id} [${t.status}] group=${t.group_folder} ${t.schedule_type} "${t.schedule_value}" (${t.timezone}) ${next}: ${t.prompt.slice(0, 120)}`;
}

export function buildToolServer(caller: Caller, deps: ToolDeps): McpServer {
  const server = new McpServer({ name: 'agentforge', version: '1' });

  const targetGroup = (requested: string | undefined): string => {
    if (requested === undefined || requested === caller.group) return caller.group;
    if (!caller.isMain)
      throw new Refused(
        `refused: this group (${caller.group}) may only act on itself; only the main group may act on ${requested}`,
      );
    if (deps.groups.get(requested) === undefined && requested !== 'cli')
      throw new Refused(`no group ${requested}; call list_groups to see them`);
    return requested;
  };
  const checkInterval = (type: string | undefined, value: string | undefined): void => {
    if (
      type === 'interval' &&
      value !== undefined &&
      (parseDuration(value) ?? 0) > MAX_INTERVAL_DAYS * 86_400_000
    )
      throw new Refused(`interval "${value}" is longer than the maximum of ${MAX_INTERVAL_DAYS}d`);
  };
  const ownTask = (id: string): TaskRow => {
    const t = deps.taskRows.get(id);
    if (t === undefined || t.status === 'cancelled')
      throw new Refused(`no task ${id}; call list_tasks to see yours`);
    if (!caller.isMain && t.group_folder !== caller.group)
      throw new Refused(`refused: task ${id} belongs to another group`);
    return t;
  };

  const tool = <S extends z.ZodRawShape>(
    name: string,
    description: string,
    shape: S,
    run: (args: z.infer<z.ZodObject<S>>) => string | Promise<string>,
  ) => {
    // The SDK has validated `args` against `shape` before calling us; its generic callback type
    // does not survive our generic wrapper, hence the cast.
    const handler = async (args: unknown): Promise<CallToolResult> => {
      // Over the limit nothing is recorded: a flood must cost the event log nothing.
      if (!deps.allow(caller)) return fail('refused: too many tool calls from this session; wait a minute');
      deps.recordCall(caller, name, args);
      let result: CallToolResult;
      try {
        result = ok(await run(args as z.infer<z.ZodObject<S>>));
      } catch (err) {
        if (err instanceof Refused || err instanceof TaskError || err instanceof ToolRefusal)
          result = fail(err.message);
        else result = fail(`error: ${(err as Error).message}`);
      }
      deps.record(caller, name, args, result);
      return result;
    };
    server.registerTool(name, { description, inputSchema: shape }, handler as never);
  };

  const scheduleFields = {
    schedule_type: z
      .enum(['cron', 'interval', 'once'])
      .describe('cron (5 fields), interval (e.g. "30m"), or once (ISO time)'),
    schedule_value: z.string().min(1).max(200),
  };

  tool(
    'send_message',
    "Send a message to this group's chat now (sender: an optional display name for swarm members).",
    { text: z.string().min(1).max(20_000), sender: z.string().min(1).max(64).optional() },
    (a) => {
      const group = deps.groups.get(caller.group);
      if (group === undefined)
        throw new Refused(`this session's group (${caller.group}) has no chat to send to`);
      const id = deps.outbox.add(
        {
          channel: group.channel,
          chatId: group.chat_id,
          groupFolder: group.folder,
          text: a.text,
          sender: a.sender ?? null,
          source: 'tool',
        },
        Date.now(),
      );
      return `queued message #${id} for delivery to ${group.folder}`;
    },
  );

  if (deps.sendFile !== undefined) {
    const sendFile = deps.sendFile;
    tool(
      'send_file',
      "Send a file from this session's workspace to the group's chat (images as photos, anything else as a document).",
      { path: z.string().min(1).max(4096), caption: z.string().max(1024).optional() },
      (a) => sendFile(caller, a.path, a.caption),
    );
  }

  tool(
    'schedule_task',
    'Schedule a prompt to run later in this group (main may name another group).',
    {
      prompt: z.string().min(1).max(20_000),
      ...scheduleFields,
      context_mode: z.enum(['group', 'isolated']).optional(),
      group: z.string().regex(GROUP_FOLDER_RE).optional(),
    },
    (a) => {
      checkInterval(a.schedule_type, a.schedule_value);
      const t = deps.tasks.create(
        {
          group: targetGroup(a.group),
          prompt: a.prompt,
          scheduleType: a.schedule_type,
          scheduleValue: a.schedule_value,
          contextMode: a.context_mode,
        },
        `session:${caller.sessionId}`,
      );
      return `scheduled ${describeTask(t)}`;
    },
  );

  tool(
    'list_tasks',
    'List scheduled tasks of this group (main: all groups, or one by name).',
    { group: z.string().regex(GROUP_FOLDER_RE).optional() },
    (a) => {
      const rows =
        caller.isMain && a.group === undefined
          ? deps.taskRows.list()
          : deps.taskRows.list(targetGroup(a.group));
      return rows.length === 0 ? 'no tasks' : rows.map(describeTask).join('\n');
    },
  );

  tool(
    'update_task',
    "Change a task's prompt or schedule.",
    {
      task_id: z.string().min(1),
      prompt: z.string().min(1).max(20_000).optional(),
      schedule_type: scheduleFields.schedule_type.optional(),
      schedule_value: scheduleFields.schedule_value.optional(),
    },
    (a) => {
      const current = ownTask(a.task_id);
      checkInterval(a.schedule_type ?? current.schedule_type, a.schedule_value ?? current.schedule_value);
      const t = deps.tasks.update(a.task_id, {
        prompt: a.prompt,
        scheduleType: a.schedule_type,
        scheduleValue: a.schedule_value,
      });
      return `updated ${describeTask(t)}`;
    },
  );

  for (const [name, verb, done] of [
    ['pause_task', 'Pause', 'paused'],
    ['resume_task', 'Resume', 'resumed'],
    ['cancel_task', 'Cancel', 'cancelled'],
  ] as const) {
    tool(name, `${verb} a scheduled task.`, { task_id: z.string().min(1) }, (a) => {
      ownTask(a.task_id);
      const t =
        name === 'pause_task'
          ? deps.tasks.pause(a.task_id)
          : name === 'resume_task'
            ? deps.tasks.resume(a.task_id)
            : deps.tasks.cancel(a.task_id);
      return `${done} ${describeTask(t)}`;
    });
  }

  tool('list_groups', 'List the groups this session may act on.', {}, () => {
    const rows = deps.groups.list().filter((g) => caller.isMain || g.folder === caller.group);
    return rows.length === 0
      ? 'no registered groups'
      : rows.map((g) => `${g.folder} (${g.channel} ${g.chat_id})${g.is_main ? ' main' : ''}`).join('\n');
  });

  tool(
    'register_group',
    'Register a chat as a group (main group only).',
    {
      chat_id: z.string().regex(/^-?\d+$/),
      folder: z.string().regex(GROUP_FOLDER_RE),
      trigger: z.string().min(1).max(64).optional(),
      name: z.string().max(200).optional(),
    },
    (a) => {
      if (!caller.isMain) throw new Refused('refused: only the main group may register groups');
      if (deps.groups.get(a.folder) !== undefined)
        throw new Refused(`a group with folder ${a.folder} already exists`);
      if (deps.groups.byChat('telegram', a.chat_id) !== undefined)
        throw new Refused(`chat ${a.chat_id} is already registered`);
      const reserved = reservedFolder(a.folder);
      if (reserved !== undefined) throw new Refused(`refused: ${reserved}`);
      if (deps.folderInUse(a.folder))
        throw new Refused(
          `refused: folder ${a.folder} holds an earlier group's workspace; choose another folder (only the operator can reuse it)`,
        );
      const g = deps.groups.add(
        {
          folder: a.folder,
          channel: 'telegram',
          chatId: a.chat_id,
          trigger: a.trigger ?? null,
          name: a.name ?? null,
        },
        Date.now(),
      );
      return `registered ${g.folder} for chat ${g.chat_id}`;
    },
  );

  return server;
}
