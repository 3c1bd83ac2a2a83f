/**
 * Agent definitions: config's `[agents.NAME]` with presets filled in, plus the bundled demo agent,
 * which is always available and is the default when no other agent is marked default.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { Config } from '../config/load.js';
import type { SecretRef } from '../config/secrets.js';
import type { ModeChoice } from './acp/client.js';
import { PRESETS } from './presets.js';
import { DEMO_AGENT } from '../install-paths.js';

export type PermissionMode = 'approve-reads' | 'approve-all' | 'deny-all' | 'ask';

export type AgentLimits = {
  readonly turnTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly memoryMb: number;
  readonly maxOutputBytes: number;
};

export type SandboxMode = 'auto' | 'bwrap' | 'none';

export type AgentSandbox = {
  readonly mode: SandboxMode;
  readonly readOnly: readonly string[];
  readonly readWrite: readonly string[];
};

export type AgentSpec = {
  readonly name: string;
  readonly preset: string | null;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly credentials: Readonly<Record<string, SecretRef>>;
  readonly permissionMode: PermissionMode;
  /** The ACP session mode that puts permissionMode in charge (presets.ts, or session_mode). */
  readonly mode: ModeChoice;
  /** Its toolCallIds name the tool called (gemini): see tool-identity.ts. */
  readonly toolCallIdNamesTool: boolean;
  /** The ACP fs capabilities this agent is offered. */
  readonly clientFs: { readonly readTextFile: boolean; readonly writeTextFile: boolean };
  readonly limits: AgentLimits;
  /** bubblewrap per agent process (sandbox.ts); `auto` falls back to none where it cannot run. */
  readonly sandbox: AgentSandbox;
  readonly isDefault: boolean;
  /** Known reasons this agent may not work as configured. */
  readonly warnings: readonly string[];
};

/** The compiled demo agent (also under the test runner, which runs src/). */
export function demoAgentPath(): string {
  return DEMO_AGENT;
}

function presetCommand(preset: string): { command: string; args: readonly string[] } {
  if (preset === 'demo') return { command: process.execPath, args: [demoAgentPath()] };
  return PRESETS[preset] ?? { command: preset, args: [] };
}

const BOTH_FS = { readTextFile: true, writeTextFile: true } as const;

function modeChoice(preset: string | null, policy: PermissionMode, explicit: string | undefined): ModeChoice {
  if (explicit !== undefined) return { modeId: explicit, required: true, policy };
  const mapped = preset === null ? undefined : PRESETS[preset]?.modes?.[policy];
  return { modeId: mapped ?? null, required: mapped !== undefined, policy };
}

export function resolveAgents(config: Config): Map<string, AgentSpec> {
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
    agents.set(name, {
      name,
      preset,
      command: a.command ?? fromPreset?.command ?? name,
      args: a.args ?? fromPreset?.args ?? [],
      env: { ...(preset === null ? {} : PRESETS[preset]?.env), ...a.env },
      credentials: a.credentials,
      permissionMode: a.permission_mode,
      mode: modeChoice(preset, a.permission_mode, a.session_mode),
      clientFs: (preset === null ? undefined : PRESETS[preset]?.clientFs) ?? BOTH_FS,
      toolCallIdNamesTool: (preset === null ? undefined : PRESETS[preset]?.toolCallIdNamesTool) ?? false,
      limits: {
        turnTimeoutMs: a.limits.turn_timeout ?? base.turn_timeout,
        idleTimeoutMs: a.limits.idle_timeout ?? base.idle_timeout,
        memoryMb: a.limits.agent_memory_mb ?? base.agent_memory_mb,
        maxOutputBytes: a.limits.max_output_bytes ?? base.max_output_bytes,
      },
      sandbox: { mode: a.sandbox, readOnly: a.sandbox_ro_paths, readWrite: a.sandbox_rw_paths },
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
      mode: { modeId: null, required: false, policy: 'approve-reads' },
      clientFs: BOTH_FS,
      toolCallIdNamesTool: false,
      limits: {
        turnTimeoutMs: base.turn_timeout,
        idleTimeoutMs: base.idle_timeout,
        memoryMb: base.agent_memory_mb,
        maxOutputBytes: base.max_output_bytes,
      },
      sandbox: { mode: 'auto', readOnly: [], readWrite: [] },
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
