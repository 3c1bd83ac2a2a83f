/** `agentforge agent test NAME`: spawn the agent, run the ACP handshake, report, stop it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSecret } from '../config/secrets.js';
import type { AgentSpec } from './agents.js';
import { resolveCommand } from './agents.js';
import { buildAgentEnv } from './acp/env.js';
import { SessionError } from './errors.js';

export type AgentTestReport = {
  readonly agent: string;
  readonly ok: boolean;
  readonly command: string;
  readonly resolved: string | null;
  readonly warnings: readonly string[];
  readonly duration_ms: number;
  readonly protocol_version?: number;
  readonly agent_info?: unknown;
  readonly capabilities?: unknown;
  readonly error?: { readonly kind: string; readonly message: string };
};

export async function testAgent(spec: AgentSpec, env: NodeJS.ProcessEnv): Promise<AgentTestReport> {
  const started = Date.now();
  const base = {
    agent: spec.name,
    command: [spec.command, ...spec.args].join(' '),
    resolved: resolveCommand(spec.command, env['PATH']) ?? null,
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
      env: buildAgentEnv(env, spec.env, credentials),
      resumeAcpSessionId: null,
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

export function describeAgent(spec: AgentSpec, env: NodeJS.ProcessEnv) {
  return {
    name: spec.name,
    preset: spec.preset,
    command: spec.command,
    args: spec.args,
    resolved: resolveCommand(spec.command, env['PATH']) ?? null,
    permission_mode: spec.permissionMode,
    default: spec.isDefault,
    credentials: Object.keys(spec.credentials),
    limits: spec.limits,
    warnings: spec.warnings,
  };
}
