/**
 * /api/outbox: deliveries that need the operator's eye (failed for good, or pending after a failed
 * attempt or waiting out pacing) and the retry. CLI: `agentforge outbox list|retry`.
 */
import type { Hono } from 'hono';
import * as z from 'zod';
import { parseQuery, requestSchema } from './body.js';
import type { OutboxRepo } from '../store/outbox-repo.js';
import { outboxInfo } from './dto.js';
import { ApiError } from './errors.js';

const listQuery = requestSchema(() =>
  z.strictObject({
    status: z.enum(['failed', 'pending']).default('failed'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  }),
);

export function deliveryRoutes(api: Hono, outbox: OutboxRepo): void {
  api.get('/outbox', (c) => {
    const q = parseQuery(c, listQuery());
    return c.json({
      status: q.status,
      rows: outbox.listAttention(q.status, Date.now(), q.limit).map(outboxInfo),
    });
  });

  api.post('/outbox/:id/retry', (c) => {
    const id = Number(c.req.param('id'));
    if (!Number.isSafeInteger(id) || id < 1)
      throw new ApiError(400, 'invalid_request', 'an outbox id is a positive whole number');
    const row = outbox.requeue(id, Date.now());
    if (row === undefined)
      throw new ApiError(404, 'not_found', `no outbox entry ${id}; see: agentforge outbox list`);
    if (row === false) throw new ApiError(409, 'already_sent', `outbox entry ${id} was delivered already`);
    return c.json(outboxInfo(row));
  });
}
