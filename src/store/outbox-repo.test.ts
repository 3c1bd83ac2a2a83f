import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from './db.js';
import { migrate } from './migrate.js';
import { GLOBAL_MIGRATIONS } from './migrations/index.js';
import { OutboxRepo } from './outbox-repo.js';

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'af-outbox-'));
  db = openDatabase(join(dir, 'agentforge.db'));
  migrate(db, GLOBAL_MIGRATIONS, 'agentforge.db');
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const msg = (text: string) => ({
  channel: 'telegram',
  chatId: '1',
  groupFolder: null,
  text,
  source: 'send' as const,
});

describe('OutboxRepo: queueing a message is one operation', () => {
  it('wakes its subscriber once after the rows are committed, not inside the transaction', async () => {
    const repo = new OutboxRepo(db);
    const seen: number[] = [];
    repo.onAdded(() => seen.push((db.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n));
    db.transaction(() => {
      repo.add(msg('a'), 1);
      repo.add(msg('b'), 1);
      expect(seen).toEqual([]); // not woken mid-transaction
    })();
    await tick();
    expect(seen).toEqual([2]);
    repo.add(msg('c'), 2);
    await tick();
    expect(seen).toEqual([2, 3]);
  });

  it('a rolled-back add wakes the worker harmlessly: nothing is due', async () => {
    const repo = new OutboxRepo(db);
    let woken = 0;
    repo.onAdded(() => woken++);
    expect(() =>
      db.transaction(() => {
        repo.add(msg('a'), 1);
        throw new Error('roll back');
      })(),
    ).toThrow('roll back');
    await tick();
    expect(woken).toBe(1);
    expect(repo.due(10)).toEqual([]);
  });
});

describe('OutboxRepo operator views', () => {
  it('lists failed and waiting rows, and requeue makes a failed row due now with fresh attempts', async () => {
    const repo = new OutboxRepo(db);
    let woken = 0;
    repo.onAdded(() => woken++);
    const failed = repo.add(msg('lost'), 1_000);
    const paced = repo.add(msg('later'), 1_000);
    const fine = repo.add(msg('fine'), 1_000);
    repo.fail(failed, 'Bad Request: chat not found');
    repo.defer(paced, 50_000, 'rate limited');
    repo.sent(fine, 2_000);
    expect(repo.listAttention('failed', 10_000).map((r) => r.id)).toEqual([failed]);
    expect(repo.listAttention('pending', 10_000).map((r) => r.id)).toEqual([paced]);
    await tick();
    woken = 0;

    const row = repo.requeue(failed, 20_000);
    expect(row).toMatchObject({ status: 'pending', attempts: 0, next_attempt_at: 20_000 });
    expect(repo.due(20_000).map((r) => r.id)).toContain(failed);
    await tick();
    expect(woken).toBe(1);
    expect(repo.requeue(fine, 20_000)).toBe(false);
    expect(repo.requeue(9999, 20_000)).toBeUndefined();
  });
});
