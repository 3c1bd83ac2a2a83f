/** Agents: can each configured command be found, and how is agent memory capped here. */
import type { Finding } from '../../contract.js';
import { agentVersion } from '../../sessions/agent-test.js';
import { resolveAgents, resolveCommand } from '../../sessions/agents.js';
import { memoryCapMethod } from '../../sessions/memory-watch.js';
import { probeSandbox, sandboxDecision } from '../../sessions/sandbox-probe.js';
import type { Check } from './types.js';

export const agentsResolvable: Check = {
  id: 'agents.resolvable',
  run({ config, env }): Finding {
    const id = 'agents.resolvable';
    if (config instanceof Error) return { id, severity: 'info', message: 'skipped: config is invalid' };
    const missing: string[] = [];
    const found: string[] = [];
    const warnings: string[] = [];
    for (const spec of resolveAgents(config).values()) {
      const resolved = resolveCommand(spec.command, env['PATH']);
      if (resolved === undefined) missing.push(`${spec.name}: command ${spec.command} not found on PATH`);
      else if (spec.preset !== 'demo')
        found.push(`${spec.name} ${agentVersion(resolved, spec.args) ?? resolved}`);
      warnings.push(...spec.warnings.map((w) => `${spec.name}: ${w}`));
    }
    if (missing.length > 0) {
      return {
        id,
        severity: 'warn',
        message: [...missing, ...warnings].join('; '),
        fix: 'install the agent CLI (docs/agents.md) or fix its command in [agents]',
      };
    }
    if (warnings.length > 0) return { id, severity: 'warn', message: warnings.join('; ') };
    return {
      id,
      severity: 'ok',
      message: `every configured agent command is on PATH${found.length > 0 ? ` (${found.join(', ')})` : ''}`,
    };
  },
};

export const agentsMemoryCap: Check = {
  id: 'agents.memory_cap',
  run(): Finding {
    const method = memoryCapMethod();
    return method === 'cgroup'
      ? {
          id: 'agents.memory_cap',
          severity: 'ok',
          message: 'agent memory is capped by a cgroup (systemd-run --scope MemoryMax), with an RSS watchdog',
        }
      : {
          id: 'agents.memory_cap',
          severity: 'info',
          message:
            'no systemd cgroups here: agent memory is capped by an RSS watchdog on the agent process tree',
          fix: 'run under systemd for a hard cgroup cap',
        };
  },
};

/** Per agent: sandboxed by bubblewrap, or why not (probed once per process: sandbox-probe.ts). */
export const agentsSandbox: Check = {
  id: 'agents.sandbox',
  run({ config, env }): Finding {
    const id = 'agents.sandbox';
    if (config instanceof Error) return { id, severity: 'info', message: 'skipped: config is invalid' };
    const probe = probeSandbox(env);
    const decisions = [...resolveAgents(config).values()].map((spec) => sandboxDecision(spec, probe));
    const parts = decisions.map((d) =>
      d.sandboxed
        ? `${d.agent}: bwrap`
        : d.mode === 'none'
          ? `${d.agent}: none (sandbox = "none")`
          : `${d.agent}: NOT sandboxed`,
    );
    const refused = decisions.filter((d) => !d.sandboxed && d.mode === 'bwrap').map((d) => d.agent);
    const fellBack = decisions.filter((d) => !d.sandboxed && d.mode === 'auto').map((d) => d.agent);
    if (probe.ok || (refused.length === 0 && fellBack.length === 0))
      return { id, severity: 'ok', message: `agent sandboxes: ${parts.join(', ')}` };
    const why = `${parts.join(', ')}: ${probe.reason}`;
    if (refused.length > 0)
      return {
        id,
        severity: 'error',
        message: `${why}; ${refused.join(', ')} (sandbox = "bwrap") will not start`,
        fix: probe.fix,
      };
    return {
      id,
      severity: 'warn',
      message: `${why}; ${fellBack.join(', ')} (sandbox = "auto") run unsandboxed, with the daemon's own access`,
      fix: probe.fix,
    };
  },
};
