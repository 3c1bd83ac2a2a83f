/** Agents: can each configured command be found, and how is agent memory capped here. */
import type { Finding } from '../../contract.js';
import { resolveAgents, resolveCommand } from '../../sessions/agents.js';
import { memoryCapMethod } from '../../sessions/memory-watch.js';
import type { Check } from './types.js';

export const agentsResolvable: Check = {
  id: 'agents.resolvable',
  run({ config, env }): Finding {
    const id = 'agents.resolvable';
    if (config instanceof Error) return { id, severity: 'info', message: 'skipped: config is invalid' };
    const problems: string[] = [];
    for (const spec of resolveAgents(config).values()) {
      if (resolveCommand(spec.command, env['PATH']) === undefined)
        problems.push(`${spec.name}: command ${spec.command} not found on PATH`);
      problems.push(...spec.warnings.map((w) => `${spec.name}: ${w}`));
    }
    if (problems.length > 0) {
      return {
        id,
        severity: 'warn',
        message: problems.join('; '),
        fix: 'install the agent CLI (see docs/configuration.md, [agents]) or fix its command',
      };
    }
    return { id, severity: 'ok', message: 'every configured agent command is on PATH' };
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
