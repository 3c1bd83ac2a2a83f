/**
 * The agents' tool server (MCP over loopback HTTP, or the stdio bridge to it) and the per-session
 * tokens that say who calls. Built before the supervisor, which asks it for each session's MCP
 * servers; what a call does is recorded into the caller's event log by whoever subscribes.
 */
import type { AgentCapabilities, McpServer } from '@agentclientprotocol/sdk';
import type { Logger } from 'pino';
import type { TaskService } from '../scheduler/tasks.js';
import type { OutboxFiles } from '../router/outbox-files.js';
import type { Stores } from '../store/store.js';
import { DAEMON_BIN } from '../install-paths.js';
import { sendFileTool } from './send-file.js';
import { serveTools, type ToolEndpoint } from '../tools/http.js';
import { ToolRateLimit, ToolTokens, type Caller } from '../tools/identity.js';

/** Tool arguments as recorded: whole when small, else a marked excerpt (the body limit is 1 MiB). */
const MAX_RECORDED_ARGS = 4096;
export const TOOL_CALLS_PER_MINUTE = 60;

function capped(args: unknown): unknown {
  const text = JSON.stringify(args) ?? 'null';
  return text.length <= MAX_RECORDED_ARGS
    ? args
    : { truncated: true, excerpt: text.slice(0, MAX_RECORDED_ARGS) };
}

export type ToolRecord = {
  readonly sessionId: string;
  readonly kind: 'tool_call' | 'tool_result';
  readonly data: unknown;
};

export type ToolAccess = {
  /** HTTP MCP when the agent supports it, otherwise the stdio bridge pointing at the same endpoint. */
  mcpServersFor(sessionId: string, caps: AgentCapabilities | undefined): McpServer[];
  /** The session's agent stopped: its token no longer works. */
  revoke(sessionId: string): void;
  /** Every validated call and its result, for the caller's event log. */
  onRecord(listener: (r: ToolRecord) => void): void;
  close(): Promise<void>;
};

export async function createToolAccess(deps: {
  stores: Stores;
  tasks: TaskService;
  folderInUse: (folder: string) => boolean;
  /** send_file's copies (shared with the outbox worker) and its size cap. */
  files?: { store: OutboxFiles; maxBytes: number };
  log: Logger;
}): Promise<ToolAccess> {
  const { stores } = deps;
  const tokens = new ToolTokens();
  const rate = new ToolRateLimit(TOOL_CALLS_PER_MINUTE, 60_000);
  const listeners: Array<(r: ToolRecord) => void> = [];
  const record = (r: ToolRecord): void => {
    for (const l of listeners) l(r);
  };

  const callerFor = (token: string): Caller | undefined => {
    const sessionId = tokens.sessionFor(token);
    const row = sessionId === undefined ? undefined : stores.sessions.get(sessionId);
    if (row === undefined || row.state === 'removed') return undefined;
    // The local CLI is the operator's own chat, as privileged as the main group.
    const isMain = row.group_folder === 'cli' || stores.groups.get(row.group_folder)?.is_main === 1;
    return { sessionId: row.id, group: row.group_folder, isMain };
  };

  const endpoint: ToolEndpoint = await serveTools({
    resolve: callerFor,
    build: async (caller) =>
      (await import('../tools/tools.js')).buildToolServer(caller, {
        groups: stores.groups,
        folderInUse: deps.folderInUse,
        outbox: stores.outbox,
        tasks: deps.tasks,
        taskRows: stores.tasks,
        allow: (c) => rate.allow(c.sessionId),
        sendFile:
          deps.files === undefined
            ? undefined
            : sendFileTool({ stores, files: deps.files.store, maxBytes: deps.files.maxBytes }),
        recordCall: (c, name, args) =>
          record({ sessionId: c.sessionId, kind: 'tool_call', data: { name, args: capped(args) } }),
        record: (c, name, _args, result) =>
          record({
            sessionId: c.sessionId,
            kind: 'tool_result',
            data: {
              name,
              ok: result.isError !== true,
              text: result.content
                .map((x) => (x.type === 'text' ? x.text : `[${x.type}]`))
                .join('\n')
                .slice(0, 2000),
            },
          }),
      }),
    log: deps.log,
  });

  return {
    mcpServersFor(sessionId, caps) {
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
          args: [DAEMON_BIN, 'mcp-bridge'],
          env: [
            { name: 'AGENTFORGE_MCP_URL', value: endpoint.url },
            { name: 'AGENTFORGE_MCP_TOKEN', value: token },
          ],
        },
      ];
    },
    revoke: (sessionId) => tokens.revoke(sessionId),
    onRecord: (l) => void listeners.push(l),
    close: () => endpoint.close(),
  };
}
