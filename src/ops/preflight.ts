/**
 * `agentforge daemon check`: everything the daemon verifies at boot, without serving anything and
 * without changing the home. Pending migrations are applied to a throw-away copy of the database
 * (made with SQLite's online backup) so an upgrade is proven before the real start.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/load.js';
import type { ConfigError } from '../config/errors.js';
import type { HomePaths } from '../config/paths.js';
import type { Finding } from '../contract.js';
import { resolveSecret, type SecretRef } from '../config/secrets.js';
import { openDatabase } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { GLOBAL_MIGRATIONS } from '../store/migrations/index.js';
import { agentsResolvable } from './doctor/checks-agents.js';
import { telegramAllowedUsers } from './doctor/checks-channels.js';
import { configPermissions, configValid, homePermissions, tokenPermissions } from './doctor/checks-home.js';

/** The ids of findings that mean the home is unsafe to run from: `daemon check` exits 6 on them. */
export const UNSAFE_HOME_IDS: ReadonlySet<string> = new Set([
  homePermissions.id,
  tokenPermissions.id,
  configPermissions.id,
]);

export type PreflightExtra = (config: Config) => Finding[];

export async function preflight(
  paths: HomePaths,
  config: Config | ConfigError,
  extra: readonly PreflightExtra[] = [],
): Promise<Finding[]> {
  const ctx = { paths, config, inDaemon: false, uid: process.getuid?.(), env: process.env };
  const findings: Finding[] = [
    await homePermissions.run(ctx),
    await tokenPermissions.run(ctx),
    await configPermissions.run(ctx),
    await configValid.run(ctx),
    await checkMigrations(paths.db),
    await agentsResolvable.run(ctx),
  ];
  if (!(config instanceof Error)) {
    findings.push(checkSecrets(config));
    const users = await telegramAllowedUsers.run(ctx);
    if (users.severity !== 'ok') findings.push(users);
    for (const check of extra) findings.push(...check(config));
  }
  return findings;
}

/** Every secret reference the daemon will need resolves now (values are read, never shown). */
function checkSecrets(config: Config): Finding {
  const id = 'secrets.resolvable';
  const refs: Array<[string, SecretRef]> = [];
  const tg = config.channels.telegram;
  if (tg.enabled && tg.token !== undefined) refs.push(['channels.telegram.token', tg.token]);
  for (const [name, agent] of Object.entries(config.agents)) {
    for (const [target, ref] of Object.entries(agent.credentials))
      refs.push([`agents.${name}.credentials.${target}`, ref]);
  }
  const problems: string[] = [];
  for (const [path, ref] of refs) {
    try {
      resolveSecret(ref, process.env);
    } catch (err) {
      problems.push(`${path}: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0)
    return {
      id,
      severity: 'error',
      message: problems.join('; '),
      fix: 'set the environment variable in the service environment, or fix the file reference',
    };
  return { id, severity: 'ok', message: `${refs.length} secret reference(s) resolve` };
}

async function checkMigrations(dbPath: string): Promise<Finding> {
  const id = 'db.migrations';
  if (!existsSync(dbPath)) {
    const mem = openDatabase(':memory:');
    try {
      const applied = migrate(mem, GLOBAL_MIGRATIONS, 'agentforge.db');
      return {
        id,
        severity: 'ok',
        message: `no database yet; ${applied.length} migration(s) will create it`,
      };
    } finally {
      mem.close();
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'agentforge-check-'));
  try {
    const src = openDatabase(dbPath, { readonly: true, fileMustExist: true });
    try {
      await src.backup(join(dir, 'copy.db'));
    } finally {
      src.close();
    }
    const copy = openDatabase(join(dir, 'copy.db'));
    try {
      const applied = migrate(copy, GLOBAL_MIGRATIONS, 'agentforge.db');
      const ok = copy.pragma('quick_check', { simple: true });
      if (ok !== 'ok')
        return {
          id,
          severity: 'error',
          message: `database quick_check failed: ${String(ok)}`,
          fix: 'restore a backup',
        };
      return {
        id,
        severity: 'ok',
        message:
          applied.length === 0
            ? 'database schema is current'
            : `${applied.length} pending migration(s) apply cleanly`,
      };
    } finally {
      copy.close();
    }
  } catch (err) {
    return {
      id,
      severity: 'error',
      message: (err as Error).message,
      fix: 'see docs/operations.md, "Upgrade"',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
