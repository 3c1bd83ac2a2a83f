/**
 * The retention sweep (SPEC §10): rows older than their TTL are deleted — never a message still
 * waiting for its turn, never an undelivered reply — then each database gives the space back
 * (incremental vacuum + WAL truncate). Per-turn error logs are capped by age and count, with a
 * warning when the count nears its cap.
 */
import { existsSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { EVENT_DB_BUSY_TIMEOUT_MS, isBusyError, openDatabase, type Db } from '../store/db.js';

const DAY = 86_400_000;
/** Warn when per-turn logs reach this share of their cap. */
export const CAP_WARN_RATIO = 0.8;

export type RetentionPolicy = {
  readonly messages_days: number;
  readonly events_days: number;
  readonly run_logs_days: number;
  readonly error_artifacts_max: number;
};

export type SweepReport = {
  messages: number;
  outbox: number;
  taskRuns: number;
  events: number;
  /** Session event logs not swept this time: locked by another process, or failing (logged). */
  eventLogsSkipped: number;
  turnLogs: number;
  turnLogsKept: number;
  nearCap: boolean;
};

/** SQLite's auto_vacuum = INCREMENTAL. */
const AUTO_VACUUM_INCREMENTAL = 2;

function reclaim(db: Db, log: Logger, file: string): void {
  // incremental_vacuum does nothing unless the file is in incremental auto-vacuum mode, and that
  // mode only takes effect on a file that was empty when it was set (openDatabase switches to WAL
  // first, which already initialises the file). A file that is not in that mode yet and has free
  // pages is converted once with a full VACUUM; from then on the incremental vacuum works.
  try {
    if (
      Number(db.pragma('auto_vacuum', { simple: true })) !== AUTO_VACUUM_INCREMENTAL &&
      Number(db.pragma('freelist_count', { simple: true })) > 0
    ) {
      db.pragma('auto_vacuum = INCREMENTAL');
      db.exec('VACUUM');
      log.info({ file }, 'database converted to incremental auto-vacuum');
    }
  } catch (err) {
    log.warn({ err, file }, 'could not convert the database to incremental auto-vacuum; will retry');
  }
  db.pragma('incremental_vacuum');
  db.pragma('wal_checkpoint(TRUNCATE)');
}

export function sweepRetention(deps: {
  db: Db;
  sessionsDir: string;
  groupsDir: string;
  /** logs/quarantine: pruned with the per-turn logs. */
  quarantineDir?: string;
  policy: RetentionPolicy;
  log: Logger;
  now?: number;
}): SweepReport {
  const now = deps.now ?? Date.now();
  const { db, policy } = deps;
  const msgCutoff = now - policy.messages_days * DAY;
  const runCutoff = now - policy.run_logs_days * DAY;
  const report: SweepReport = {
    messages: 0,
    outbox: 0,
    taskRuns: 0,
    events: 0,
    eventLogsSkipped: 0,
    turnLogs: 0,
    turnLogsKept: 0,
    nearCap: false,
  };
  db.transaction(() => {
    report.messages = db
      .prepare("DELETE FROM messages WHERE ts < ? AND status IN ('done', 'failed', 'context')")
      .run(msgCutoff).changes;
    report.outbox = db
      .prepare("DELETE FROM outbox WHERE created_at < ? AND status IN ('sent', 'failed')")
      .run(msgCutoff).changes;
    report.taskRuns = db
      .prepare("DELETE FROM task_runs WHERE due_at < ? AND status IN ('ok', 'failed', 'missed', 'budget')")
      .run(runCutoff).changes;
    db.prepare('DELETE FROM pairing_codes WHERE expires_at < ?').run(now - DAY);
    // The e-mail channel's rows age with the messages; a pending acknowledgement is kept.
    db.prepare("DELETE FROM email_inbox WHERE received_at < ? AND (acked = 1 OR status != 'accepted')").run(
      msgCutoff,
    );
    db.prepare("DELETE FROM email_sent WHERE updated_at < ? AND state = 'sent'").run(msgCutoff);
  })();
  reclaim(db, deps.log, db.name);

  const eventsCutoff = now - policy.events_days * DAY;
  if (existsSync(deps.sessionsDir)) {
    for (const id of readdirSync(deps.sessionsDir)) {
      const file = join(deps.sessionsDir, id, 'events.db');
      if (!existsSync(file)) continue;
      // better-sqlite3 is synchronous: a file another process holds locked must not be waited on
      // with the usual 5 s busy timeout (the whole daemon would wait), nor stop the sweep of the
      // others. Its old events are deleted at the next sweep.
      let edb: Db | undefined;
      try {
        edb = openDatabase(file, { busyTimeoutMs: EVENT_DB_BUSY_TIMEOUT_MS });
        report.events += edb.prepare('DELETE FROM events WHERE ts < ?').run(eventsCutoff).changes;
        reclaim(edb, deps.log, file);
      } catch (err) {
        report.eventLogsSkipped++;
        if (isBusyError(err))
          deps.log.warn({ file }, 'events.db is locked by another process; it is swept next time');
        else deps.log.error({ err, file }, 'could not sweep events.db; it is tried again next time');
      } finally {
        edb?.close();
      }
    }
  }

  // Error artifacts: per-turn error logs of every group and quarantined bad input, one pool.
  const logs: Array<{ path: string; mtime: number }> = [];
  const dirs = existsSync(deps.groupsDir)
    ? readdirSync(deps.groupsDir).map((g) => join(deps.groupsDir, g, 'logs'))
    : [];
  if (deps.quarantineDir !== undefined) dirs.push(deps.quarantineDir);
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      const st = statSync(p);
      if (st.isFile()) logs.push({ path: p, mtime: st.mtimeMs });
    }
  }
  logs.sort((a, b) => b.mtime - a.mtime);
  logs.forEach((l, i) => {
    if (l.mtime < runCutoff || i >= policy.error_artifacts_max) {
      unlinkSync(l.path);
      report.turnLogs++;
    }
  });
  report.turnLogsKept = logs.length - report.turnLogs;
  report.nearCap =
    policy.error_artifacts_max > 0 && report.turnLogsKept >= policy.error_artifacts_max * CAP_WARN_RATIO;
  if (report.nearCap)
    deps.log.warn(
      { kept: report.turnLogsKept, cap: policy.error_artifacts_max },
      'per-turn logs are near their cap; older ones are being pruned',
    );
  deps.log.info(report, 'retention sweep done');
  return report;
}

/** Per-turn logs kept now vs the cap, for doctor. */
export function turnLogUsage(groupsDir: string, quarantineDir?: string): number {
  let n = quarantineDir !== undefined && existsSync(quarantineDir) ? readdirSync(quarantineDir).length : 0;
  if (!existsSync(groupsDir)) return n;
  for (const g of readdirSync(groupsDir)) {
    const dir = join(groupsDir, g, 'logs');
    if (existsSync(dir)) n += readdirSync(dir).length;
  }
  return n;
}
