/**
 * Starts a session's agent: the launch (credentials, environment, sandbox, cgroup) resolved, the
 * process spawned with its hooks and the ACP handshake done, then its pid and ACP session recorded
 * so a crashed daemon's successor can find it and a resumed session continues the conversation.
 */
import type { AgentCapabilities, McpServer } from '@agentclientprotocol/sdk';
import type { SandboxGuard } from '../config/sandbox-paths.js';
import type { SessionsRepo } from '../store/sessions-repo.js';
import type { LiveAgent, ResumeFailure } from './acp/client.js';
import { agentLaunch, asSandboxFailure } from './acp/launch.js';
import { agentHooks } from './agent-hooks.js';
import type { AgentSpec } from './agents.js';
import type { MemoryCapMethod } from './memory-watch.js';
import { DEFAULT_ASK_TIMEOUT_MS } from './permissions.js';
import { Redactor } from './redact.js';
import type { SandboxProbe } from './sandbox-probe.js';
import type { Session } from './session.js';
import type { SupervisorEvents } from './supervisor-events.js';

/** The supervisor's deps (SupervisorDeps documents each), its bus, and the probe's answer. */
export type AgentStartDeps = {
  readonly repo: SessionsRepo;
  readonly bus: SupervisorEvents;
  readonly env: NodeJS.ProcessEnv;
  readonly agentsDir: string;
  readonly probe: SandboxProbe;
  readonly memoryCap: MemoryCapMethod;
  readonly sandboxGuard?: SandboxGuard;
  readonly askTimeoutMs?: number;
  readonly mcpServersFor?: (sessionId: string, caps: AgentCapabilities | undefined) => McpServer[];
  readonly quarantine?: (source: string, reason: string, payload: unknown) => void;
};

export async function startSessionAgent(
  s: Session,
  spec: AgentSpec,
  deps: AgentStartDeps,
): Promise<LiveAgent> {
  const launch = agentLaunch(spec, {
    env: deps.env,
    agentsDir: deps.agentsDir,
    workspace: s.row.workspace,
    probe: deps.probe,
    guard: deps.sandboxGuard,
    memoryCap: deps.memoryCap,
  });
  const redact = s.redact ?? new Redactor();
  redact.set(launch.secrets);
  const row = s.row;
  const cmd = launch;
  const { events, log } = s;
  // The ACP SDK loads with the first agent: an idle daemon does not pay its memory.
  const { startAgent } = await import('./acp/client.js');
  const live = await asSandboxFailure(
    launch.sandboxed,
    () => s.stderrTail,
    startAgent({
      command: cmd.command,
      args: cmd.args,
      cwd: row.workspace,
      env: launch.env,
      resumeAcpSessionId: row.acp_session_id,
      mode: spec.mode,
      clientFs: spec.clientFs,
      mcpServers: (caps) => deps.mcpServersFor?.(s.id, caps) ?? [],
      hooks: agentHooks(s, spec, {
        redact,
        repo: deps.repo,
        askTimeoutMs: deps.askTimeoutMs ?? DEFAULT_ASK_TIMEOUT_MS,
        quarantine: deps.quarantine,
        bus: deps.bus,
      }),
    }),
  );
  const now = Date.now();
  deps.repo.recordProcess(
    s.id,
    { pid: live.proc.pid, pgid: live.proc.pgid, startTime: live.proc.startTime },
    now,
  );
  if (live.acpSessionId !== row.acp_session_id) deps.repo.setAcpSession(s.id, live.acpSessionId, now);
  events.append('process', {
    event: 'started',
    pid: live.proc.pid,
    resumed: live.resumed,
    agent: live.init.agentInfo?.name ?? spec.name,
    capabilities: live.init.agentCapabilities ?? {},
    mode: live.modes.current,
    modes: live.modes.available,
  });
  log.info(
    { session: s.id, pid: live.proc.pid, resumed: live.resumed, mode: live.modes.current },
    'agent started',
  );
  if (live.resumeFailure !== undefined) resumeFailed(s, live.resumeFailure, row.acp_session_id, deps);
  return live;
}

/** The agent works in a fresh ACP session: recorded, and the daemon told (the chat hears of it once). */
export function resumeFailed(
  s: Session,
  failure: ResumeFailure,
  previousAcpSession: string | null,
  deps: { readonly repo: SessionsRepo; readonly bus: SupervisorEvents },
): void {
  const now = Date.now();
  if (s.live !== undefined) deps.repo.setAcpSession(s.id, s.live.acpSessionId, now);
  s.events.append('resume_failed', {
    previous_acp_session: previousAcpSession,
    message: failure.message,
    data: failure.data,
  });
  s.log.warn(
    { session: s.id, err: failure.message },
    'agent could not resume its earlier session; started fresh',
  );
  const row = s.row;
  deps.bus.emit('resume-failed', {
    sessionId: s.id,
    group: row.group_folder,
    agent: row.agent,
    reason: failure.message,
  });
}
