/**
 * Dashboard login without pasting the API token: `agentforge dashboard` asks (with the token) for a
 * one-time link; opening it trades the short-lived code for an HttpOnly, SameSite=Strict session
 * cookie. Cookie-authenticated requests that change something must carry the session's CSRF token
 * and come from our own origin. Sessions live in memory: a restart logs every browser out.
 * Does not serve pages (dashboard-static.ts) and never replaces the bearer token for the CLI.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { ApiError } from './errors.js';
import { loginPage } from './dashboard-pages.js';

export const SESSION_COOKIE = 'af_session';
export const CSRF_HEADER = 'x-csrf-token';
/** Live login codes kept at once; a newer one pushes out the oldest. */
export const MAX_LOGIN_CODES = 16;
/** Browser sessions kept at once; a newer login ends the oldest. */
export const MAX_DASHBOARD_SESSIONS = 32;

export type DashboardSession = { readonly id: string; readonly csrf: string; readonly expiresAt: number };

export type DashboardLoginsOptions = {
  readonly linkTtlMs: number;
  readonly sessionTtlMs: number;
  readonly now?: () => number;
};

const token = (): string => randomBytes(32).toString('base64url');

/** Login codes and browser sessions: bounded maps, expired entries dropped as they are met. */
export class DashboardLogins {
  readonly #codes = new Map<string, number>();
  readonly #sessions = new Map<string, DashboardSession>();
  readonly #now: () => number;

  constructor(private readonly opts: DashboardLoginsOptions) {
    this.#now = opts.now ?? Date.now;
  }

  issue(): { code: string; expiresAt: number } {
    this.#prune();
    const code = token();
    const expiresAt = this.#now() + this.opts.linkTtlMs;
    this.#codes.set(code, expiresAt);
    while (this.#codes.size > MAX_LOGIN_CODES) this.#codes.delete(this.#codes.keys().next().value!);
    return { code, expiresAt };
  }

  /** Spends a code (once, even when it turns out expired) for a new session. */
  exchange(code: string): DashboardSession | undefined {
    const expiresAt = this.#codes.get(code);
    this.#codes.delete(code);
    if (expiresAt === undefined || expiresAt <= this.#now()) return undefined;
    this.#prune();
    const s = { id: token(), csrf: token(), expiresAt: this.#now() + this.opts.sessionTtlMs };
    this.#sessions.set(s.id, s);
    while (this.#sessions.size > MAX_DASHBOARD_SESSIONS)
      this.#sessions.delete(this.#sessions.keys().next().value!);
    return s;
  }

  get(id: string | undefined): DashboardSession | undefined {
    if (id === undefined) return undefined;
    const s = this.#sessions.get(id);
    if (s === undefined) return undefined;
    if (s.expiresAt <= this.#now()) {
      this.#sessions.delete(id);
      return undefined;
    }
    return s;
  }

  end(id: string): void {
    this.#sessions.delete(id);
  }

  get sessionTtlMs(): number {
    return this.opts.sessionTtlMs;
  }

  #prune(): void {
    const now = this.#now();
    for (const [code, at] of this.#codes) if (at <= now) this.#codes.delete(code);
    for (const [id, s] of this.#sessions) if (s.expiresAt <= now) this.#sessions.delete(id);
  }
}

export function sessionOf(c: Context, logins: DashboardLogins): DashboardSession | undefined {
  return logins.get(getCookie(c, SESSION_COOKIE));
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Refuses a cookie-authenticated change that is not provably the page's own: another origin
 * (a page on another port of 127.0.0.1 is same-site, so SameSite alone does not stop it), or no
 * matching CSRF token.
 */
export function checkMutation(c: Context, s: DashboardSession): void {
  if (SAFE_METHODS.has(c.req.method)) return;
  const origin = c.req.header('origin');
  const host = c.req.header('host') ?? '';
  const fetchSite = c.req.header('sec-fetch-site');
  if (
    (origin !== undefined && origin !== `http://${host}`) ||
    (fetchSite !== undefined && fetchSite !== 'same-origin')
  )
    throw new ApiError(403, 'cross_site', 'cross-site request refused; use the dashboard page itself');
  const sent = c.req.header(CSRF_HEADER);
  if (sent === undefined || !sameToken(sent, s.csrf))
    throw new ApiError(403, 'csrf_failed', 'missing or wrong CSRF token; reload the dashboard page');
}

/**
 * /api/* accepts the bearer token (CLI, scripts) or a dashboard session cookie (the page). A
 * request that sends an Authorization header is judged by it alone.
 */
export function apiAuth(bearer: MiddlewareHandler, logins: DashboardLogins): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.header('authorization') === undefined) {
      const s = sessionOf(c, logins);
      if (s !== undefined) {
        checkMutation(c, s);
        await next();
        return;
      }
    }
    return bearer(c, next);
  };
}

/** GET /login (public): the link's code becomes a session cookie, or the page says what to do. */
export function loginRoutes(app: Hono, logins: DashboardLogins): void {
  app.get('/login', (c) => {
    const code = c.req.query('code');
    if (code === undefined) {
      if (sessionOf(c, logins) !== undefined) return c.redirect('/', 303);
      return c.html(loginPage('signed-out'), 200);
    }
    const s = logins.exchange(code);
    if (s === undefined) return c.html(loginPage('bad-link'), 401);
    setCookie(c, SESSION_COOKIE, s.id, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      maxAge: Math.floor(logins.sessionTtlMs / 1000),
    });
    // The code is spent; the address bar and history keep only "/".
    return c.redirect('/', 303);
  });
}

/**
 * POST /api/dashboard/links (`agentforge dashboard`; token only) and POST /api/dashboard/logout.
 * `baseUrl` is null when there is no dashboard to log in to (TCP off, or [dashboard] disabled).
 */
export function dashboardApiRoutes(
  api: Hono,
  deps: { logins: DashboardLogins; baseUrl: () => string | null },
): void {
  const { logins } = deps;
  api.post('/dashboard/links', (c) => {
    // Only the token's holder mints links: a browser session must not prolong itself this way.
    if (c.req.header('authorization') === undefined)
      throw new ApiError(
        403,
        'token_required',
        'login links are made with the API token: agentforge dashboard',
      );
    const base = deps.baseUrl();
    if (base === null)
      throw new ApiError(
        409,
        'dashboard_off',
        'the dashboard is off: it needs [dashboard] enabled = true and the TCP listener ([http] port not 0); change config.toml and restart',
      );
    const { code, expiresAt } = logins.issue();
    return c.json({ url: `${base}/login?code=${code}`, expires_at: new Date(expiresAt).toISOString() }, 201);
  });

  api.post('/dashboard/logout', (c) => {
    const s = sessionOf(c, logins);
    if (s !== undefined) logins.end(s.id);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.json({ logged_out: s !== undefined });
  });
}
