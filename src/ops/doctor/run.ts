/**
 * Runs every check and folds the findings into a report. Works the same with the daemon down (from
 * the CLI) and up (GET /api/doctor); a check that throws becomes an error finding, never a crash.
 */
import type { DoctorReport, Finding, Severity } from '../../contract.js';
import { agentsMemoryCap, agentsResolvable, agentsSandbox } from './checks-agents.js';
import { telegramAllowedUsers, telegramPolling } from './checks-channels.js';
import { emailImap, emailSmtp } from './checks-email.js';
import { daemonSocket } from './checks-daemon.js';
import { backupAge, turnLogsCap } from './checks-ops.js';
import {
  configPermissions,
  configValid,
  homePermissions,
  logsWritable,
  tokenPermissions,
} from './checks-home.js';
import { dbIntegrity, dbSchema } from './checks-store.js';
import { diskFree, httpLoopback, nodeVersion, nofileLimit } from './checks-system.js';
import type { Check, DoctorContext } from './types.js';

export const CHECKS: readonly Check[] = [
  nodeVersion,
  homePermissions,
  tokenPermissions,
  configPermissions,
  configValid,
  logsWritable,
  dbIntegrity,
  dbSchema,
  diskFree,
  daemonSocket,
  httpLoopback,
  nofileLimit,
  agentsResolvable,
  agentsMemoryCap,
  agentsSandbox,
  backupAge,
  turnLogsCap,
  telegramPolling,
  telegramAllowedUsers,
  emailImap,
  emailSmtp,
];

export async function runDoctor(
  ctx: DoctorContext,
  checks: readonly Check[] = CHECKS,
  only?: string,
): Promise<DoctorReport> {
  const selected =
    only === undefined ? checks : checks.filter((c) => c.id === only || c.id.startsWith(`${only}.`));
  const findings: Finding[] = [];
  for (const check of selected) {
    try {
      findings.push(await check.run(ctx));
    } catch (err) {
      findings.push({
        id: check.id,
        severity: 'error',
        message: `check failed to run: ${(err as Error).message}`,
      });
    }
  }
  const counts: Record<Severity, number> = { ok: 0, info: 0, warn: 0, error: 0 };
  for (const f of findings) counts[f.severity] += 1;
  return { ok: counts.error === 0 && counts.warn === 0, counts, findings };
}

export function checkIds(checks: readonly Check[] = CHECKS): string[] {
  return checks.map((c) => c.id);
}
