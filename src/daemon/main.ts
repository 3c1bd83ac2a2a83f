/**
 * The composition root: the only module that constructs and wires the others. Boot order (SPEC §5):
 * lock → config → logger → store → recovery → API listeners → channels → scheduler → ready.
 * Shutdown runs the same list backwards.
 */
import { initHome } from '../config/home.js';
import { homedir } from 'node:os';
import { loadConfig, secretFiles } from '../config/load.js';
import { homePaths } from '../config/paths.js';
import { assertSafeHome } from '../ops/home-safety.js';
import { serveApi, type Listeners } from '../api/serve.js';
import { Readiness } from '../ops/health.js';
import { createRootLogger, type Logger, type RootLogger } from '../ops/log.js';
import { resolveAgents } from '../sessions/agents.js';
import { Supervisor } from '../sessions/supervisor.js';
import { createChat, type Chat } from './chat.js';
import type { Metrics } from '../ops/metrics.js';
import { sizeOf } from './status.js';
import { livenessProbes, SCHEDULER_OVERDUE_MS } from './liveness.js';
import { createNotifier, watchdogIntervalMs } from '../ops/sd-notify.js';
import { Watchdog } from '../ops/watchdog.js';
import { createAutomation, systemTimezone, type Automation } from './automation.js';
import { startMaintenance } from './maintenance.js';
import { lastBackupAt } from '../ops/backup.js';
import { sweepRetention } from '../ops/retention.js';
import { createQuarantine, quarantineDir } from '../ops/quarantine.js';
import { DaemonRuns } from '../store/daemon-runs.js';
import { SessionsRepo } from '../store/sessions-repo.js';
import { sql, type Db } from '../store/db.js';
import { openGlobalStore } from '../store/store.js';
import { BUILD } from '../version.js';
import { acquireLock, type Lock } from '../instance/lock.js';
import { installSignalHandlers } from './signals.js';
import { removeState, writeState } from '../instance/state-file.js';
import { buildApp } from './app.js';

export type DaemonOptions = {
  readonly home: string;
  /** Pretty log copy on stdout (foreground on a TTY). */
  readonly prettyToStdout: boolean;
};

/** Extra time past shutdown_timeout for stopping children and closing files before we force it. */
export const SHUTDOWN_SLACK_MS = 5_000;
/** Of shutdown_timeout, this much is kept for cancelling turns and stopping agents after the drain. */
export const TURN_STOP_RESERVE_MS = 3_000;

/** Runs the daemon until a signal stops it. Resolves with the exit code. */
export async function runDaemon(opts: DaemonOptions): Promise<number> {
  // Everything the daemon creates (databases, logs, workspaces) is the operator's alone.
  process.umask(0o077);
  initHome(opts.home);
  // Before the config is read: a config.toml someone else can write names the commands we run.
  assertSafeHome(homePaths(opts.home));
  const lock = acquireLock(loadConfig(opts.home).paths.lock);
  const cleanup: Array<() => void | Promise<void>> = [() => lock.release()];
  const booting: { log?: Logger } = {};
  try {
    return await boot(opts, lock, cleanup, booting);
  } catch (err) {
    booting.log?.fatal({ err }, 'daemon failed to start');
    await runCleanup(cleanup, booting.log);
    throw err;
  }
}

async function boot(
  opts: DaemonOptions,
  lock: Lock,
  cleanup: Array<() => void | Promise<void>>,
  booting: { log?: Logger },
): Promise<number> {
  const startedAt = Date.now();
  // Re-read under the lock: the file may have changed while another instance held it.
  const config = loadConfig(opts.home);
  const { paths } = config;
  const root: RootLogger = await createRootLogger({
    file: paths.logFile,
    level: config.log.level,
    maxSizeMb: config.log.max_size_mb,
    maxBackups: config.log.max_backups,
    maxAgeDays: config.log.max_age_days,
    compress: config.log.compress_backups,
    prettyToStdout: opts.prettyToStdout,
  });
  cleanup.unshift(() => root.close());
  const log = root.log.child({ component: 'daemon' });
  booting.log = log;
  installCrashHandlers(log);
  // Signals are handled from here on: a SIGTERM during boot finishes booting, then shuts down.
  let requestStop!: (signal: NodeJS.Signals) => void;
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => (requestStop = resolve));
  let stopped!: () => void;
  const finished = new Promise<void>((resolve) => (stopped = resolve));
  const removeSignals = installSignalHandlers({
    deadlineMs: config.daemon.shutdown_timeout + SHUTDOWN_SLACK_MS,
    onForce: (why) => {
      log.error({ why }, 'forced exit');
      process.exit(1);
    },
    onShutdown: async (signal) => {
      requestStop(signal);
      await finished;
    },
  });
  cleanup.push(removeSignals);
  log.info({ home: paths.home, staleLock: lock.tookOverStale }, 'daemon starting');

  const { db, applied } = openGlobalStore(paths.db);
  cleanup.unshift(() => {
    db.close();
  });
  if (applied.length > 0) log.info({ applied }, 'database migrated');
  const runs = new DaemonRuns(db);
  const runId = runs.start({
    pid: process.pid,
    version: BUILD.version,
    gitSha: BUILD.gitSha,
    now: startedAt,
  });
  // Runs at shutdown and on a failed boot alike: either way the run ended on purpose, not a crash.
  cleanup.unshift(() => runs.stop(runId, Date.now()));
  const previousRun = runs.previous(runId);
  if (previousRun !== undefined && !previousRun.clean_stop) {
    log.warn({ previousPid: previousRun.pid }, 'previous daemon run did not stop cleanly; recovering');
  }

  const agents = resolveAgents(config);
  const late: { automation?: Automation; chat?: Chat } = {};
  const metrics: Metrics | undefined = config.metrics.enabled
    ? (await import('../ops/metrics.js')).createMetrics({
        queueDepth: () => supervisor.queueDepth() + (late.chat?.queueDepth() ?? 0),
        liveAgents: () => supervisor.slots.live,
        deliveries: () => late.chat?.outbox.stats ?? { sent: 0, retried: 0, failed: 0, rateLimited: 0 },
        pollErrors: () => late.chat?.pollErrors() ?? 0,
        dbBytes: () => ({ main: sizeOf(paths.db), wal: sizeOf(`${paths.db}-wal`) }),
        lastBackupAt: () => lastBackupAt(paths.backups),
        email: () => late.chat?.emailMetrics(),
      })
    : undefined;
  const quarantine = createQuarantine(quarantineDir(paths.logs));
  const sessionsRepo = new SessionsRepo(db);
  const supervisor: Supervisor = new Supervisor({
    repo: sessionsRepo,
    mcpServersFor: (id, caps) => late.automation?.mcpServersFor(id, caps) ?? [],
    onAgentStopped: (id) => late.automation?.tokens.revoke(id),
    onPermissionAsked: (_id, folder, ask) => late.chat?.askInChat(folder, ask),
    onResumeFailed: (_id, folder) => late.chat?.tellResumeFailed(folder),
    onTurnEnd: metrics?.turnFinished,
    onEventsCommitted: metrics?.eventsIngested,
    agents,
    sessionsDir: paths.sessions,
    groupsDir: paths.groups,
    agentsDir: paths.agents,
    quarantine,
    maxConcurrent: config.limits.max_concurrent_agents,
    maxQueue: config.limits.max_queue_per_group,
    askTimeoutMs: config.limits.permission_timeout,
    env: process.env,
    log: root.log.child({ component: 'sessions' }),
    sandboxGuard: {
      home: paths.home,
      userHomes: [homedir(), ...(process.env['HOME'] ? [process.env['HOME']] : [])],
      secretFiles: secretFiles(config),
    },
  });
  // Probed once, in the constructor; an agent that falls back says so here, in status and doctor.
  for (const d of supervisor.sandboxes())
    if (!d.sandboxed && d.mode !== 'none')
      log.warn({ agent: d.agent, mode: d.mode, reason: d.reason }, 'agent will run without a sandbox');
  // Recovery: agents a killed daemon left running are found by recorded pgid + start time.
  const orphans = supervisor.recoverOrphans();
  if (orphans > 0) log.warn({ orphans }, 'killed orphaned agent processes');

  const readiness = new Readiness();
  readiness.register('store', () => ({ ok: db.open && storeAnswers(db), reason: 'store_unavailable' }));
  const chat = await createChat({
    db,
    config,
    supervisor,
    sessions: sessionsRepo,
    log: root.log,
    env: process.env,
    readiness,
    quarantine,
  });
  late.chat = chat;
  const automation = await createAutomation({
    db,
    config,
    supervisor,
    sessions: sessionsRepo,
    chat,
    log: root.log,
  });
  late.automation = automation;
  readiness.register('scheduler', () => {
    const armed = automation.scheduler.armedFor;
    return {
      ok: armed === undefined || Date.now() - armed < SCHEDULER_OVERDUE_MS,
      reason: 'scheduler_stalled',
    };
  });
  cleanup.unshift(() => automation.endpoint.close());

  const bound = { httpPort: null as number | null };
  const app = buildApp({
    home: opts.home,
    config,
    startedAt,
    previousRun,
    httpPort: () => bound.httpPort,
    readiness,
    supervisor,
    agents,
    chat,
    automation,
    metrics,
    log: root.log.child({ component: 'api' }),
  });
  const listeners: Listeners = await serveApi(app, {
    socketPath: paths.socket,
    host: config.http.host,
    port: config.http.port,
  });
  bound.httpPort = listeners.tcp?.port ?? null;
  cleanup.unshift(() => listeners.close());

  await chat.start();
  cleanup.unshift(() => chat.stop());
  automation.scheduler.start();
  cleanup.unshift(() => automation.scheduler.stop());

  const maintenance = startMaintenance({
    config,
    timezone: config.scheduler.timezone ?? systemTimezone(),
    sweep: () =>
      sweepRetention({
        db,
        sessionsDir: paths.sessions,
        groupsDir: paths.groups,
        quarantineDir: quarantineDir(paths.logs),
        policy: config.retention,
        log: root.log.child({ component: 'retention' }),
      }),
    log: root.log.child({ component: 'maintenance' }),
  });
  cleanup.unshift(() => maintenance.stop());

  // Written once everything armed at boot, maintenance timers included, is in place: a waiting
  // `daemon start` (and a test) reads this file as "ready". Then systemd is told READY=1.
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
  const watchdogMs = watchdogIntervalMs(process.env);
  if (watchdogMs !== undefined) {
    const watchdog = new Watchdog({
      notifier,
      intervalMs: watchdogMs,
      probes: livenessProbes({
        config,
        storeWrite: () => runs.heartbeat(runId, Date.now()),
        channels: chat.channels,
        scheduler: automation.scheduler,
        startedAt,
      }),
      status: () => {
        const c = supervisor.counts();
        return `ready: ${c.live_agents} live agents, ${supervisor.queueDepth() + chat.queueDepth()} queued`;
      },
      log: root.log.child({ component: 'watchdog' }),
    });
    watchdog.start();
    cleanup.unshift(() => watchdog.stop());
  }

  const signal = await stopRequested;
  log.info({ signal }, 'shutting down');
  await notifier.send('STOPPING=1', 'STATUS=stopping');
  listeners.stopAccepting();
  await chat.stopIntake();
  automation.scheduler.stop();
  await supervisor.shutdown(Math.max(0, config.daemon.shutdown_timeout - TURN_STOP_RESERVE_MS));
  removeSignals(); // only now: a second SIGTERM during the drain must reach the forced exit
  await runCleanup(cleanup, log);
  stopped();
  return 0;
}

/**
 * A stray rejection is logged and the daemon keeps serving. An uncaught exception leaves state we
 * cannot trust: log it and exit non-zero so the service manager restarts us (Restart=on-failure).
 */
function installCrashHandlers(log: Logger): void {
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled promise rejection'));
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception; exiting for the service manager to restart');
    process.exit(1);
  });
}

function storeAnswers(db: Db): boolean {
  try {
    sql(db, 'SELECT 1').get();
    return true;
  } catch {
    return false;
  }
}

async function runCleanup(steps: Array<() => void | Promise<void>>, log?: Logger): Promise<void> {
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      // Shutdown keeps going: a failure to close one thing must not keep the rest open.
      log?.error({ err }, 'a shutdown step failed; going on with the rest');
    }
  }
  steps.length = 0;
}
