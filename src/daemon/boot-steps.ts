/** Boot steps of the composition root that stand on their own: metrics, readiness, crash handling. */
import type { Listeners } from '../api/serve.js';
import type { Config } from '../config/load.js';
import { removeState, writeState } from '../instance/state-file.js';
import { lastBackupAt } from '../ops/backup.js';
import type { Logger } from '../ops/log.js';
import type { Metrics } from '../ops/metrics.js';
import { createNotifier, type Notifier } from '../ops/sd-notify.js';
import type { Supervisor } from '../sessions/supervisor.js';
import { sql, type Db } from '../store/db.js';
import { BUILD } from '../version.js';
import type { Budgets } from './budgets.js';
import type { Chat } from './chat.js';
import { sizeOf } from './status.js';

export type Cleanup = Array<() => void | Promise<void>>;

/** prom-client is loaded only when metrics are on; counters follow the supervisor's events. */
export async function startMetrics(
  paths: Config['paths'],
  supervisor: Supervisor,
  chat: Chat,
  budgets: Budgets,
): Promise<Metrics> {
  const metrics = (await import('../ops/metrics.js')).createMetrics({
    queueDepth: () => supervisor.queueDepth() + chat.queueDepth(),
    liveAgents: () => supervisor.slots.live,
    deliveries: () => chat.deliveryStats(),
    pollErrors: () => chat.receiveErrors(),
    dbBytes: () => ({ main: sizeOf(paths.db), wal: sizeOf(`${paths.db}-wal`) }),
    lastBackupAt: () => lastBackupAt(paths.backups),
    email: () => chat.emailMetrics(),
    budgetsPaused: () => budgets.book.paused().length,
  });
  budgets.onRecorded((u) => metrics.usageRecorded(u));
  supervisor.on('turn-ended', (e) => metrics.turnFinished(e.outcome, e.durationMs));
  supervisor.on('events-committed', (e) => metrics.eventsIngested(e.count));
  return metrics;
}

/**
 * Written once everything armed at boot, maintenance timers included, is in place: a waiting
 * `daemon start` (and a test) reads this file as "ready". Then systemd is told READY=1.
 */
export async function announceReady(
  paths: Config['paths'],
  startedAt: number,
  listeners: Listeners,
  log: Logger,
  cleanup: Cleanup,
): Promise<Notifier> {
  writeState(paths.state, {
    pid: process.pid,
    version: BUILD.version,
    git_sha: BUILD.gitSha,
    started_at: new Date(startedAt).toISOString(),
    socket: paths.socket,
    http_port: listeners.tcp?.port ?? null,
  });
  cleanup.unshift(() => removeState(paths.state));
  log.info({ socket: paths.socket, http: listeners.tcp, bootMs: Date.now() - startedAt }, 'daemon ready');
  const notifier = createNotifier(process.env);
  await notifier.send('READY=1', `MAINPID=${process.pid}`, 'STATUS=ready');
  return notifier;
}

/**
 * A stray rejection is logged and the daemon keeps serving. An uncaught exception leaves state we
 * cannot trust: log it and exit non-zero so the service manager restarts us (Restart=on-failure).
 */
export function installCrashHandlers(log: Logger): void {
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled promise rejection'));
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception; exiting for the service manager to restart');
    process.exit(1);
  });
}

export function storeAnswers(db: Db): boolean {
  try {
    sql(db, 'SELECT 1').get();
    return true;
  } catch {
    return false;
  }
}
