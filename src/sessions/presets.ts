/**
 * What AgentForge knows about the real ACP adapters it ships presets for: how to start them, the
 * environment that keeps them quiet (no telemetry, update checks or plugin sync: only the model
 * API is needed), and which ACP session mode puts each permission_mode in charge. docs/agents.md
 * mirrors this table; test/agents/ proves it against the pinned adapters.
 */
import type { PermissionMode } from './agents.js';

export type Preset = {
  readonly command: string;
  readonly args: readonly string[];
  /** Defaults under the agent's own `env` (which overrides them). */
  readonly env: Readonly<Record<string, string>>;
  /**
   * The session mode selected after session/new or session/load for each policy. The adapters
   * start in automatic modes that act without asking the client, which would bypass the policy;
   * a mode listed here that the adapter does not offer fails the start (kind `policy`).
   */
  readonly modes: Readonly<Record<PermissionMode, string>> | null;
};

export const PRESETS: Readonly<Record<string, Preset>> = {
  claude: {
    command: 'claude-agent-acp',
    args: [],
    env: {
      DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_ERROR_REPORTING: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    },
    modes: { 'approve-reads': 'default', 'deny-all': 'default', ask: 'default', 'approve-all': 'default' },
  },
  codex: {
    command: 'codex-acp',
    args: [],
    env: {},
    modes: {
      'approve-reads': 'read-only',
      'deny-all': 'read-only',
      ask: 'read-only',
      // Codex's own sandbox still keeps writes in the workspace; MCP calls and escalations ask
      // (and are approved). session_mode = "agent-full-access" lifts the sandbox.
      'approve-all': 'workspace-write',
    },
  },
  gemini: {
    command: 'gemini',
    args: ['--acp'],
    env: {
      // MCP servers handed over by the ACP client load only in a trusted folder; the daemon made
      // the workspace, so it is trusted.
      GEMINI_CLI_TRUST_WORKSPACE: 'true',
    },
    modes: { 'approve-reads': 'default', 'deny-all': 'default', ask: 'default', 'approve-all': 'default' },
  },
};
