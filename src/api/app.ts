/**
 * The control plane: one Hono app, served on both the Unix socket and loopback TCP (serve.ts).
 * Routes are thin: each asks a dependency and returns JSON. Tested with app.request(), no port.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from 'pino';
import type { DoctorReport, ReadinessReport, Status } from '../contract.js';
import { ApiError } from './errors.js';
import { hostCheck, requireToken } from './guards.js';

/**
 * The largest request body the API reads (docs/operations.md). Every body is a small JSON document
 * (a prompt, a task, a message to send); without a limit a 300 MB upload was held in memory whole.
 */
export const MAX_API_BODY_BYTES = 1024 * 1024;

export type ApiDeps = {
  readonly token: string;
  readonly allowedHostnames: ReadonlySet<string>;
  readonly status: () => Status;
  readonly readiness: () => ReadinessReport;
  readonly doctor: (only?: string) => Promise<DoctorReport>;
  readonly log: Logger;
  /** Later issues mount their routes here (sessions, groups, tasks …). */
  readonly extend?: (api: Hono) => void;
  /** Routes outside /api (the dashboard's pages), mounted before the 404 handler. */
  readonly extendRoot?: (app: Hono) => void;
  /** Who may call /api/*; the bearer token alone unless given (the dashboard adds its cookie). */
  readonly auth?: (bearer: MiddlewareHandler) => MiddlewareHandler;
  /** Prometheus text, when [metrics] enabled. */
  readonly metrics?: { readonly contentType: string; readonly render: () => Promise<string> };
};

export function createApi(deps: ApiDeps): Hono {
  const app = new Hono();
  app.use('*', hostCheck(deps.allowedHostnames));
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', (c) => {
    const report = deps.readiness();
    return c.json(report, report.ready ? 200 : 503);
  });

  app.get('/metrics', requireToken(deps.token), async (c) => {
    if (deps.metrics === undefined) {
      return c.json(
        {
          error: {
            code: 'metrics_disabled',
            message: 'metrics are off; set [metrics] enabled = true and restart',
          },
        },
        404,
      );
    }
    return c.body(await deps.metrics.render(), 200, { 'content-type': deps.metrics.contentType });
  });

  const api = new Hono();
  // After the token: a stranger's body is never read at all, not even the first megabyte.
  const bearer = requireToken(deps.token);
  api.use('*', deps.auth?.(bearer) ?? bearer);
  api.use(
    '*',
    bodyLimit({
      maxSize: MAX_API_BODY_BYTES,
      onError: (c) =>
        c.json(
          {
            error: {
              code: 'body_too_large',
              message: `request body is larger than ${MAX_API_BODY_BYTES} bytes (1 MiB)`,
            },
          },
          413,
          // The rest of an oversized upload is not worth reading: end the connection after the answer.
          { connection: 'close' },
        ),
    }),
  );
  api.get('/status', (c) => c.json(deps.status()));
  api.get('/doctor', async (c) => c.json(await deps.doctor(c.req.query('only'))));
  deps.extend?.(api);
  app.route('/api', api);
  deps.extendRoot?.(app);

  app.notFound((c) =>
    c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404),
  );
  app.onError((err, c) => {
    if (err instanceof ApiError)
      return c.json({ error: { code: err.code, message: err.message } }, err.status);
    if ('getResponse' in err && typeof err.getResponse === 'function') return err.getResponse();
    deps.log.error({ err, path: c.req.path }, 'unhandled api error');
    return c.json({ error: { code: 'internal', message: 'internal error; see the daemon log' } }, 500);
  });
  return app;
}
