/** The global database (agentforge.db): opened, migrated, and its repositories. */
import { openDatabase, type Db } from './db.js';
import { DaemonRuns } from './daemon-runs.js';
import { GroupsRepo } from './groups-repo.js';
import { KvRepo } from './kv-repo.js';
import { MessagesRepo } from './messages-repo.js';
import { migrate } from './migrate.js';
import { OutboxRepo } from './outbox-repo.js';
import { PairingRepo } from './pairing-repo.js';
import { PoolRepo } from './pool-repo.js';
import { PreviewsRepo } from './previews-repo.js';
import { SessionsRepo } from './sessions-repo.js';
import { TasksRepo } from './tasks-repo.js';
import { UsageRepo } from './usage-repo.js';
import { BudgetHoldsRepo } from './budget-holds-repo.js';
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

/** Every repository over the global database: one object the composition root hands around. */
export type Stores = {
  readonly db: Db;
  readonly runs: DaemonRuns;
  readonly sessions: SessionsRepo;
  readonly groups: GroupsRepo;
  readonly messages: MessagesRepo;
  readonly outbox: OutboxRepo;
  readonly pairing: PairingRepo;
  readonly previews: PreviewsRepo;
  readonly pool: PoolRepo;
  readonly kv: KvRepo;
  readonly tasks: TasksRepo;
  readonly usage: UsageRepo;
  readonly holds: BudgetHoldsRepo;
};

export function createStores(db: Db): Stores {
  return {
    db,
    runs: new DaemonRuns(db),
    sessions: new SessionsRepo(db),
    groups: new GroupsRepo(db),
    messages: new MessagesRepo(db),
    outbox: new OutboxRepo(db),
    pairing: new PairingRepo(db),
    previews: new PreviewsRepo(db),
    pool: new PoolRepo(db),
    kv: new KvRepo(db),
    tasks: new TasksRepo(db),
    usage: new UsageRepo(db),
    holds: new BudgetHoldsRepo(db),
  };
}
