/**
 * /api/usage: what the agents spent per day, agent, group and task (`agentforge usage`), and the
 * operator's word on a group or agent a soft budget paused (`agentforge usage continue`).
 */
import type { Hono } from 'hono';
import * as z from 'zod';
import { parseDuration } from '../config/duration.js';
import type { UsageReport } from '../contract.js';
import { ApiError } from './errors.js';
import { parseBody } from './body.js';

export type UsageRouteDeps = {
  /** The report since the local day `sinceDay` (YYYY-MM-DD), filtered. */
  readonly report: (f: { group?: string; agent?: string; sinceDay?: string }) => UsageReport['rows'];
  /** The local day (scheduler time zone) of a moment. */
  readonly dayOf: (at: number) => string;
  readonly timezone: () => string;
  /** Continues every paused soft budget of the group or agent; the descriptions of what changed. */
  readonly continueHeld: (scope: 'group' | 'agent', name: string) => string[];
};

const continueBody = z
  .strictObject({ group: z.string().min(1).optional(), agent: z.string().min(1).optional() })
  .refine((b) => (b.group === undefined) !== (b.agent === undefined), {
    message: 'name exactly one of group or agent',
  });

export function usageRoutes(api: Hono, deps: UsageRouteDeps): void {
  api.get('/usage', (c) => {
    const since = c.req.query('since');
    let sinceDay: string | undefined;
    if (since !== undefined && since !== '') {
      const ms = parseDuration(since);
      if (ms === undefined)
        throw new ApiError(
          400,
          'invalid_request',
          `since: expected a duration like "7d" or "12h", got "${since}"`,
        );
      sinceDay = deps.dayOf(Date.now() - ms);
    }
    const group = c.req.query('group') || undefined;
    const agent = c.req.query('agent') || undefined;
    const body: UsageReport = {
      since: sinceDay ?? null,
      timezone: deps.timezone(),
      rows: deps.report({ group, agent, sinceDay }),
    };
    return c.json(body);
  });
  api.post('/usage/continue', async (c) => {
    const b = await parseBody(c, continueBody);
    const scope = b.group !== undefined ? 'group' : 'agent';
    const name = b.group ?? b.agent ?? '';
    const changed = deps.continueHeld(scope, name);
    if (changed.length === 0)
      throw new ApiError(
        409,
        'not_paused',
        `no soft budget holds the ${scope} ${name} now; see: agentforge status`,
      );
    return c.json({ continued: changed });
  });
}
