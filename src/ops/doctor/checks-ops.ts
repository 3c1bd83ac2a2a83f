/** Day-two checks: age of the last backup, per-turn logs against their cap. */
import type { Finding } from '../../contract.js';
import { lastBackupAt } from '../backup.js';
import { quarantineDir } from '../quarantine.js';
import { CAP_WARN_RATIO, turnLogUsage } from '../retention.js';
import type { Check } from './types.js';

export const BACKUP_STALE_MS = 2 * 86_400_000;

export const backupAge: Check = {
  id: 'backup.age',
  run({ paths, config }): Finding {
    const id = 'backup.age';
    const at = lastBackupAt(paths.backups);
    const enabled = config instanceof Error ? true : config.backup.enabled;
    if (at === null) {
      return {
        id,
        severity: enabled ? 'info' : 'warn',
        message: 'no backup yet',
        fix: 'agentforge backup create (the daemon also takes them on [backup] schedule)',
      };
    }
    const ageH = Math.round((Date.now() - at) / 3_600_000);
    if (Date.now() - at > BACKUP_STALE_MS) {
      return {
        id,
        severity: 'warn',
        message: `last good backup is ${ageH} h old`,
        fix: 'agentforge backup create; check the log for "scheduled backup failed"',
      };
    }
    return { id, severity: 'ok', message: `last backup ${ageH} h ago (${new Date(at).toISOString()})` };
  },
};

export const turnLogsCap: Check = {
  id: 'retention.turn_logs',
  run({ paths, config }): Finding {
    const id = 'retention.turn_logs';
    const cap = config instanceof Error ? 200 : config.retention.error_artifacts_max;
    const n = turnLogUsage(paths.groups, quarantineDir(paths.logs));
    if (cap > 0 && n >= cap * CAP_WARN_RATIO) {
      return {
        id,
        severity: 'warn',
        message: `${n} per-turn error logs and quarantined inputs kept, near the cap of ${cap}; the oldest are pruned`,
        fix: 'look at why turns fail (agentforge logs --level warn), or raise [retention] error_artifacts_max',
      };
    }
    return { id, severity: 'ok', message: `${n} per-turn error logs (cap ${cap})` };
  },
};
