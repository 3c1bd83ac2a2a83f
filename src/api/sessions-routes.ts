/**
 * /api/agents and /api/sessions: the same operations the CLI offers, plus an SSE event stream that
 * replays from Last-Event-ID without gaps or duplicates.
 */
import type { SessionDetail, SessionEventInfo, SessionListItem } from '../contract.js';
import { permissionInfo, sessionInfo } from './dto.js';
import type { Context, Hono } from 'hono';
import * as z from 'zod';
import { SessionError, SessionRequestError } from '../sessions/errors.js';
import { EventLogBusyError, type EventLog, type SessionEvent } from '../sessions/event-log.js';
import type { Supervisor } from '../sessions/supervisor.js';
import { ApiError } from './errors.js';
import { parseBody, requestSchema } from './body.js';
import { pumpSSE } from './sse.js';

const newSession = requestSchema(() =>
  z.strictObject({
    agent: z.string().min(1).optional(),
    group: z.string().min(1).optional(),
  }),
);
const prompt = requestSchema(() =>
  z.strictObject({
    text: z.string().min(1, 'text must not be empty').max(1_000_000),
    mode: z.enum(['queue', 'interrupt']).default('queue'),
    wait: z.boolean().default(true),
  }),
);
const approve = requestSchema(() =>
  z.strictObject({
    request_id: z.string().min(1).optional(),
    allow: z.boolean().default(true),
    /** Recorded as the event's `decided_by`: which operator tool answered. */
    via: z.enum(['cli', 'api', 'dashboard']).optional(),
  }),
);

const REQUEST_STATUS: Record<SessionRequestError['code'], 400 | 404 | 409 | 429> = {
  session_not_found: 404,
  agent_not_found: 404,
  session_removed: 404,
  no_pending_permission: 409,
  queue_full: 429,
  invalid_request: 400,
};

export function toApiError(err: unknown): never {
  if (err instanceof SessionRequestError) throw new ApiError(REQUEST_STATUS[err.code], err.code, err.message);
  throw err;
}

export function sessionRoutes(api: Hono, sup: Supervisor): void {
  const session = (id: string) => {
    try {
      return sup.get(id);
    } catch (err) {
      return toApiError(err);
    }
  };

  api.post('/sessions', async (c) => {
    const body = await parseBody(c, newSession(), true);
    try {
      const s = sup.create({ agent: body.agent, group: body.group });
      return c.json(sessionInfo(s.row), 201);
    } catch (err) {
      return toApiError(err);
    }
  });

  api.get('/sessions', (c) => {
    const sessions: SessionListItem[] = sup
      .list()
      .map((r) => ({ ...sessionInfo(r), live: r.live, queued: r.queued }));
    return c.json({ sessions });
  });

  api.get('/sessions/:id', (c) => {
    const s = session(c.req.param('id'));
    const detail: SessionDetail = {
      ...sessionInfo(s.row),
      live: s.state,
      queued: s.queued,
      pending_permissions: s.permissions.list().map(permissionInfo),
    };
    return c.json(detail);
  });

  api.post('/sessions/:id/prompt', async (c) => {
    const s = session(c.req.param('id'));
    const body = await parseBody(c, prompt());
    let result;
    try {
      const running = s.prompt(body.text, body.mode);
      if (!body.wait) {
        running.catch(() => undefined); // outcome is in the event log
        return c.json({ queued: true, position: s.queued }, 202);
      }
      result = await running;
    } catch (err) {
      if (err instanceof SessionError) {
        return c.json({ error: { code: 'turn_failed', kind: err.kind, message: err.message } }, 502);
      }
      return toApiError(err);
    }
    return c.json({
      turn: result.turn,
      reply: result.reply,
      stop_reason: result.stopReason,
      duration_ms: result.durationMs,
    });
  });

  api.post('/sessions/:id/cancel', (c) => c.json({ cancelled: session(c.req.param('id')).cancel() }));
  api.post('/sessions/:id/stop', async (c) => {
    const id = c.req.param('id');
    session(id);
    await sup.stop(id);
    return c.json(sessionInfo(sup.get(id).row));
  });
  api.post('/sessions/:id/resume', async (c) => {
    const id = c.req.param('id');
    session(id);
    try {
      const live = await sup.resume(id);
      return c.json({ ...sessionInfo(sup.get(id).row), resumed: live.resumed });
    } catch (err) {
      if (err instanceof SessionError)
        return c.json({ error: { code: 'resume_failed', kind: err.kind, message: err.message } }, 502);
      throw err;
    }
  });
  api.delete('/sessions/:id', async (c) => {
    const id = c.req.param('id');
    session(id);
    await sup.remove(id);
    return c.json({ removed: id });
  });

  api.post('/sessions/:id/approve', async (c) => {
    const s = session(c.req.param('id'));
    const body = await parseBody(c, approve(), true);
    // The control plane is the operator's (it takes the API token); the CLI says it is the CLI.
    const answered = s.permissions.answer(body.request_id, body.allow, body.via ?? 'api');
    if (answered === undefined)
      throw new ApiError(
        409,
        'no_pending_permission',
        `session ${s.id} has no pending permission request${body.request_id ? ` ${body.request_id}` : ''}`,
      );
    return c.json({ request: answered, allow: body.allow });
  });

  api.get('/sessions/:id/events', (c) => {
    const s = session(c.req.param('id'));
    const after = Number(c.req.header('last-event-id') ?? c.req.query('after') ?? '0');
    if (!Number.isSafeInteger(after) || after < 0)
      throw new ApiError(400, 'invalid_request', 'after / Last-Event-ID must be a non-negative integer');
    const wantsStream =
      c.req.query('follow') === '1' || (c.req.header('accept') ?? '').includes('text/event-stream');
    if (wantsStream) {
      // Fail before the stream starts when the file is locked: a 503 the client can retry.
      unlessBusy(() => s.events.read(after, 1));
      return streamEvents(c, s.events, after);
    }
    // SQLite refuses NaN or 1.5 as a LIMIT: a bad value is the caller's 400, not our 500.
    const limit = Number(c.req.query('limit') || 1000);
    if (!Number.isSafeInteger(limit) || limit < 0)
      throw new ApiError(400, 'invalid_request', 'limit must be a non-negative whole number');
    const events: SessionEventInfo[] = unlessBusy(() => s.events.read(after, limit));
    return c.json({ events });
  });
}

/** A session's events.db locked by another process is a 503 the caller can retry, not a 500. */
function unlessBusy<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof EventLogBusyError) throw new ApiError(503, 'events_busy', err.message);
    throw err;
  }
}

function streamEvents(c: Context, log: EventLog, after: number): Response {
  return pumpSSE<SessionEvent>(c, after, {
    watch: (push) => log.watch(push),
    backlog: function* (last) {
      for (let rows = log.read(last(), 500); rows.length > 0; rows = log.read(last(), 500)) yield rows;
    },
    message: (e) => ({ id: String(e.seq), event: e.kind, data: JSON.stringify(e) }),
  });
}
