/** Opens the global database (agentforge.db) and brings its schema up to date. */
import { openDatabase, type Db } from './db.js';
import { migrate } from './migrate.js';
import { GLOBAL_MIGRATIONS } from './migrations/index.js';

export function openGlobalStore(path: string): { db: Db; applied: number[] } {
  const db = openDatabase(path);
  try {
    const applied = migrate(db, GLOBAL_MIGRATIONS, 'agentforge.db');
    return { db, applied };
  } catch (err) {
    db.close();
    throw err;
  }
}
