/** Builds the control-plane app from the running parts: status, doctor and every route. */
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import { agentRoutes } from '../api/agents-routes.js';
import { createApi } from '../api/app.js';
import { groupRoutes } from '../api/groups-routes.js';
import { allowedHostnames } from '../api/guards.js';
import { sessionRoutes } from '../api/sessions-routes.js';
import { taskRoutes } from '../api/tasks-routes.js';
import { usageRoutes } from '../api/usage-routes.js';
import { periodKeys } from '../usage/periods.js';
import type { Budgets } from './budgets.js';
import { dashboardParts } from './dashboard.js';
import type { LogTap } from '../ops/log-tap.js';
import { ConfigError } from '../config/errors.js';
import { readApiToken } from '../config/home.js';
import { loadConfig, type Config } from '../config/load.js';
import { lastBackupAt } from '../ops/backup.js';
import { runDoctor } from '../ops/doctor/run.js';
import type { Readiness } from '../ops/health.js';
import type { Metrics } from '../ops/metrics.js';
import type { AgentSpec } from '../sessions/agents.js';
import type { TaskService } from '../scheduler/tasks.js';
import type { Supervisor } from '../sessions/supervisor.js';
import type { DaemonRun } from '../store/daemon-runs.js';
import type { Stores } from '../store/store.js';
import type { Automation } from './automation.js';
import type { Chat } from './chat.js';
import { buildStatus } from './status.js';

export type AppParts = {
  readonly home: string;
  readonly config: Config;
  readonly startedAt: number;
  readonly previousRun: DaemonRun | undefined;
  readonly httpPort: number | null;
  readonly readiness: Readiness;
  readonly stores: Stores;
  readonly supervisor: Supervisor;
  readonly agents: ReadonlyMap<string, AgentSpec>;
  readonly chat: Chat;
  readonly automation: Automation;
  readonly tasks: TaskService;
  readonly folderInUse: (folder: string) => boolean;
  readonly metrics: Metrics | undefined;
  readonly budgets: Budgets;
  /** The scheduler's zone, resolved on first use (see main.ts). */
  readonly timezone: () => string;
  readonly log: Logger;
  readonly logTap: LogTap;
};

/** The file on disk, not the boot-time copy: an operator editing config.toml wants to know now. */
function reloadConfig(home: string): Config | ConfigError {
  try {
    return loadConfig(home);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
}

/** Every route of the control plane is mounted here. */
export function buildApp(p: AppParts): Hono {
  const { config, supervisor, chat, automation, metrics, stores } = p;
  const { paths } = config;
  const dashboard = dashboardParts(p);
  return createApi({
    token: readApiToken(paths.token),
    allowedHostnames: allowedHostnames(config.http.host, config.http.allowed_hosts),
    status: () =>
      buildStatus({
        config,
        startedAt: p.startedAt,
        httpPort: p.httpPort,
        previousRun: p.previousRun,
        readiness: () => p.readiness.report(),
        sessions: () => supervisor.counts(),
        queueDepth: () => supervisor.queueDepth() + chat.queueDepth(),
        channels: () => chat.channelStatus(),
        scheduler: () => automation.status(),
        lastBackup: () => lastBackupAt(paths.backups),
        deliveries: () => stores.outbox.stats(),
        sandbox: () => supervisor.sandboxes(),
        budgets: () => p.budgets.book.status(),
      }),
    readiness: () => p.readiness.report(),
    doctor: (only) =>
      runDoctor(
        {
          paths,
          config: reloadConfig(p.home),
          inDaemon: true,
          uid: process.getuid?.(),
          env: process.env,
          channels: () => [...chat.channels.values()].map((ch) => ({ ...ch.status(), ...ch.health() })),
        },
        undefined,
        only,
      ),
    log: p.log,
    ...(metrics === undefined
      ? {}
      : { metrics: { contentType: metrics.registry.contentType, render: () => metrics.registry.metrics() } }),
    auth: dashboard.auth,
    extendRoot: dashboard.pages,
    extend: (api) => {
      dashboard.routes(api);
      sessionRoutes(api, supervisor);
      agentRoutes(api, p.agents, process.env, p.config.paths.agents);
      groupRoutes(api, {
        groups: stores.groups,
        pairing: stores.pairing,
        outbox: stores.outbox,
        agentExists: (name) => p.agents.has(name),
        folderInUse: p.folderInUse,
      });
      taskRoutes(api, {
        tasks: p.tasks,
        repo: stores.tasks,
        scheduler: automation.scheduler,
        groupExists: (f) => f === 'cli' || stores.groups.get(f) !== undefined,
      });
      usageRoutes(api, {
        report: (f) =>
          stores.usage.summary(f).map((r) => ({
            day: r.day,
            agent: r.agent,
            group: r.group_folder,
            task: r.task_id,
            turns: r.turns,
            input_tokens: r.input_tokens,
            output_tokens: r.output_tokens,
            total_tokens: r.total_tokens,
            cost: r.cost,
            currency: r.currency,
            estimated: r.estimated,
          })),
        dayOf: (at) => periodKeys(at, p.timezone()).day,
        timezone: p.timezone,
        continueHeld: (scope, name) => {
          const done = p.budgets.book.operatorContinue(scope, name, 'operator');
          if (done.length > 0) chat.kickQueue();
          return done;
        },
      });
    },
  });
}
