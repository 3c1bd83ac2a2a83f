/**
 * The conformance suite's frame: the pinned real adapters (installed into test/agents/adapters/ by
 * scripts/install-adapters.mjs), a fake model API they talk to, and a real daemon whose config
 * defines one agent per permission policy for the adapter under test. Each adapter module says
 * how it is launched and which tool calls play the matrix (a shell write, a file edit, a read,
 * one of the daemon's own tools).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startFakeModelApi, type FakeModelApi } from '../fakes/model-api/server.js';
import type { ToolStep } from '../fakes/model-api/script.js';
import { makeHome, startDaemon, type TestHome } from '../helpers/harness.js';

export const ADAPTERS = resolve(import.meta.dirname, 'adapters/node_modules');
export const POLICIES = ['deny-all', 'approve-reads', 'approve-all', 'ask'] as const;
export type Policy = (typeof POLICIES)[number];

export type AdapterSetup = {
  /** Extra TOML keys of every agent of this adapter (env, credentials). */
  readonly agentToml: string;
  /** The daemon's environment additions: the values credentials refer to. */
  readonly daemonEnv: Record<string, string>;
  /** Where an agent keeps its sessions (deleted to make a session/load fail), by daemon home. */
  readonly sessionsDir: (home: string, agent: string) => string;
};

export type Adapter = {
  readonly name: 'claude' | 'codex' | 'gemini';
  readonly preset: string;
  /** The npm package, as `agent test` reports its version. */
  readonly package: string;
  /** Whether session/load restores a conversation after a restart (gemini's does not). */
  readonly loadWorks: boolean;
  /** The adapter's entry script, run with the test's Node (the bin shebangs pick the system's). */
  readonly entry: string;
  readonly args: readonly string[];
  readonly setup: (fakeUrl: string, root: string) => AdapterSetup;
  /** The mode each policy must put the adapter in (docs/agents.md). */
  readonly modes: Readonly<Record<Policy, string>>;
  readonly shellWrite: (path: string) => ToolStep;
  readonly fileEdit: (path: string) => ToolStep;
  readonly read: (path: string) => ToolStep;
};

export const OUR_TOOL: ToolStep = { match: 'list_groups', input: {} };

export type AgentsHome = {
  readonly h: TestHome;
  readonly fake: FakeModelApi;
  readonly setup: AdapterSetup;
  /** The agent name for a policy, e.g. `claude-deny-all`. */
  readonly agent: (policy: Policy | 'limits') => string;
  readonly workspace: (group?: string) => string;
  readonly stop: () => Promise<void>;
};

export function adapterInstalled(): boolean {
  return existsSync(join(ADAPTERS, '@agentclientprotocol/claude-agent-acp/package.json'));
}

/**
 * A daemon with one agent per policy for the adapter, plus `<name>-limits` (approve-all with a
 * short turn_timeout and idle_timeout) for the supervision cases. The timeout leaves room for a
 * slow adapter's first prompt on a loaded machine (gemini's start alone takes seconds).
 */
export async function startAgentsHome(
  a: Adapter,
  opts: { extraToml?: string; env?: Record<string, string> } = {},
): Promise<AgentsHome> {
  const fake = await startFakeModelApi();
  const root = mkdtempSync(join(tmpdir(), `af-${a.name}-`));
  const userHome = join(root, 'user');
  mkdirSync(userHome, { recursive: true });
  const setup = a.setup(fake.url, root);
  const h = makeHome({ env: { HOME: userHome, ...setup.daemonEnv, ...opts.env } });
  await h.run(['init']);
  const agent = (p: Policy | 'limits'): string => `${a.name}-${p}`;
  const def = (name: string, policy: Policy, limits = ''): string => `
[agents.${name}]
preset = "${a.preset}"
command = ${JSON.stringify(process.execPath)}
args = ${JSON.stringify([a.entry, ...a.args])}
permission_mode = "${policy}"
${setup.agentToml}
${limits}`;
  h.writeConfig(`[http]
port = 0

[daemon]
shutdown_timeout = "10s"

[limits]
turn_timeout = "90s"
max_concurrent_agents = 8
${POLICIES.map((p) => def(agent(p), p)).join('\n')}
${def(agent('limits'), 'approve-all', '[agents.' + agent('limits') + '.limits]\nturn_timeout = "10s"\nidle_timeout = "2s"')}
${opts.extraToml ?? ''}
`);
  await startDaemon(h);
  return {
    h,
    fake,
    setup,
    agent,
    workspace: (group = 'cli') => join(h.home, 'groups', group),
    stop: async () => {
      await h.run(['daemon', 'stop']);
      await h.cleanup();
      await fake.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Writes a file and returns its path (fixtures inside a workspace). */
export function fixture(dir: string, name: string, text: string): string {
  mkdirSync(dir, { recursive: true });
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** Runs a command of an installed adapter package with the test's Node; returns stdout. */
export function runAdapterTool(script: string, args: readonly string[], env: NodeJS.ProcessEnv): string {
  return execFileSync(process.execPath, [join(ADAPTERS, script), ...args], {
    env,
    encoding: 'utf8',
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
  });
}
