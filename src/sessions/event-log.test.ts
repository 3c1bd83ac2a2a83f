/**
 * EventLog against a file another connection holds locked (audit finding 13): appends never wait
 * longer than the short busy timeout, keep their order in memory and are committed after the lock
 * is released; opening a file locked against readers fails at once. Real SQLite files, no mocks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/harness.js';
import { isBusyError } from '../store/db.js';
import { EventLog, MAX_PENDING_BYTES } from './event-log.js';

let dir: string;
let file: string;
let log: EventLog;
let other: Database.Database | undefined;
const busy: Array<{ pending: number }> = [];
const unblocked: Array<{ lost: number }> = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'af-evlog-'));
  file = join(dir, 'events.db');
  busy.length = 0;
  unblocked.length = 0;
  log = new EventLog(file, undefined, {
    onBusy: (i) => busy.push(i),
    onUnblocked: (i) => unblocked.push(i),
  });
});
afterEach(() => {
  other?.close();
  other = undefined;
  log.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A second connection that holds the write lock until released. */
function lockWriters(): () => void {
  other = new Database(file);
  other.exec('BEGIN EXCLUSIVE');
  other.prepare("INSERT INTO events (ts, turn, kind, data) SELECT 0, NULL, 'x', 'null' WHERE 0").run();
  return () => other!.exec('COMMIT');
}

describe('EventLog on a locked file', () => {
  it('keeps appends in memory without waiting, tells once, and commits them in order after', async () => {
    log.append('a', 1);
    log.flush();
    const release = lockWriters();
    const t0 = Date.now();
    for (let i = 0; i < 50; i++) {
      log.append('e', i);
      log.flush();
    }
    expect(Date.now() - t0).toBeLessThan(500); // one try waits the short timeout; the rest wait for the timer
    expect(log.blocked).toBe(true);
    expect(log.pending).toBe(50);
    expect(log.lastSeq).toBe(51);
    expect(busy).toHaveLength(1); // once per locked spell, not per retry
    release();
    await waitFor(() => !log.blocked, 5_000, 'the retry to commit');
    const all = log.read();
    expect(all.map((e) => e.data)).toEqual([1, ...Array.from({ length: 50 }, (_, i) => i)]);
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
    expect(unblocked).toEqual([expect.objectContaining({ lost: 0 })]);
  });

  it('close() while locked does not drop the kept events: they are committed, then the file closes', async () => {
    const release = lockWriters();
    log.append('e', 'kept');
    log.flush();
    log.close();
    log.append('late', 'ignored');
    release();
    await waitFor(() => !log.blocked, 5_000, 'the retry to commit');
    const check = new Database(file, { readonly: true });
    const rows = check.prepare('SELECT kind, data FROM events').all();
    check.close();
    expect(rows).toEqual([{ kind: 'e', data: '"kept"' }]);
  });

  it('bounds memory: past the limit events are counted and one events_lost event says how many', async () => {
    const release = lockWriters();
    const big = 'x'.repeat(1024 * 1024);
    const n = Math.floor(MAX_PENDING_BYTES / big.length) + 3;
    for (let i = 0; i < n; i++) log.append('big', big);
    log.flush();
    expect(log.pending).toBeLessThan(n);
    release();
    await waitFor(() => log.read().some((e) => e.kind === 'events_lost'), 5_000, 'events_lost');
    const lost = log.read(0, 1000).find((e) => e.kind === 'events_lost');
    expect(lost?.data).toMatchObject({ count: n - log.read(0, 1000).filter((e) => e.kind === 'big').length });
  });

  it('opening a log whose file is locked against readers fails within the short timeout, not 5 s', () => {
    log.append('a', 1);
    log.close();
    // Rollback-journal mode with an exclusive lock shuts readers out too (WAL readers never are).
    other = new Database(file);
    other.pragma('journal_mode = DELETE');
    other.exec('BEGIN EXCLUSIVE');
    other.prepare("INSERT INTO events (ts, turn, kind, data) VALUES (0, NULL, 'x', 'null')").run();
    const t0 = Date.now();
    let thrown: unknown;
    try {
      new EventLog(file).close();
    } catch (err) {
      thrown = err;
    }
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(isBusyError(thrown)).toBe(true);
    other.exec('ROLLBACK');
    log = new EventLog(file);
    expect(log.read().map((e) => e.data)).toEqual([1]);
  });
});

describe('a write that fails for another reason than a lock', () => {
  it('keeps the events, tells once, survives, and commits them when the file works again', async () => {
    const errors: unknown[] = [];
    const failing = new EventLog(join(dir, 'failing.db'), undefined, {
      onWriteError: (i) => errors.push(i.err),
    });
    try {
      // A trigger makes every insert fail (like a full disk would): not SQLITE_BUSY.
      other = new Database(join(dir, 'failing.db'));
      other.exec("CREATE TRIGGER broken BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'no space'); END;");
      failing.append('prompt', { text: 'one' }, 1);
      failing.append('prompt', { text: 'two' }, 1);
      await waitFor(() => errors.length > 0, 5_000);
      expect(isBusyError(errors[0])).toBe(false);
      expect(failing.pending).toBe(2);
      failing.append('prompt', { text: 'three' }, 1);
      other.exec('DROP TRIGGER broken');
      await waitFor(() => failing.pending === 0, 10_000);
      expect(failing.read(0).map((e) => (e.data as { text: string }).text)).toEqual(['one', 'two', 'three']);
      // One report for the whole spell, not one per retry.
      expect(errors).toHaveLength(1);
    } finally {
      failing.close();
    }
  });
});
