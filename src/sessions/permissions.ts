/**
 * Answers session/request_permission by the agent's permission_mode. `ask` parks the request until
 * the operator decides (`agentforge session approve`, or an approver's reply in the group's chat)
 * or a timeout rejects it.
 */
import type {
  PermissionOption,
  RequestPermissionRequest,
  RequestPermissionResponse,
} from '@agentclientprotocol/sdk';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { PermissionMode } from './agents.js';
import { RequestIds } from './request-ids.js';
import type { ToolIdentity } from './tool-identity.js';

export const DEFAULT_ASK_TIMEOUT_MS = 5 * 60_000;
/** The MCP server name the daemon offers its tools under (daemon/automation.ts). */
export const DAEMON_TOOL_SERVER = 'agentforge';
const READ_KINDS = new Set(['read', 'search', 'think', 'fetch']);
/**
 * Tools that only read, by the names the adapters give them. Where an adapter names the tool,
 * approve-reads trusts the name, not the kind the agent declares (a `read` labelled `rm -rf /`).
 */
const READ_TOOLS = new Set([
  // claude-agent-acp
  'Read',
  'Grep',
  'Glob',
  'LS',
  'NotebookRead',
  'WebFetch',
  'WebSearch',
  // gemini
  'read_file',
  'read_many_files',
  'glob',
  'search_file_content',
  'grep_search',
  'list_directory',
  'google_web_search',
  'web_fetch',
]);

export type Decision = {
  readonly allow: boolean;
  readonly optionId: string | null;
  readonly by: 'policy' | 'tool_server' | 'operator' | 'timeout';
  /**
   * Who answered for the operator: `cli`/`api` (the control plane), `telegram:<user id>` (an
   * approver in the chat); null when no person decided.
   */
  readonly decidedBy: string | null;
};

/** What the daemon knows about a request beyond the request itself. */
export type RequestContext = {
  readonly tool: ToolIdentity;
  /** The session's workspace: approve-reads approves reads inside it only. */
  readonly workspace: string;
};

function pick(options: readonly PermissionOption[], allow: boolean): string | null {
  const kinds = allow ? ['allow_once', 'allow_always'] : ['reject_once', 'reject_always'];
  for (const k of kinds) {
    const o = options.find((opt) => opt.kind === k);
    if (o !== undefined) return o.optionId;
  }
  return null;
}

export function toResponse(d: Decision): RequestPermissionResponse {
  return d.optionId === null
    ? { outcome: { outcome: 'cancelled' } }
    : { outcome: { outcome: 'selected', optionId: d.optionId } };
}

function insideWorkspace(workspace: string, path: string): boolean {
  const rel = relative(workspace, resolve(workspace, path));
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** A read by what the tool is and where it reads, not only by the kind the agent declares. */
function isWorkspaceRead(req: RequestPermissionRequest, ctx: RequestContext): boolean {
  if (!READ_KINDS.has(req.toolCall.kind ?? 'other')) return false;
  if (ctx.tool.name !== undefined && !READ_TOOLS.has(ctx.tool.name)) return false;
  return (req.toolCall.locations ?? []).every((l) => insideWorkspace(ctx.workspace, l.path));
}

/** The policy's decision, or undefined when the operator must be asked. */
export function decideByPolicy(
  mode: PermissionMode,
  req: RequestPermissionRequest,
  ctx: RequestContext,
): Decision | undefined {
  // The daemon's own tools authorize every call by the session's group (tools/tools.ts), so the
  // agent's permission policy does not stand between a group and its send_message.
  if (ctx.tool.mcpServer === DAEMON_TOOL_SERVER)
    return { allow: true, optionId: pick(req.options, true), by: 'tool_server', decidedBy: null };
  const allow =
    mode === 'approve-all'
      ? true
      : mode === 'deny-all'
        ? false
        : mode === 'approve-reads'
          ? isWorkspaceRead(req, ctx)
          : undefined;
  if (allow === undefined) return undefined;
  return { allow, optionId: pick(req.options, allow), by: 'policy', decidedBy: null };
}

export type PendingPermission = {
  readonly id: string;
  readonly title: string;
  readonly kind: string;
  readonly options: readonly PermissionOption[];
  readonly askedAt: number;
  /** Past this time the request is rejected and can no longer be answered. */
  readonly expiresAt: number;
};

/** Requests waiting for the operator, per session; ids come from the daemon-wide RequestIds. */
export class PendingPermissions {
  readonly #pending = new Map<
    string,
    { info: PendingPermission; resolve: (d: Decision) => void; timer: NodeJS.Timeout }
  >();

  constructor(private readonly ids: RequestIds = new RequestIds()) {}

  ask(
    req: RequestPermissionRequest,
    timeoutMs: number,
    label: { title: string; kind: string } = {
      title: req.toolCall.title ?? 'tool call',
      kind: req.toolCall.kind ?? 'other',
    },
    now = Date.now(),
  ): { id: string; decision: Promise<Decision> } {
    const id = this.ids.next();
    const info: PendingPermission = {
      id,
      title: label.title,
      kind: label.kind,
      options: req.options,
      askedAt: now,
      expiresAt: now + timeoutMs,
    };
    const decision = new Promise<Decision>((resolve) => {
      const timer = setTimeout(() => this.#expire(id), timeoutMs);
      timer.unref();
      this.#pending.set(id, { info, resolve, timer });
    });
    return { id, decision };
  }

  /**
   * The operator's answer (the oldest request when `id` is undefined); undefined when no such
   * request is pending. A request past its time is rejected here even if its timer has not run
   * yet (a busy event loop), so an answer never beats the timeout by being late.
   */
  answer(
    id: string | undefined,
    allow: boolean,
    decidedBy: string,
    now = Date.now(),
  ): PendingPermission | undefined {
    const entry = id === undefined ? [...this.#pending.values()][0] : this.#pending.get(id);
    if (entry === undefined) return undefined;
    if (now >= entry.info.expiresAt) {
      this.#expire(entry.info.id);
      return undefined;
    }
    this.#settle(entry.info.id, {
      allow,
      optionId: pick(entry.info.options, allow),
      by: 'operator',
      decidedBy,
    });
    return entry.info;
  }

  has(id: string): boolean {
    return this.#pending.has(id);
  }

  list(): PendingPermission[] {
    return [...this.#pending.values()].map((e) => e.info);
  }

  /** Rejects everything pending (turn ended, process died, shutdown). */
  rejectAll(): void {
    for (const id of [...this.#pending.keys()])
      this.#settle(id, { allow: false, optionId: null, by: 'timeout', decidedBy: null });
  }

  #expire(id: string): void {
    const entry = this.#pending.get(id);
    if (entry === undefined) return;
    this.#settle(id, {
      allow: false,
      optionId: pick(entry.info.options, false),
      by: 'timeout',
      decidedBy: null,
    });
  }

  #settle(id: string, d: Decision): void {
    const entry = this.#pending.get(id);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.#pending.delete(id);
    entry.resolve(d);
  }
}
