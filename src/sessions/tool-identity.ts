/**
 * Which tool a permission request is about, as far as the adapter tells it. Two decisions need
 * it: a call of the daemon's own MCP tools is authorized by the tool server (by the session's
 * group), not by permission_mode; and approve-reads approves a read only when the tool itself is
 * a read, not just because the agent labelled it `read`. Matching is by structured fields the
 * adapters send (docs/agents.md), never by a title string:
 * - claude-agent-acp: `toolCall._meta.claudeCode.toolName` (`mcp__<server>__<tool>`, or `Bash`,
 *   `Read` …) and `_meta.claudeCode.mcpServer.name`; built-ins also carry `toolCall.name`.
 * - codex-acp: the request carries only `_meta.is_mcp_tool_approval`; the `tool_call` update with
 *   the same id that precedes it has `rawInput: { server, tool, arguments }`.
 * - gemini: nothing but the toolCallId, which gemini builds from the function actually called:
 *   `<function>__<n>`, an MCP tool's function being `mcp_<server>_<tool>`. Trusted only for an
 *   agent known to build ids so (preset gemini): elsewhere the id is the model's own call_id,
 *   which a prompt-injected model could shape to look like one of ours.
 */
import type { RequestPermissionRequest, SessionNotification } from '@agentclientprotocol/sdk';

type Update = SessionNotification['update'];
export type ToolCallRecord = Extract<Update, { sessionUpdate: 'tool_call' }>;

export type ToolIdentity = {
  /** The tool's own name where the adapter gives it (`Bash`, `Read`, `list_groups` …). */
  readonly name: string | undefined;
  /** Set when the call is of an MCP tool: the server's name. */
  readonly mcpServer: string | undefined;
};

const MAX_REMEMBERED = 256;

/** The tool_call updates of a session, by id, so a later permission request can be matched. */
export class ToolCallIndex {
  readonly #calls = new Map<string, ToolCallRecord>();

  observe(u: Update): void {
    if (u.sessionUpdate !== 'tool_call') return;
    this.#calls.delete(u.toolCallId);
    this.#calls.set(u.toolCallId, u);
    if (this.#calls.size > MAX_REMEMBERED) this.#calls.delete(this.#calls.keys().next().value!);
  }

  get(id: string): ToolCallRecord | undefined {
    return this.#calls.get(id);
  }
}

type Meta = Record<string, unknown> | null | undefined;
const obj = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** `mcp__server__tool` (Claude Code's and Codex's spelling of an MCP tool). */
function splitMcpName(name: string | undefined): { server: string; tool: string } | undefined {
  const m = name === undefined ? null : /^mcp__(.+?)__(.+)$/.exec(name);
  return m === null ? undefined : { server: m[1]!, tool: m[2]! };
}

function fromClaude(meta: Meta): ToolIdentity | undefined {
  const cc = obj(obj(meta)?.['claudeCode']);
  const toolName = str(cc?.['toolName']);
  if (toolName === undefined) return undefined;
  const split = splitMcpName(toolName);
  const server = str(obj(cc?.['mcpServer'])?.['name']) ?? split?.server;
  return { name: split?.tool ?? toolName, mcpServer: server };
}

function fromRawInput(raw: unknown, meta: Meta): ToolIdentity | undefined {
  const r = obj(raw);
  if (obj(meta)?.['is_mcp_tool_call'] !== true || r === undefined) return undefined;
  const server = str(r['server']);
  const tool = str(r['tool']);
  return server !== undefined && tool !== undefined ? { name: tool, mcpServer: server } : undefined;
}

function fromGeminiId(id: string, mcpServer: string): ToolIdentity | undefined {
  const at = id.indexOf('__');
  if (at <= 0) return undefined;
  const fn = id.slice(0, at);
  const prefix = `mcp_${mcpServer}_`;
  return fn.startsWith(prefix)
    ? { name: fn.slice(prefix.length), mcpServer }
    : { name: fn, mcpServer: undefined };
}

export type IdentifyOptions = {
  /** The agent builds toolCallIds from the function called (gemini), naming MCP tools of this server. */
  readonly idNamesToolOf?: string;
};

/** What the request and the tool_call before it say about the tool; empty fields when nothing. */
export function identifyTool(
  req: RequestPermissionRequest,
  prior: ToolCallRecord | undefined,
  opts: IdentifyOptions = {},
): ToolIdentity {
  const tc = req.toolCall;
  const found =
    fromClaude(tc._meta) ??
    fromClaude(prior?._meta) ??
    fromRawInput(tc.rawInput, tc._meta) ??
    fromRawInput(prior?.rawInput, prior?._meta);
  if (found !== undefined) return found;
  if (opts.idNamesToolOf !== undefined) {
    const byId = fromGeminiId(tc.toolCallId, opts.idNamesToolOf);
    if (byId !== undefined) return byId;
  }
  const named = str((tc as { name?: unknown }).name) ?? str((prior as { name?: unknown } | undefined)?.name);
  const split = splitMcpName(named);
  return { name: split?.tool ?? named, mcpServer: split?.server };
}

/**
 * A tool call's name for people (`session events`, logs): what the adapter says the tool is, or
 * for gemini the function its id was built from. For display only; decisions use identifyTool.
 */
export function toolLabel(u: {
  toolCallId?: unknown;
  title?: unknown;
  rawInput?: unknown;
  _meta?: unknown;
  name?: unknown;
}): string | undefined {
  const claudeName = fromClaude(u._meta as Meta);
  if (claudeName?.name !== undefined)
    return claudeName.mcpServer === undefined
      ? claudeName.name
      : `${claudeName.mcpServer}.${claudeName.name}`;
  const mcp = fromRawInput(u.rawInput, u._meta as Meta);
  if (mcp !== undefined) return `${mcp.mcpServer}.${mcp.name}`;
  const named = str(u.name);
  if (named !== undefined) return named;
  const id = str(u.toolCallId);
  const at = id?.indexOf('__') ?? -1;
  return id !== undefined && at > 0 ? id.slice(0, at) : undefined;
}
