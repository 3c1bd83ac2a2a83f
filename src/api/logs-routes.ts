/**
 * /api/logs: the daemon log's newest lines, filtered by level, component and group, as JSON or as
 * a live SSE stream that resumes after Last-Event-ID. The feed is ops' LogTap, handed in by the
 * composition root. The CLI reads the file itself (`agentforge logs [-f]`), daemon up or down.
 */
import type { Context, Hono } from 'hono';
import * as z from 'zod';
import { parseQuery, requestSchema } from './body.js';
import { pumpSSE } from './sse.js';

export type FeedLine = {
  readonly seq: number;
  readonly level: number;
  readonly component: string | null;
  readonly group: string | null;
};
/** What the routes consume (ops/log-tap.ts provides it). */
export type LogFeed<L extends FeedLine = FeedLine> = {
  read(after: number, limit: number): L[];
  watch(fn: (line: L) => void): () => void;
};

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

const query = requestSchema(() =>
  z.strictObject({
    level: z.enum(Object.keys(LEVELS) as [keyof typeof LEVELS]).default('trace'),
    component: z.string().min(1).max(64).optional(),
    group: z.string().min(1).max(64).optional(),
    after: z.coerce.number().int().min(0).default(0),
    limit: z.coerce.number().int().min(1).max(2000).default(500),
    follow: z.enum(['0', '1']).default('0'),
  }),
);
type Query = z.infer<ReturnType<typeof query>>;

const matches = (q: Query) => (l: FeedLine) =>
  l.level >= LEVELS[q.level] &&
  (q.component === undefined || l.component === q.component) &&
  (q.group === undefined || l.group === q.group);

export function logRoutes(api: Hono, feed: LogFeed): void {
  api.get('/logs', (c) => {
    const q = parseQuery(c, query());
    const resumeAt = Number(c.req.header('last-event-id') ?? q.after);
    const after = Number.isSafeInteger(resumeAt) && resumeAt >= 0 ? resumeAt : q.after;
    const keep = matches(q);
    if (q.follow === '1' || (c.req.header('accept') ?? '').includes('text/event-stream'))
      return streamLines(c, feed, after, keep);
    // The newest `limit` matching lines, oldest first.
    const all = feed.read(after, Number.MAX_SAFE_INTEGER).filter(keep);
    return c.json({ lines: all.slice(-q.limit) });
  });
}

function streamLines(c: Context, feed: LogFeed, after: number, keep: (l: FeedLine) => boolean): Response {
  return pumpSSE<FeedLine>(c, after, {
    watch: (push) => feed.watch((l) => push([l])),
    backlog: (last) => [feed.read(last(), Number.MAX_SAFE_INTEGER).slice(-500)],
    message: (l) => (keep(l) ? { id: String(l.seq), event: 'log', data: JSON.stringify(l) } : undefined),
  });
}
