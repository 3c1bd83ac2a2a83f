/**
 * Wires the agents' tool server (MCP) and the scheduler. Part of the composition root.
 */
import { fileURLToPath } from 'node:url';
import type { AgentCapabilities, McpServer } from '@agentclientprotocol/sdk';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { TurnFailure } from '../router/ports.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { TaskService } from '../scheduler/tasks.js';
import { SessionError } from '../sessions/errors.js';
import type { Supervisor } from '../sessions/supervisor.js';
import type { Db } from '../store/db.js';
import type { SessionsRepo } from '../store/sessions-repo.js';
import { TasksRepo, type TaskRow } from '../store/tasks-repo.js';
import { serveTools, type ToolEndpoint } from '../tools/http.js';
import { ToolRateLimit, ToolTokens, type Caller } from '../tools/identity.js';
import type { Chat } from './chat.js';
import { groupTurns } from './group-turns.js';

const BIN = fileURLToPath(new URL('../../bin/agentforge.js', import.meta.url));
/** Tool arguments as recorded: whole when small, else a marked excerpt (the body limit is 1 MiB). */
const MAX_RECORDED_ARGS = 4096;
function capped(args: unknown): unknown {
  const text = JSON.stringify(args) ?? 'null';
  return text.length <= MAX_RECORDED_ARGS
    ? args
    : { truncated: true, excerpt: text.slice(0, MAX_RECORDED_ARGS) };
}

export const TOOL_CALLS_PER_MINUTE = 60;

export function systemTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export type Automation = Awaited<ReturnType<typeof createAutomation>>;

export async function createAutomation(deps: {
  db: Db;
  config: Config;
  supervisor: Supervisor;
  sessions: SessionsRepo;
  chat: Chat;
  log: Logger;
}) {
  const { db, config, supervisor, chat, log } = deps;
  const tasksRepo = new TasksRepo(db);
  const holder: { scheduler?: Scheduler } = {};
  const tasks = new TaskService(tasksRepo, config.scheduler.timezone ?? systemTimezone(), () =>
    holder.scheduler?.changed(),
  );
  const tokens = new ToolTokens();
  const rate = new ToolRateLimit(TOOL_CALLS_PER_MINUTE, 60_000);

  const callerFor = (token: string): Caller | undefined => {
    const sessionId = tokens.sessionFor(token);
    const row = sessionId === undefined ? undefined : deps.sessions.get(sessionId);
    if (row === undefined || row.state === 'removed') return undefined;
    // The local CLI is the operator's own chat, as privileged as the main group.
    const isMain = row.group_folder === 'cli' || chat.groups.get(row.group_folder)?.is_main === 1;
    return { sessionId: row.id, group: row.group_folder, isMain };
  };

  const endpoint: ToolEndpoint = await serveTools({
    resolve: callerFor,
    build: async (caller) =>
      (await import('../tools/tools.js')).buildToolServer(caller, {
        groups: chat.groups,
        folderInUse: chat.folderInUse,
        outbox: chat.outboxRepo,
        tasks,
        taskRows: tasksRepo,
        allow: (c) => rate.allow(c.sessionId),
        recordCall: (c, name, args) =>
          supervisor.record(c.sessionId, 'tool_call', { name, args: capped(args) }),
        record: (c, name, _args, result) =>
          supervisor.record(c.sessionId, 'tool_result', {
            name,
            ok: result.isError !== true,
            text: result.content
              .map((x) => (x.type === 'text' ? x.text : `[${x.type}]`))
              .join('\n')
              .slice(0, 2000),
          }),
      }),
    log: log.child({ component: 'tools' }),
  });

  const groupTurn = groupTurns(supervisor, chat.groups, deps.sessions);
  const runTask = async (task: TaskRow): Promise<string> => {
    const agent = chat.groups.get(task.group_folder)?.agent ?? null;
    if (task.context_mode === 'group')
      return groupTurn.run({ folder: task.group_folder, agent }, task.prompt);
    const s = supervisor.create({ agent: agent ?? undefined, group: task.group_folder });
    try {
      return (await s.prompt(task.prompt)).reply;
    } catch (err) {
      if (err instanceof SessionError) throw new TurnFailure(err.kind, err.message);
      throw err;
    } finally {
      // The run's outcome lives in task_runs; the throw-away session would only pile up.
      await supervisor.remove(s.id).catch(() => undefined);
    }
  };

  const scheduler = new Scheduler({
    repo: tasksRepo,
    policy: config.scheduler.missed_runs,
    catchUpWindowMs: config.scheduler.catch_up_window,
    log: log.child({ component: 'scheduler' }),
    port: {
      run: runTask,
      deliver: (task, text) => {
        const group = chat.groups.get(task.group_folder);
        if (group === undefined) return; // e.g. the local CLI group: the result stays in the run history
        chat.outboxRepo.add(
          { channel: group.channel, chatId: group.chat_id, groupFolder: group.folder, text, source: 'turn' },
          Date.now(),
        );
      },
    },
  });
  holder.scheduler = scheduler;

  /** HTTP MCP when the agent supports it, otherwise the stdio bridge pointing at the same endpoint. */
  const mcpServersFor = (sessionId: string, caps: AgentCapabilities | undefined): McpServer[] => {
    const token = tokens.issue(sessionId);
    if (caps?.mcpCapabilities?.http === true) {
      return [
        {
          type: 'http',
          name: 'agentforge',
          url: endpoint.url,
          headers: [{ name: 'Authorization', value: `Bearer ${token}` }],
        },
      ];
    }
    return [
      {
        name: 'agentforge',
        command: process.execPath,
        args: [BIN, 'mcp-bridge'],
        env: [
          { name: 'AGENTFORGE_MCP_URL', value: endpoint.url },
          { name: 'AGENTFORGE_MCP_TOKEN', value: token },
        ],
      },
    ];
  };

  return {
    tasksRepo,
    tasks,
    scheduler,
    tokens,
    mcpServersFor,
    endpoint,
    status: () => {
      const next = scheduler.armedFor;
      return {
        tasks: tasksRepo.activeCount(),
        next_due_at: next === undefined ? null : new Date(next).toISOString(),
        recent_failures: tasksRepo.recentFailures(5).map((r) => ({
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
