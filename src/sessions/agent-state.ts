/**
 * An agent definition's own state directory, `<home>/agents/<name>/` (0700): the adapter keeps
 * its login, settings and session transcripts there, out of every workspace and apart from the
 * operator's own `~/.claude` or `~/.codex`, so a resume finds its sessions after a restart and
 * the sandbox can show the agent this directory and nothing else of the home.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AgentSpec } from './agents.js';
import { PRESETS } from './presets.js';

export function agentStateDir(agentsDir: string, agent: string): string {
  return join(agentsDir, agent);
}

/**
 * Creates the state directory, writes the preset's seed files that are missing, and returns the
 * environment that points the adapter at it. An agent whose `env` already sets the variable
 * keeps its own directory, untouched.
 */
export function prepareAgentState(spec: AgentSpec, agentsDir: string): Record<string, string> {
  const state = spec.preset === null ? null : (PRESETS[spec.preset]?.state ?? null);
  if (state === null || spec.env[state.env] !== undefined) return {};
  const dir = agentStateDir(agentsDir, spec.name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const [name, text] of Object.entries(state.seed)) {
    const file = join(dir, name);
    if (existsSync(file)) continue;
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, text, { mode: 0o600 });
  }
  return { [state.env]: dir };
}
