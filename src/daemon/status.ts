/** Assembles `agentforge status` from the running parts; each later component adds its slice. */
import { statSync, statfsSync } from 'node:fs';
import type { Config } from '../config/load.js';
import type { ChannelStatus, ReadinessReport, Status } from '../contract.js';
import type { DaemonRun } from '../store/daemon-runs.js';
import { BUILD } from '../version.js';

export type StatusSources = {
  readonly config: Config;
  readonly startedAt: number;
  readonly httpPort: number | null;
  readonly previousRun: DaemonRun | undefined;
  readonly readiness: () => ReadinessReport;
  readonly sessions?: () => Status['sessions'];
  readonly queueDepth?: () => number;
  readonly channels?: () => ChannelStatus[];
  readonly scheduler?: () => Status['scheduler'];
  readonly lastBackup?: () => number | null;
  readonly deliveries?: () => Status['deliveries'];
  readonly sandbox?: () => Status['sandbox'];
  readonly budgets?: () => Status['budgets'];
};

export function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export function buildStatus(src: StatusSources, now = Date.now()): Status {
  const { paths } = src.config;
  const fs = statfsSync(paths.home);
  const backupAt = src.lastBackup?.() ?? null;
  return {
    running: true,
    pid: process.pid,
    started_at: new Date(src.startedAt).toISOString(),
    uptime_s: Math.round((now - src.startedAt) / 1000),
    version: BUILD.version,
    git_sha: BUILD.gitSha,
    node: process.versions.node,
    home: paths.home,
    http: { host: src.config.http.host, port: src.httpPort },
    ready: src.readiness(),
    last_shutdown:
      src.previousRun === undefined ? 'first-run' : src.previousRun.clean_stop ? 'clean' : 'unclean',
    sessions: src.sessions?.() ?? { active: 0, idle: 0, live_agents: 0 },
    queue: { depth: src.queueDepth?.() ?? 0 },
    channels: src.channels?.() ?? [],
    deliveries: src.deliveries?.() ?? { pending: 0, failed: 0, sent: 0 },
    scheduler: src.scheduler?.() ?? { tasks: 0, next_due_at: null, recent_failures: [] },
    db: { path: paths.db, size_bytes: sizeOf(paths.db), wal_bytes: sizeOf(`${paths.db}-wal`) },
    disk: { path: paths.home, free_bytes: fs.bavail * fs.bsize, total_bytes: fs.blocks * fs.bsize },
    last_backup:
      backupAt === null
        ? null
        : { at: new Date(backupAt).toISOString(), age_s: Math.round((now - backupAt) / 1000) },
    sandbox: src.sandbox?.() ?? [],
    budgets: src.budgets?.() ?? {
      currency: src.config.budgets.currency,
      timezone: src.config.scheduler.timezone ?? 'UTC',
      today: { day: '', costs: {}, tokens: 0 },
      month: { month: '', costs: {}, tokens: 0 },
      limits: [],
    },
  };
}
