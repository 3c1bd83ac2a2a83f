/** `agentforge agent test NAME`: spawn the agent, run the ACP handshake, report, stop it. */
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { resolveSecret } from '../config/secrets.js';
import type { AgentInfo, AgentTestReport } from '../contract.js';
import type { AgentSpec } from './agents.js';
import { resolveCommand } from './agents.js';
import { buildAgentEnv } from './acp/env.js';
import { prepareAgentState } from './agent-state.js';
import { SessionError } from './errors.js';

export type { AgentTestReport };

/**
 * The version of an agent installed from npm: the package.json nearest to the resolved command
 * (npm links bin/ entries into the package). Reading a file beats running `--version`, which for
 * some adapters starts the whole CLI.
 */
export function agentVersion(resolved: string | undefined, args: readonly string[] = []): string | null {
  if (resolved === undefined) return null;
  // `command = "node"` with the adapter's script as the first argument: the script is the agent.
  const script =
    /^node(js)?(\d+)?$/.test(basename(resolved)) && args[0]?.startsWith('/') ? args[0] : resolved;
  let dir: string;
  try {
    dir = dirname(realpathSync(script));
  } catch {
    return null;
  }
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (typeof pkg.version === 'string' && typeof pkg.name === 'string')
        return `${pkg.name}@${pkg.version}`;
    } catch {
      // no package.json here: look further up
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

export async function testAgent(
  spec: AgentSpec,
  env: NodeJS.ProcessEnv,
  agentsDir: string,
): Promise<AgentTestReport> {
  const started = Date.now();
  const resolved = resolveCommand(spec.command, env['PATH']);
  const base = {
    agent: spec.name,
    command: [spec.command, ...spec.args].join(' '),
    resolved: resolved ?? null,
    version: agentVersion(resolved, spec.args),
    permission_mode: spec.permissionMode,
    warnings: spec.warnings,
  };
  const cwd = mkdtempSync(join(tmpdir(), 'af-agent-test-'));
  try {
    const credentials = Object.fromEntries(
      Object.entries(spec.credentials).map(([k, ref]) => [k, resolveSecret(ref, env)]),
    );
    const { startAgent } = await import('./acp/client.js');
    const live = await startAgent({
      command: spec.command,
      args: spec.args,
      cwd,
      env: buildAgentEnv(env, { ...prepareAgentState(spec, agentsDir), ...spec.env }, credentials),
      resumeAcpSessionId: null,
      mode: spec.mode,
      clientFs: spec.clientFs,
      handshakeTimeoutMs: 20_000,
      hooks: {
        onUpdate: () => undefined,
        onPermission: () => Promise.resolve({ outcome: { outcome: 'cancelled' } }),
        readFile: () => {
          throw new Error('not available during agent test');
        },
        writeFile: () => {
          throw new Error('not available during agent test');
        },
        onViolation: () => undefined,
        onBytes: () => undefined,
        onStderr: () => undefined,
      },
    });
    await live.stop(1_000);
    return {
      ...base,
      ok: true,
      duration_ms: Date.now() - started,
      protocol_version: live.init.protocolVersion,
      agent_info: live.init.agentInfo ?? null,
      capabilities: live.init.agentCapabilities ?? {},
      modes: live.modes.available,
      mode: live.modes.current,
    };
  } catch (err) {
    const kind = err instanceof SessionError ? err.kind : 'spawn';
    return {
      ...base,
      ok: false,
      duration_ms: Date.now() - started,
      error: { kind, message: (err as Error).message },
    };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

export function describeAgent(spec: AgentSpec, env: NodeJS.ProcessEnv): AgentInfo {
  const resolved = resolveCommand(spec.command, env['PATH']);
  return {
    name: spec.name,
    preset: spec.preset,
    command: spec.command,
    args: spec.args,
    resolved: resolved ?? null,
    version: spec.preset === 'demo' ? 'bundled' : agentVersion(resolved, spec.args),
    permission_mode: spec.permissionMode,
    session_mode: spec.mode.modeId,
    default: spec.isDefault,
    credentials: Object.keys(spec.credentials),
    limits: spec.limits,
    warnings: spec.warnings,
  };
}
