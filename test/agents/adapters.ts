/**
 * How each pinned adapter is launched against the fake model API, and the tool calls that play
 * the policy matrix in its own vocabulary (research notes: docs/agents.md).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADAPTERS, runAdapterTool, type Adapter } from './harness.js';

export const claude: Adapter = {
  name: 'claude',
  preset: 'claude',
  package: '@agentclientprotocol/claude-agent-acp',
  loadWorks: true,
  entry: join(ADAPTERS, '@agentclientprotocol/claude-agent-acp/dist/index.js'),
  args: [],
  // The preset's own environment and state directory (<home>/agents/NAME, seeded settings) are
  // what an operator gets; the suite adds only the fake's address and key.
  setup: (fakeUrl) => ({
    agentToml: `env = ${toml({ ANTHROPIC_BASE_URL: fakeUrl })}
credentials = { ANTHROPIC_API_KEY = "env:AF_TEST_ANTHROPIC_KEY" }`,
    daemonEnv: { AF_TEST_ANTHROPIC_KEY: 'sk-ant-fake-conformance' },
    sessionsDir: (home, agent) => join(home, 'agents', agent, 'projects'),
  }),
  modes: { 'deny-all': 'default', 'approve-reads': 'default', 'approve-all': 'default', ask: 'default' },
  shellWrite: (path) => ({
    name: 'Bash',
    input: { command: `echo written > ${path}`, description: 'Write a file' },
  }),
  fileEdit: (path) => ({ name: 'Write', input: { file_path: path, content: 'edited\n' } }),
  read: (path) => ({ name: 'Read', input: { file_path: path } }),
};

/**
 * Codex needs a model catalog entry for the fake model: without one it warns on every turn, and
 * every bundled model hides MCP tools behind a search tool. The bundled catalog is read offline.
 */
function codexCatalog(codexHome: string): string {
  const out = runAdapterTool('@openai/codex/bin/codex.js', ['debug', 'models', '--bundled'], {
    PATH: process.env['PATH'],
    HOME: codexHome,
    CODEX_HOME: codexHome,
  });
  const all = JSON.parse(out) as { models: Array<Record<string, unknown>> };
  const base = all.models.find((m) => m['slug'] === 'gpt-5.5') ?? all.models[0]!;
  const model = {
    ...base,
    slug: 'agentforge-fake',
    display_name: 'AgentForge fake',
    supports_search_tool: false,
    upgrade: null,
  };
  const file = join(codexHome, 'catalog.json');
  writeFileSync(file, JSON.stringify({ models: [model] }));
  return file;
}

export const codex: Adapter = {
  name: 'codex',
  preset: 'codex',
  package: '@agentclientprotocol/codex-acp',
  loadWorks: true,
  entry: join(ADAPTERS, '@agentclientprotocol/codex-acp/dist/index.js'),
  args: [],
  setup: (fakeUrl, root) => {
    const codexHome = join(root, 'codex-home');
    mkdirSync(codexHome, { recursive: true });
    const catalog = codexCatalog(codexHome);
    writeFileSync(
      join(codexHome, 'config.toml'),
      `model_provider = "fake"
model = "agentforge-fake"
model_catalog_json = ${JSON.stringify(catalog)}
check_for_update_on_startup = false

[model_providers.fake]
name = "AgentForge fake"
base_url = "${fakeUrl}/v1"
env_key = "FAKE_OPENAI_API_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0

[features]
plugins = false

[analytics]
enabled = false

[feedback]
enabled = false

[otel]
exporter = "none"
`,
    );
    return {
      agentToml: `env = ${toml({ CODEX_HOME: codexHome })}
credentials = { FAKE_OPENAI_API_KEY = "env:AF_TEST_OPENAI_KEY" }`,
      daemonEnv: { AF_TEST_OPENAI_KEY: 'sk-fake-conformance' },
      sessionsDir: () => join(codexHome, 'sessions'),
    };
  },
  modes: {
    'deny-all': 'read-only',
    'approve-reads': 'read-only',
    ask: 'read-only',
    'approve-all': 'workspace-write',
  },
  // A model asks for escalation when the read-only sandbox refuses a write; the script asks at once.
  shellWrite: (path) => ({
    name: 'exec_command',
    input: {
      cmd: `echo written > ${path}`,
      sandbox_permissions: 'require_escalated',
      justification: 'write a file',
    },
  }),
  fileEdit: (path) => ({
    name: 'apply_patch',
    input: { input: `*** Begin Patch\n*** Add File: ${path}\n+edited\n*** End Patch\n` },
  }),
  read: (path) => ({ name: 'exec_command', input: { cmd: `cat ${path}` } }),
};

export const gemini: Adapter = {
  name: 'gemini',
  preset: 'gemini',
  package: '@google/gemini-cli',
  // Its session/load loses a session loaded within the minute it was made (upstream #28775):
  // the suite checks only that a resume never dead-ends.
  loadWorks: false,
  entry: join(ADAPTERS, '@google/gemini-cli/bundle/gemini.js'),
  args: ['--acp'],
  // The preset's own environment and state directory (GEMINI_CLI_HOME, seeded settings.json);
  // the suite adds the fake's address, a fixed model (no router request per prompt) and the key.
  setup: (fakeUrl) => ({
    agentToml: `env = ${toml({ GOOGLE_GEMINI_BASE_URL: fakeUrl, GEMINI_MODEL: 'gemini-2.5-flash' })}
credentials = { GEMINI_API_KEY = "env:AF_TEST_GEMINI_KEY" }`,
    daemonEnv: { AF_TEST_GEMINI_KEY: 'fake-gemini-conformance' },
    sessionsDir: (home, agent) => join(home, 'agents', agent, '.gemini', 'tmp'),
  }),
  modes: { 'deny-all': 'default', 'approve-reads': 'default', ask: 'default', 'approve-all': 'yolo' },
  shellWrite: (path) => ({
    name: 'run_shell_command',
    input: { command: `echo written > ${path}`, description: 'write a file' },
  }),
  fileEdit: (path) => ({ name: 'write_file', input: { file_path: path, content: 'edited\n' } }),
  read: (path) => ({ name: 'read_file', input: { file_path: path } }),
};

function toml(o: Record<string, string>): string {
  return `{ ${Object.entries(o)
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
    .join(', ')} }`;
}
