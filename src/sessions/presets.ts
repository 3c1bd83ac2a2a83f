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
  /**
   * Where the adapter keeps its state (login, settings, session transcripts): the variable that
   * points it at the agent's own state directory under the home, and files written there once,
   * when absent, so an out-of-the-box install is quiet and asks the client. The operator's own
   * edits to those files are kept.
   */
  readonly state: { readonly env: string; readonly seed: Readonly<Record<string, string>> } | null;
  /** The adapter builds toolCallIds from the function called (tool-identity.ts). */
  readonly toolCallIdNamesTool?: boolean;
  /** The ACP fs capabilities offered (default: both), where an adapter mishandles one. */
  readonly clientFs?: { readonly readTextFile: boolean; readonly writeTextFile: boolean };
};

/** Gemini CLI: no usage statistics, telemetry, auto-update or IDE integration (none has an env switch). */
const GEMINI_SETTINGS = `${JSON.stringify(
  {
    general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
    privacy: { usageStatisticsEnabled: false },
    telemetry: { enabled: false },
    ide: { enabled: false },
  },
  null,
  2,
)}\n`;

/** Claude Code settings: start in the mode that asks, and never offer the classifier's `auto`. */
const CLAUDE_SETTINGS = `${JSON.stringify({ permissions: { defaultMode: 'default', disableAutoMode: 'disable' } }, null, 2)}\n`;

/**
 * Codex: no plugin sync (it clones from GitHub and calls chatgpt.com at every start), no update
 * check, analytics, feedback upload or telemetry export. Model provider and login are the
 * operator's (docs/agents.md).
 */
const CODEX_CONFIG = `# Written by AgentForge once; yours to edit (docs/agents.md).
check_for_update_on_startup = false

[features]
plugins = false

[analytics]
enabled = false

[feedback]
enabled = false

[otel]
exporter = "none"
`;

export const PRESETS: Readonly<Record<string, Preset>> = {
  claude: {
    command: 'claude-agent-acp',
    args: [],
    env: {
      DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_ERROR_REPORTING: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_BUG_COMMAND: '1',
      CLAUDE_CODE_ENABLE_PROMPT_SUGGESTION: 'false',
    },
    modes: { 'approve-reads': 'default', 'deny-all': 'default', ask: 'default', 'approve-all': 'default' },
    state: { env: 'CLAUDE_CONFIG_DIR', seed: { 'settings.json': CLAUDE_SETTINGS } },
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
    state: { env: 'CODEX_HOME', seed: { 'config.toml': CODEX_CONFIG } },
  },
  gemini: {
    command: 'gemini',
    args: ['--acp'],
    env: {
      // MCP servers handed over by the ACP client load only in a trusted folder (and yolo needs
      // one); the daemon made the workspace, so it is trusted.
      GEMINI_CLI_TRUST_WORKSPACE: 'true',
      // One process instead of a relaunched child that ignores SIGTERM.
      GEMINI_CLI_NO_RELAUNCH: 'true',
    },
    modes: { 'approve-reads': 'default', 'deny-all': 'default', ask: 'default', 'approve-all': 'yolo' },
    state: { env: 'GEMINI_CLI_HOME', seed: { '.gemini/settings.json': GEMINI_SETTINGS } },
    // With fs/read_text_file offered, write_file of a new file fails: gemini treats our "no such
    // file" answer as an error (google-gemini/gemini-cli#26448). Its read_file reads the disk anyway.
    clientFs: { readTextFile: false, writeTextFile: true },
    toolCallIdNamesTool: true,
  },
};
