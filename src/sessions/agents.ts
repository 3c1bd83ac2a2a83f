/**
 * Agent definitions: config's `[agents.NAME]` with presets filled in, plus the bundled demo agent,
 * which is always available and is the default when no other agent is marked default.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/load.js';
import type { SecretRef } from '../config/secrets.js';

export type PermissionMode = 'approve-reads' | 'approve-all' | 'deny-all' | 'ask';

export type AgentLimits = {
  readonly turnTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly memoryMb: number;
  readonly maxOutputBytes: number;
};

export type AgentSpec = {
  readonly name: string;
  readonly preset: string | null;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly credentials: Readonly<Record<string, SecretRef>>;
  readonly permissionMode: PermissionMode;
  readonly limits: AgentLimits;
  readonly isDefault: boolean;
  /** Known reasons this agent cannot run here (e.g. the Claude adapter refuses root). */
  readonly warnings: readonly string[];
};

export function demoAgentPath(): string {
  const built = fileURLToPath(new URL('../demo-agent/main.js', import.meta.url));
  if (existsSync(built)) return built;
  // Running from src/ under the test runner: use the compiled copy.
  return built.replace(`${'/'}src${'/'}`, `${'/'}dist${'/'}`);
}

const PRESETS: Readonly<Record<string, { command: string; args: readonly string[] }>> = {
  claude: { command: 'claude-agent-acp', args: [] },
  codex: { command: 'codex-acp', args: [] },
  gemini: { command: 'gemini', args: ['--acp'] },
};

function presetCommand(preset: string): { command: string; args: readonly string[] } {
  if (preset === 'demo') return { command: process.execPath, args: [demoAgentPath()] };
  return PRESETS[preset] ?? { command: preset, args: [] };
}

export function resolveAgents(config: Config, uid = process.getuid?.()): Map<string, AgentSpec> {
  const base = config.limits;
  const agents = new Map<string, AgentSpec>();
  const entries = Object.entries(config.agents);
  const explicitDefault = entries.find(([, a]) => a.default)?.[0];
  const soleAgent = entries.length === 1 ? entries[0]?.[0] : undefined;
  const defaultName = explicitDefault ?? soleAgent ?? 'demo';
  for (const [name, a] of entries) {
    const preset = a.preset ?? null;
    const fromPreset = preset === null ? undefined : presetCommand(preset);
    const warnings: string[] = [];
    if (preset === 'claude' && uid === 0) {
      warnings.push('the Claude ACP adapter refuses to run as root; run agentforge as an ordinary user');
    }
    agents.set(name, {
      name,
      preset,
      command: a.command ?? fromPreset?.command ?? name,
      args: a.args ?? fromPreset?.args ?? [],
      env: a.env,
      credentials: a.credentials,
      permissionMode: a.permission_mode,
      limits: {
        turnTimeoutMs: a.limits.turn_timeout ?? base.turn_timeout,
        idleTimeoutMs: a.limits.idle_timeout ?? base.idle_timeout,
        memoryMb: a.limits.agent_memory_mb ?? base.agent_memory_mb,
        maxOutputBytes: a.limits.max_output_bytes ?? base.max_output_bytes,
      },
      isDefault: name === defaultName,
      warnings,
    });
  }
  if (!agents.has('demo')) {
    const demo = presetCommand('demo');
    agents.set('demo', {
      name: 'demo',
      preset: 'demo',
      command: demo.command,
      args: demo.args,
      env: {},
      credentials: {},
      permissionMode: 'approve-reads',
      limits: {
        turnTimeoutMs: base.turn_timeout,
        idleTimeoutMs: base.idle_timeout,
        memoryMb: base.agent_memory_mb,
        maxOutputBytes: base.max_output_bytes,
      },
      isDefault: defaultName === 'demo',
      warnings: [],
    });
  }
  return agents;
}

/** The executable the command resolves to on PATH, or undefined when it cannot be found. */
export function resolveCommand(command: string, path = process.env['PATH'] ?? ''): string | undefined {
  const candidates =
    isAbsolute(command) || command.includes('/')
      ? [command]
      : path.split(delimiter).map((d) => join(d, command));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}
