/**
 * What the daemon does with a live agent's traffic, per session: updates scrubbed of credentials,
 * indexed for permission matching, logged and handed to the running turn; protocol violations
 * quarantined; stderr scrubbed as a stream; permission requests through the broker; ACP fs/*
 * confined to the workspace.
 */
import type { SessionsRepo } from '../store/sessions-repo.js';
import type { AgentHooks } from './acp/client.js';
import type { AgentSpec } from './agents.js';
import { SessionError } from './errors.js';
import { answerPermission, type PermissionAsk } from './permission-broker.js';
import type { Redactor } from './redact.js';
import type { Session } from './session.js';
import { readWorkspaceFile, writeWorkspaceFile } from './workspace-fs.js';

export const STDERR_TAIL_BYTES = 8 * 1024;

export type HooksContext = {
  readonly redact: Redactor;
  readonly repo: SessionsRepo;
  readonly askTimeoutMs: number;
  readonly quarantine?: (source: string, reason: string, payload: unknown) => void;
  readonly onPermissionAsked?: (sessionId: string, groupFolder: string, ask: PermissionAsk) => void;
};

export function agentHooks(s: Session, spec: AgentSpec, ctx: HooksContext): AgentHooks {
  const { events, log } = s.deps;
  const row = s.row;
  const scrubStderr = ctx.redact.stream();
  return {
    onUpdate: (raw) => {
      // Scrubbed before the reply is assembled: replies are stored (outbox) and sent.
      const n = ctx.redact.deep(raw);
      s.toolCalls.observe(n.update);
      events.append('update', n.update, s.currentTurn);
      s.onTurnUpdate?.(n);
    },
    onBytes: (n) => s.onTurnBytes?.(n),
    onViolation: (raw) => {
      const why = ctx.redact.text(raw);
      ctx.quarantine?.(`agent-${spec.name}`, why, { session: s.id });
      const e = new SessionError('protocol', why);
      if (s.abortTurn !== undefined) s.abortTurn(e);
      else {
        ctx.repo.recordFailure(s.id, 'protocol', why, Date.now());
        events.append('failure', { kind: 'protocol', message: why });
      }
      void s.release(500);
    },
    onStderr: (raw) => {
      const text = scrubStderr(raw);
      if (text === '') return;
      s.stderrTail = (s.stderrTail + text).slice(-STDERR_TAIL_BYTES);
      log.debug({ session: s.id, stderr: text.slice(0, 2000) }, 'agent stderr');
    },
    onPermission: (req) => {
      s.onTurnPermission?.();
      return answerPermission(req, {
        mode: spec.permissionMode,
        toolCallIdNamesTool: spec.toolCallIdNamesTool,
        workspace: row.workspace,
        toolCalls: s.toolCalls,
        pending: s.permissions,
        events,
        turn: s.currentTurn,
        askTimeoutMs: ctx.askTimeoutMs,
        onAsked: (ask) => ctx.onPermissionAsked?.(s.id, row.group_folder, ask),
      });
    },
    readFile: (path, line, limit) => readWorkspaceFile(row.workspace, path, line, limit),
    writeFile: async (path, content) => {
      await writeWorkspaceFile(row.workspace, path, content);
      events.append('fs_write', { path, bytes: Buffer.byteLength(content) }, s.currentTurn);
    },
  };
}
