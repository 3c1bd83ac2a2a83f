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
import { answerPermission } from './permission-broker.js';
import type { Redactor } from './redact.js';
import type { Session } from './session.js';
import type { SupervisorEvents } from './supervisor-events.js';
import { usageUpdateOf } from './usage-meter.js';
import { readWorkspaceFile, writeWorkspaceFile } from './workspace-fs.js';

export type HooksContext = {
  readonly redact: Redactor;
  readonly repo: SessionsRepo;
  readonly askTimeoutMs: number;
  readonly quarantine?: (source: string, reason: string, payload: unknown) => void;
  readonly bus?: SupervisorEvents;
};

export function agentHooks(s: Session, spec: AgentSpec, ctx: HooksContext): AgentHooks {
  const { events, log } = s;
  const row = s.row;
  const ref = { sessionId: s.id, group: row.group_folder, agent: row.agent };
  const scrubStderr = ctx.redact.stream();
  /** A cost reported outside a turn (an adapter's own background work) still counts. */
  const spentBetweenTurns = (update: Parameters<AgentHooks['onUpdate']>[0]['update']): void => {
    const cost = usageUpdateOf(update)?.cost;
    const live = s.live;
    if (cost === undefined || live === undefined) return;
    ctx.bus?.emit('usage', {
      ...ref,
      turn: null,
      taskId: null,
      acpSessionId: live.acpSessionId,
      process: `${live.proc.pid}:${live.proc.startTime}`,
      at: Date.now(),
      usage: {
        inputTokens: 0,
        outputTokens: 0,
        cachedTokens: 0,
        totalTokens: 0,
        contextUsed: null,
        contextSize: null,
        cumulativeCost: cost,
      },
    });
  };
  return {
    onUpdate: (raw) => {
      // Scrubbed before the reply is assembled: replies are stored (outbox) and sent.
      const n = ctx.redact.deep(raw);
      s.toolCalls.observe(n.update);
      events.append('update', n.update, s.turnNumber);
      if (s.turn !== undefined) s.turn.update(n.update);
      else spentBetweenTurns(n.update);
    },
    onBytes: (n) => s.turn?.countBytes(n),
    onViolation: (raw) => {
      const why = ctx.redact.text(raw);
      ctx.quarantine?.(`agent-${spec.name}`, why, { session: s.id });
      const e = new SessionError('protocol', why);
      const turn = s.turn;
      if (turn !== undefined) turn.abort(e);
      else {
        ctx.repo.recordFailure(s.id, 'protocol', why, Date.now());
        events.append('failure', { kind: 'protocol', message: why });
      }
      void s.stopAgent(500);
    },
    onStderr: (raw) => {
      const text = scrubStderr(raw);
      if (text === '') return;
      s.noteStderr(text);
      log.debug({ session: s.id, stderr: text.slice(0, 2000) }, 'agent stderr');
    },
    onPermission: (req) => {
      s.turn?.permissionAsked();
      return answerPermission(req, {
        mode: spec.permissionMode,
        toolCallIdNamesTool: spec.toolCallIdNamesTool,
        workspace: row.workspace,
        toolCalls: s.toolCalls,
        pending: s.permissions,
        events,
        turn: s.turnNumber,
        askTimeoutMs: ctx.askTimeoutMs,
        onAsked: (ask) => ctx.bus?.emit('permission-asked', { ...ref, ask }),
        onDecided: (ask, decision) => ctx.bus?.emit('permission-decided', { ...ref, ask, decision }),
      });
    },
    readFile: (path, line, limit) => readWorkspaceFile(row.workspace, path, line, limit),
    writeFile: async (path, content) => {
      await writeWorkspaceFile(row.workspace, path, content);
      events.append('fs_write', { path, bytes: Buffer.byteLength(content) }, s.turnNumber);
    },
  };
}
