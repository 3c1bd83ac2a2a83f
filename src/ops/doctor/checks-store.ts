/** Checks of the global database: integrity and schema version. Read-only; never migrates. */
import { existsSync } from 'node:fs';
import type { Finding } from '../../contract.js';
import { openDatabase } from '../../store/db.js';
import { migrationState } from '../../store/migrate.js';
import { GLOBAL_MIGRATIONS } from '../../store/migrations/index.js';
import type { Check } from './types.js';

function withReadonlyDb<T>(path: string, fn: (db: ReturnType<typeof openDatabase>) => T): T {
  const db = openDatabase(path, { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export const dbIntegrity: Check = {
  id: 'db.integrity',
  run({ paths }): Finding {
    const id = 'db.integrity';
    if (!existsSync(paths.db)) {
      return { id, severity: 'info', message: 'no database yet; the daemon creates it on first start' };
    }
    try {
      const result = withReadonlyDb(paths.db, (db) => db.pragma('quick_check', { simple: true }) as string);
      if (result === 'ok') return { id, severity: 'ok', message: 'database quick_check passed' };
      return {
        id,
        severity: 'error',
        message: `database quick_check failed: ${result}`,
        fix: 'stop the daemon and restore the latest backup (docs/operations.md)',
      };
    } catch (err) {
      return {
        id,
        severity: 'error',
        message: `database cannot be opened: ${(err as Error).message}`,
        fix: 'restore the latest backup (docs/operations.md)',
      };
    }
  },
};

export const dbSchema: Check = {
  id: 'db.schema',
  run({ paths }): Finding {
    const id = 'db.schema';
    if (!existsSync(paths.db)) return { id, severity: 'info', message: 'no database yet' };
    try {
      const state = withReadonlyDb(paths.db, (db) => migrationState(db, GLOBAL_MIGRATIONS));
      if (state.current > state.latest) {
        return {
          id,
          severity: 'error',
          message: `database schema ${state.current} is newer than this build (${state.latest})`,
          fix: 'run the agentforge release that wrote it, or restore a backup',
        };
      }
      if (state.pending > 0) {
        return {
          id,
          severity: 'info',
          message: `${state.pending} migration(s) pending; applied at next daemon start`,
        };
      }
      return { id, severity: 'ok', message: `database schema is current (version ${state.current})` };
    } catch (err) {
      return { id, severity: 'error', message: `cannot read schema version: ${(err as Error).message}` };
    }
  },
};
