/**
 * Serves the dashboard at `/`: the app shell and the bundle that `npm run build` wrote to
 * dist/web (read once at start, gzipped once). Only a logged-in browser gets the page and its
 * script; without a session `/` redirects to /login and assets answer 401. The stylesheet and
 * icon are public: the login page uses them and they show no data. Strict CSP on every answer.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Context, Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { sessionOf, type DashboardLogins } from './dashboard-auth.js';
import { appShell, notBuiltPage } from './dashboard-pages.js';

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};
/** Shown to anyone: the login page needs them, and they carry no data. */
const PUBLIC_ASSETS = new Set(['app.css', 'icon.svg']);

type Asset = { readonly body: Buffer; readonly gzip: Buffer; readonly type: string; readonly etag: string };

/** The files of dist/web by name; empty when the dashboard was not built. */
export function loadAssets(dir: string): ReadonlyMap<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(dir)) return assets;
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type === undefined) continue;
    const body = readFileSync(join(dir, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`;
    assets.set(name, { body, gzip: gzipSync(body, { level: 9 }), type, etag });
  }
  return assets;
}

/** The Content-Security-Policy of every dashboard answer: our own files and our own API only. */
export const DASHBOARD_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  connectSrc: ["'self'"],
  manifestSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

export function dashboardStatic(
  app: Hono,
  deps: {
    logins: DashboardLogins;
    dir: string;
    /** Read (and compressed) on the first page asked for: a daemon nobody browses never holds them. */
    assets: () => ReadonlyMap<string, Asset>;
    version: string;
  },
): void {
  const headers = secureHeaders({
    contentSecurityPolicy: DASHBOARD_CSP,
    referrerPolicy: 'no-referrer',
    xFrameOptions: 'DENY',
    crossOriginEmbedderPolicy: false,
    strictTransportSecurity: false,
  });
  for (const path of ['/', '/login', '/assets/*']) app.use(path, headers);

  app.get('/', (c) => {
    const s = sessionOf(c, deps.logins);
    if (s === undefined) return c.redirect('/login', 302);
    if (!deps.assets().has('app.js')) return c.html(notBuiltPage(deps.dir), 503);
    c.header('cache-control', 'no-store');
    return c.html(appShell(s.csrf, deps.version));
  });

  app.get('/assets/:name', (c) => {
    const name = c.req.param('name');
    const asset = deps.assets().get(name);
    if (!PUBLIC_ASSETS.has(name) && sessionOf(c, deps.logins) === undefined)
      return c.json(
        { error: { code: 'unauthorized', message: 'log in first: agentforge dashboard prints a link' } },
        401,
      );
    if (asset === undefined)
      return c.json({ error: { code: 'not_found', message: `no dashboard file ${name}` } }, 404);
    return sendAsset(c, asset);
  });
}

function sendAsset(c: Context, a: Asset): Response {
  const base = {
    'content-type': a.type,
    etag: a.etag,
    // Revalidated every time (a cheap 304 on loopback), so a new build is never shadowed by a cache.
    'cache-control': 'private, no-cache',
    vary: 'accept-encoding',
  };
  if (c.req.header('if-none-match') === a.etag) return c.body(null, 304, base);
  const gzip = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
  return c.body(
    new Uint8Array(gzip ? a.gzip : a.body),
    200,
    gzip ? { ...base, 'content-encoding': 'gzip' } : base,
  );
}
