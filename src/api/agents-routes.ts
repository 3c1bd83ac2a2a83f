/** /api/agents: what is configured, and a live handshake test. */
import type { Hono } from 'hono';
import { describeAgent, testAgent } from '../sessions/agent-test.js';
import type { AgentSpec } from '../sessions/agents.js';
import { ApiError } from './errors.js';

export function agentRoutes(
  api: Hono,
  agents: ReadonlyMap<string, AgentSpec>,
  env: NodeJS.ProcessEnv,
  agentsDir: string,
): void {
  api.get('/agents', (c) => c.json({ agents: [...agents.values()].map((a) => describeAgent(a, env)) }));
  api.post('/agents/:name/test', async (c) => {
    const spec = agents.get(c.req.param('name'));
    if (spec === undefined)
      throw new ApiError(
        404,
        'agent_not_found',
        `no agent named ${c.req.param('name')}; see: agentforge agent list`,
      );
    return c.json(await testAgent(spec, env, agentsDir));
  });
}
