/**
 * How an agent process is started: its credentials resolved, its environment (allowlist, the
 * preset's state directory, its own env and credentials), the sandbox wrapped around it where one
 * applies, and the cgroup memory cap outside that. Pure apart from creating the state directory;
 * spawning and the ACP handshake are acp/client.ts's.
 */
import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import { sandboxPathProblem, type SandboxGuard } from '../../config/sandbox-paths.js';
import { resolveSecret, SecretError } from '../../config/secrets.js';
import { buildAgentEnv } from './env.js';
import { agentStateDir, prepareAgentState } from '../agent-state.js';
import type { AgentSpec } from '../agents.js';
import { SessionError } from '../errors.js';
import { withCgroup, type MemoryCapMethod } from '../memory-watch.js';
import { PRESETS } from '../presets.js';
import { sandboxCommand } from '../sandbox.js';
import { sandboxDecision, type SandboxProbe } from '../sandbox-probe.js';

export type LaunchContext = {
  /** The daemon's environment: the allowlist and env: secret references read from it. */
  readonly env: NodeJS.ProcessEnv;
  readonly agentsDir: string;
  readonly workspace: string;
  readonly probe: SandboxProbe;
  readonly guard: SandboxGuard | undefined;
  readonly memoryCap: MemoryCapMethod;
};

export type AgentLaunch = {
  readonly command: string;
  readonly args: string[];
  readonly env: Record<string, string>;
  readonly sandboxed: boolean;
  /** The resolved credential values, for scrubbing what the daemon writes about the agent. */
  readonly secrets: string[];
};

export function agentLaunch(spec: AgentSpec, ctx: LaunchContext): AgentLaunch {
  const credentials: Record<string, string> = {};
  try {
    for (const [target, ref] of Object.entries(spec.credentials))
      credentials[target] = resolveSecret(ref, ctx.env);
  } catch (err) {
    if (err instanceof SecretError) throw new SessionError('spawn', `agent ${spec.name}: ${err.message}`);
    throw err;
  }
  const decision = sandboxDecision(spec, ctx.probe);
  if (spec.sandbox.mode === 'bwrap' && !decision.sandboxed) {
    throw new SessionError(
      'sandbox',
      `agent ${spec.name} has sandbox = "bwrap" but ${decision.reason ?? 'bubblewrap cannot run here'}; or set sandbox = "auto" to run it unsandboxed`,
    );
  }
  let env = buildAgentEnv(ctx.env, { ...prepareAgentState(spec, ctx.agentsDir), ...spec.env }, credentials);
  let base = { command: spec.command, args: [...spec.args] };
  const sandboxed = decision.sandboxed && ctx.probe.ok;
  if (sandboxed && ctx.probe.ok) {
    const guard = ctx.guard ?? { home: dirname(ctx.agentsDir), userHomes: [], secretFiles: [] };
    const stateDir = sandboxStateDir(spec, ctx.agentsDir, guard);
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const wrapped = sandboxCommand({
      bwrap: ctx.probe.bwrap,
      command: spec.command,
      args: spec.args,
      workspace: ctx.workspace,
      stateDir,
      env,
      readOnly: spec.sandbox.readOnly,
      readWrite: spec.sandbox.readWrite,
      guard,
    });
    base = { command: wrapped.command, args: wrapped.args };
    env = wrapped.env;
  }
  const cmd = ctx.memoryCap === 'cgroup' ? withCgroup(base.command, base.args, spec.limits.memoryMb) : base;
  return { command: cmd.command, args: cmd.args, env, sandboxed, secrets: Object.values(credentials) };
}

/**
 * The directory a sandboxed agent keeps its state in: `<home>/agents/<name>/`, or the one the
 * operator pointed the preset's variable at in `env` (CODEX_HOME = "/srv/codex"), when that one
 * may be shown at all; the adapter would find nothing there otherwise.
 */
function sandboxStateDir(spec: AgentSpec, agentsDir: string, guard: SandboxGuard): string {
  const variable = spec.preset === null ? undefined : PRESETS[spec.preset]?.state?.env;
  const own = variable === undefined ? undefined : spec.env[variable];
  if (own !== undefined && isAbsolute(own) && sandboxPathProblem(own, guard) === undefined) return own;
  return agentStateDir(agentsDir, spec.name);
}

/**
 * bubblewrap that refuses its mounts (a path gone, a namespace denied) exits before the agent
 * says anything, with a `bwrap: …` line on stderr: that is the sandbox failing, not the agent.
 */
export async function asSandboxFailure<T>(
  sandboxed: boolean,
  stderr: () => string,
  p: Promise<T>,
): Promise<T> {
  try {
    return await p;
  } catch (err) {
    const line = /^bwrap: .*$/m.exec(stderr())?.[0];
    if (sandboxed && err instanceof SessionError && line !== undefined)
      throw new SessionError('sandbox', `the sandbox could not start the agent: ${line}`, { cause: err });
    throw err;
  }
}
