/**
 * The daemon's own day-two timers: scheduled backups (on [backup] schedule, keeping [backup] keep)
 * and the retention sweep (just after boot and every [retention] sweep_interval). Long timers only.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { compactHeap } from '../ops/heap.js';
import { nextRunAfter } from '../scheduler/schedule.js';

const MAX_TIMER_MS = 2 ** 31 - 1;
/**
 * The boot-time sweep (and the arming of the backup timer) waits this long: the sweep runs
 * synchronous SQLite work (deletes, incremental vacuum, WAL checkpoints over every events.db) that
 * would otherwise hold up the first requests, right when `daemon start` or systemd asks /readyz.
 */
export const BOOT_SWEEP_DELAY_MS = 1_000;

export type Maintenance = { stop: () => void; backupNow: () => Promise<void> };

export function startMaintenance(deps: {
  config: Config;
  /** Asked when the backup timer is first armed (after boot: ICU's first use is slow). */
  /** The configured zone; undefined: the host's local time (Intl's default zone, without Intl). */
  timezone: () => string | undefined;
  sweep: () => void;
  log: Logger;
}): Maintenance {
  const { config, log } = deps;
  let backupTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<void> | undefined;

  const backupNow = async (): Promise<void> => {
    try {
      const { createBackup, pruneBackups } = await import('../ops/backup.js');
      const info = await createBackup(config.paths);
      const pruned = pruneBackups(config.paths.backups, config.backup.keep);
      log.info(
        { backup: info.name, files: info.files, bytes: info.bytes, pruned: pruned.length },
        'backup created',
      );
    } catch (err) {
      log.error({ err }, 'scheduled backup failed');
    }
  };
  const armBackup = (): void => {
    if (stopped || !config.backup.enabled) return;
    const next = nextRunAfter(
      { type: 'cron', value: config.backup.schedule, timezone: deps.timezone() },
      Date.now(),
    );
    if (next === null) return;
    backupTimer = setTimeout(
      () => {
        running = backupNow().finally(() => {
          running = undefined;
          armBackup();
        });
      },
      Math.min(MAX_TIMER_MS, next - Date.now()),
    );
    backupTimer.unref();
  };

  const sweep = (): void => {
    try {
      deps.sweep();
    } catch (err) {
      log.error({ err }, 'retention sweep failed');
    }
    compactHeap(); // the boot's (or the last hours') garbage and a grown young generation
  };
  // The backup timer is armed with the boot sweep: working out a cron time in a zone is ICU's
  // first use, tens of ms that the time to ready need not include.
  const bootSweep = setTimeout(() => {
    armBackup();
    sweep();
  }, BOOT_SWEEP_DELAY_MS);
  bootSweep.unref();
  const sweepTimer = setInterval(sweep, config.retention.sweep_interval);
  sweepTimer.unref();

  return {
    stop: () => {
      stopped = true;
      clearTimeout(backupTimer);
      clearTimeout(bootSweep);
      clearInterval(sweepTimer);
      void running;
    },
    backupNow,
  };
}
