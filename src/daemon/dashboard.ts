/**
 * Wires the web dashboard into the control plane: login links and cookie sessions, the page and
 * its assets from dist/web, and the routes only the dashboard needed first (deliveries, logs,
 * backups). Each of those routes is an ordinary /api call the CLI can make too.
 */
import type { Hono, MiddlewareHandler } from 'hono';
import { backupRoutes } from '../api/backups-routes.js';
import { apiAuth, dashboardApiRoutes, DashboardLogins, loginRoutes } from '../api/dashboard-auth.js';
import { dashboardStatic, loadAssets } from '../api/dashboard-static.js';
import { deliveryRoutes } from '../api/deliveries-routes.js';
import { logRoutes } from '../api/logs-routes.js';
import { createBackup, listBackups, pruneBackups } from '../ops/backup.js';
import { verifyBackup } from '../ops/restore.js';
import { WEB_DIR } from '../install-paths.js';
import { BUILD } from '../version.js';
import type { AppParts } from './app.js';

/** The address a browser on this machine opens; null when there is no dashboard to open. */
export function dashboardBaseUrl(host: string, port: number | null, enabled: boolean): string | null {
  if (!enabled || port === null) return null;
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}`;
}

export function dashboardParts(p: AppParts): {
  auth: (bearer: MiddlewareHandler) => MiddlewareHandler;
  pages: (app: Hono) => void;
  routes: (api: Hono) => void;
} {
  const { config } = p;
  const { paths } = config;
  const logins = new DashboardLogins({
    linkTtlMs: config.dashboard.link_ttl,
    sessionTtlMs: config.dashboard.session_ttl,
  });
  return {
    auth: (bearer) => apiAuth(bearer, logins),
    pages: (app) => {
      if (!config.dashboard.enabled) return;
      let assets: ReturnType<typeof loadAssets> | undefined;
      // First: it installs the security headers (CSP …) that the login page needs as well.
      dashboardStatic(app, {
        logins,
        dir: WEB_DIR,
        assets: () => (assets ??= loadAssets(WEB_DIR)),
        version: BUILD.gitSha,
      });
      loginRoutes(app, logins);
    },
    routes: (api) => {
      dashboardApiRoutes(api, {
        logins,
        baseUrl: () => dashboardBaseUrl(config.http.host, p.httpPort, config.dashboard.enabled),
      });
      deliveryRoutes(api, p.stores.outbox);
      logRoutes(api, p.logTap);
      backupRoutes(api, {
        list: () => listBackups(paths.backups),
        create: async () => {
          const backup = await createBackup(paths);
          return { backup, pruned: pruneBackups(paths.backups, config.backup.keep) };
        },
        verify: async (name) => {
          const found = listBackups(paths.backups).find((b) => b.name === name);
          return found === undefined ? undefined : verifyBackup(found.dir);
        },
      });
    },
  };
}
