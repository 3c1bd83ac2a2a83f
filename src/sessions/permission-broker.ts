/**
 * Answers one session/request_permission: the daemon's own tools are let through (the tool
 * server authorizes them), the agent's permission_mode decides the rest, and `ask` parks the
 * request until the operator answers or the timeout rejects. Every decision lands in the event
 * log with the tool, how it was decided (`by`) and, for an answer, who gave it (`decided_by`).
 */
import type { RequestPermissionRequest, RequestPermissionResponse } from '@agentclientprotocol/sdk';
import type { PermissionMode } from './agents.js';
import type { EventLog } from './event-log.js';
import {
  DAEMON_TOOL_SERVER,
  decideByPolicy,
  toResponse,
  type Decision,
  type PendingPermissions,
} from './permissions.js';
import { identifyTool, type ToolCallIndex } from './tool-identity.js';

export type PermissionAsk = { readonly id: string; readonly title: string; readonly kind: string };

export type BrokerContext = {
  readonly mode: PermissionMode;
  /** The agent's toolCallIds name the tool called (gemini). */
  readonly toolCallIdNamesTool: boolean;
  readonly workspace: string;
  readonly toolCalls: ToolCallIndex;
  readonly pending: PendingPermissions;
  readonly events: EventLog;
  readonly turn: number | null;
  readonly askTimeoutMs: number;
  /** A request waits for the operator: e.g. put it to the group's chat. */
  readonly onAsked: (ask: PermissionAsk) => void;
  /** A request that was asked got its answer (or timed out): e.g. show the decision in the chat. */
  readonly onDecided?: (ask: PermissionAsk, decision: Decision) => void;
};

export async function answerPermission(
  req: RequestPermissionRequest,
  ctx: BrokerContext,
): Promise<RequestPermissionResponse> {
  const prior = ctx.toolCalls.get(req.toolCall.toolCallId);
  const tool = identifyTool(req, prior, ctx.toolCallIdNamesTool ? { idNamesToolOf: DAEMON_TOOL_SERVER } : {});
  // Codex sends no title with a request; the tool_call before it, or the tool's name, has one.
  const title = req.toolCall.title ?? prior?.title ?? tool.name ?? 'tool call';
  const kind = req.toolCall.kind ?? prior?.kind ?? 'other';
  const policy = decideByPolicy(ctx.mode, req, { tool, workspace: ctx.workspace });
  const asked = policy === undefined ? ctx.pending.ask(req, ctx.askTimeoutMs, { title, kind }) : undefined;
  const ask = asked === undefined ? undefined : { id: asked.id, title, kind };
  if (ask !== undefined) {
    ctx.events.append('permission_asked', { ...ask, tool: tool.name ?? null }, ctx.turn);
    ctx.onAsked(ask);
  }
  const decision = policy ?? (await asked!.decision);
  if (ask !== undefined) ctx.onDecided?.(ask, decision);
  ctx.events.append(
    'permission',
    {
      id: asked?.id ?? null,
      title,
      kind,
      tool: tool.name ?? null,
      mcp_server: tool.mcpServer ?? null,
      allow: decision.allow,
      by: decision.by,
      decided_by: decision.decidedBy,
    },
    ctx.turn,
  );
  return toResponse(decision);
}
