/**
 * The composition root: the only module that constructs and wires the others. Boot order (SPEC §5):
 * lock → config → logger → store → supervision + recovery → chat, scheduler → API → intake → ready.
 * Shutdown runs the same list backwards.
 */
import {
  announceReady,
  installCrashHandlers,
  startMetrics,
  storeAnswers,
  type Cleanup,
} from './boot-steps.js';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { bindApi } from '../api/serve.js';
import { initHome } from '../config/home.js';
import { OutboxFiles } from '../router/outbox-files.js';
import { loadConfig, secretFiles, type Config } from '../config/load.js';
import { homePaths } from '../config/paths.js';
import { acquireLock, type Lock } from '../instance/lock.js';
import { Readiness } from '../ops/health.js';
import { assertSafeHome } from '../ops/home-safety.js';
import { createRootLogger, type Logger, type RootLogger } from '../ops/log.js';
import { createQuarantine, quarantineDir } from '../ops/quarantine.js';
import { sweepRetention } from '../ops/retention.js';
import { watchdogIntervalMs } from '../ops/sd-notify.js';
import { Watchdog } from '../ops/watchdog.js';
import { TaskService } from '../scheduler/tasks.js';
import { resolveAgents } from '../sessions/agents.js';
import { Supervisor } from '../sessions/supervisor.js';
import type { DaemonRun } from '../store/daemon-runs.js';
import { createStores, openGlobalStore, type Stores } from '../store/store.js';
import { BUILD } from '../version.js';
import { buildApp } from './app.js';
import { createAutomation, systemTimezone } from './automation.js';
import { createBudgets } from './budgets.js';
import { createChat } from './chat.js';
import { folderInUse as folderInUseAt } from './folders.js';
import { livenessProbes, SCHEDULER_OVERDUE_MS } from './liveness.js';
import { startMaintenance } from './maintenance.js';
import { installSignalHandlers } from './signals.js';
import { createToolAccess } from './tool-access.js';

export type DaemonOptions = {
  readonly home: string;
  /** Pretty log copy on stdout (foreground on a TTY). */
  readonly prettyToStdout: boolean;
  /** Called once the daemon is ready (the foreground CLI prints the dashboard link). */
  readonly onReady?: () => Promise<void>;
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

/**
 * Boot in phases, each building on the ones before and registering its own shutdown step; nothing
 * is bound late: parts that react to the supervisor subscribe to its events.
 */
async function boot(
  opts: DaemonOptions,
  lock: Lock,
  cleanup: Cleanup,
  booting: { log?: Logger },
): Promise<number> {
  const startedAt = Date.now();
  // Re-read under the lock: the file may have changed while another instance held it.
  const config = loadConfig(opts.home);
  const { paths } = config;

  // 1. Logging, crash handlers and signals.
  const root = await startLogging(config, opts, cleanup);
  const log = root.log.child({ component: 'daemon' });
  booting.log = log;
  installCrashHandlers(log);
  const stop = handleSignals(config, log, cleanup);
  log.info({ home: paths.home, staleLock: lock.tookOverStale }, 'daemon starting');

  // 2. The store and this run's record.
  const { stores, runId, previousRun } = openStores(paths.db, startedAt, log, cleanup);

  // 3. Supervision: the tools agents call, the supervisor, recovery of a killed daemon's agents.
  // Asked on first need: the system zone comes from ICU, whose first use costs the boot tens of ms.
  let zone: string | undefined;
  const timezone = (): string => (zone ??= config.scheduler.timezone ?? systemTimezone());
  const tasks = new TaskService(stores.tasks, timezone);
  const folderInUse = folderInUseAt(paths.groups, stores.sessions);
  const outboxFiles = new OutboxFiles(join(paths.home, 'outbox-files'));
  const tools = await createToolAccess({
    stores,
    tasks,
    folderInUse,
    files: {
      store: outboxFiles,
      maxBytes: Math.floor(config.channels.telegram.max_upload_mb * 1024 * 1024),
    },
    log: root.log.child({ component: 'tools' }),
  });
  cleanup.unshift(() => tools.close());
  const agents = resolveAgents(config);
  const quarantine = createQuarantine(quarantineDir(paths.logs));
  const supervisor = new Supervisor({
    repo: stores.sessions,
    mcpServersFor: (id, caps) => tools.mcpServersFor(id, caps),
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
  supervisor.on('agent-stopped', ({ sessionId }) => tools.revoke(sessionId));
  tools.onRecord(({ sessionId, kind, data }) => supervisor.record(sessionId, kind, data));
  // Recovery: agents a killed daemon left running are found by recorded pgid + start time.
  const orphans = supervisor.recoverOrphans();
  if (orphans > 0) log.warn({ orphans }, 'killed orphaned agent processes');

  // 4. Chat, the scheduler, readiness and metrics over them.
  const readiness = new Readiness();
  readiness.register('store', () => ({
    ok: stores.db.open && storeAnswers(stores.db),
    reason: 'store_unavailable',
  }));
  const budgets = createBudgets({
    stores,
    config,
    supervisor,
    timezone,
    log: root.log.child({ component: 'budgets' }),
  });
  const chat = await createChat({
    outboxFiles,
    stores,
    config,
    supervisor,
    log: root.log,
    env: process.env,
    readiness,
    quarantine,
    budgets,
  });
  budgets.onRollover(() => chat.kickQueue());
  cleanup.unshift(() => budgets.stop());
  const automation = createAutomation({ stores, config, supervisor, tasks, budgets, log: root.log });
  readiness.register('scheduler', () => {
    const armed = automation.scheduler.armedFor;
    return {
      ok: armed === undefined || Date.now() - armed < SCHEDULER_OVERDUE_MS,
      reason: 'scheduler_stalled',
    };
  });
  const metrics = config.metrics.enabled ? await startMetrics(paths, supervisor, chat, budgets) : undefined;

  // 5. The control plane: bound first, so the app knows its port; then intake starts.
  const listeners = await bindApi({
    socketPath: paths.socket,
    host: config.http.host,
    port: config.http.port,
  });
  cleanup.unshift(() => listeners.close());
  listeners.serve(
    buildApp({
      home: opts.home,
      config,
      startedAt,
      previousRun,
      httpPort: listeners.tcp?.port ?? null,
      readiness,
      stores,
      supervisor,
      agents,
      chat,
      automation,
      tasks,
      folderInUse,
      metrics,
      budgets,
      timezone,
      log: root.log.child({ component: 'api' }),
      logTap: root.tap,
    }),
  );
  await chat.start();
  cleanup.unshift(() => chat.stop());
  automation.scheduler.start();
  cleanup.unshift(() => automation.scheduler.stop());
  const maintenance = startMaintenance({
    config,
    // Not timezone(): backups keep the host's local time without resolving its name through ICU.
    timezone: () => config.scheduler.timezone,
    sweep: () =>
      sweepRetention({
        db: stores.db,
        sessionsDir: paths.sessions,
        groupsDir: paths.groups,
        quarantineDir: quarantineDir(paths.logs),
        policy: config.retention,
        log: root.log.child({ component: 'retention' }),
      }),
    log: root.log.child({ component: 'maintenance' }),
  });
  cleanup.unshift(() => maintenance.stop());

  // 6. Ready: the state file, READY=1 and the watchdog.
  const notifier = await announceReady(paths, startedAt, listeners, log, cleanup);
  // Probed once, in the background after ready (its spawn blocked the boot); an agent that falls
  // back says so when known, in status and doctor.
  void supervisor.sandboxesProbed().then((decisions) => {
    for (const d of decisions)
      if (!d.sandboxed && d.mode !== 'none')
        log.warn({ agent: d.agent, mode: d.mode, reason: d.reason }, 'agent will run without a sandbox');
  });
  await opts.onReady?.().catch((err: unknown) => log.warn({ err }, 'the ready hook failed'));
  const queued = (): number => supervisor.queueDepth() + chat.queueDepth();
  const watchdogMs = watchdogIntervalMs(process.env);
  if (watchdogMs !== undefined) {
    const watchdog = new Watchdog({
      notifier,
      intervalMs: watchdogMs,
      probes: livenessProbes({
        storeWrite: () => stores.runs.heartbeat(runId, Date.now()),
        channels: chat.channels,
        scheduler: automation.scheduler,
        startedAt,
      }),
      status: () => `ready: ${supervisor.counts().live_agents} live agents, ${queued()} queued`,
      log: root.log.child({ component: 'watchdog' }),
    });
    watchdog.start();
    cleanup.unshift(() => watchdog.stop());
  }

  // 7. Shutdown: intake first, then the turns in flight, then everything else in reverse.
  const signal = await stop.requested;
  log.info({ signal }, 'shutting down');
  await notifier.send('STOPPING=1', 'STATUS=stopping');
  listeners.stopAccepting();
  await chat.stopIntake();
  automation.scheduler.stop();
  await supervisor.shutdown(Math.max(0, config.daemon.shutdown_timeout - TURN_STOP_RESERVE_MS));
  stop.removeSignals(); // only now: a second SIGTERM during the drain must reach the forced exit
  await runCleanup(cleanup, log);
  stop.finished();
  return 0;
}

async function startLogging(config: Config, opts: DaemonOptions, cleanup: Cleanup): Promise<RootLogger> {
  const root = await createRootLogger({
    file: config.paths.logFile,
    level: config.log.level,
    maxSizeMb: config.log.max_size_mb,
    maxBackups: config.log.max_backups,
    maxAgeDays: config.log.max_age_days,
    compress: config.log.compress_backups,
    prettyToStdout: opts.prettyToStdout,
  });
  cleanup.unshift(() => root.close());
  return root;
}

/** Signals are handled from here on: a SIGTERM during boot finishes booting, then shuts down. */
function handleSignals(
  config: Config,
  log: Logger,
  cleanup: Cleanup,
): { requested: Promise<NodeJS.Signals>; finished: () => void; removeSignals: () => void } {
  let request!: (signal: NodeJS.Signals) => void;
  const requested = new Promise<NodeJS.Signals>((resolve) => (request = resolve));
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const removeSignals = installSignalHandlers({
    deadlineMs: config.daemon.shutdown_timeout + SHUTDOWN_SLACK_MS,
    onForce: (why) => {
      log.error({ why }, 'forced exit');
      process.exit(1);
    },
    onShutdown: async (signal) => {
      request(signal);
      await done;
    },
  });
  cleanup.push(removeSignals);
  return { requested, finished, removeSignals };
}

function openStores(
  path: string,
  startedAt: number,
  log: Logger,
  cleanup: Cleanup,
): { stores: Stores; runId: number; previousRun: DaemonRun | undefined } {
  const { db, applied } = openGlobalStore(path);
  cleanup.unshift(() => {
    db.close();
  });
  if (applied.length > 0) log.info({ applied }, 'database migrated');
  const stores = createStores(db);
  const runId = stores.runs.start({
    pid: process.pid,
    version: BUILD.version,
    gitSha: BUILD.gitSha,
    now: startedAt,
  });
  // Runs at shutdown and on a failed boot alike: either way the run ended on purpose, not a crash.
  cleanup.unshift(() => stores.runs.stop(runId, Date.now()));
  const previousRun = stores.runs.previous(runId);
  if (previousRun !== undefined && !previousRun.clean_stop) {
    log.warn({ previousPid: previousRun.pid }, 'previous daemon run did not stop cleanly; recovering');
  }
  return { stores, runId, previousRun };
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
