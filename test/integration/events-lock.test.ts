/**
 * Security audit, finding 13: another process holding a lock on one session's events.db made every
 * access wait the 5 s busy timeout (better-sqlite3 is synchronous: the whole daemon waited) and the
 * Telegram poller was reported stalled. Now one session's locked file never stops the others: its
 * appends wait in memory and are committed, all of them and in order, once the lock is released,
 * and reads of it do not wait (WAL readers are not blocked by a writer; a read that does find the
 * file busy is a 503, see the EventLog unit test).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeHome, startDaemon, testConfig, waitFor, type TestHome } from '../helpers/harness.js';
import { api, apiEvents, apiReply, newSession } from '../helpers/sessions.js';

/**
 * A second process (python3's sqlite3 module) that takes the file's write lock with BEGIN
 * EXCLUSIVE, says "locked", and holds it until told to let go on stdin.
 */
const LOCKER = `
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute('BEGIN EXCLUSIVE')
c.execute("INSERT INTO events (ts, turn, kind, data) SELECT 0, NULL, 'x', 'null' WHERE 0")
print('locked', flush=True)
sys.stdin.readline()
c.execute('COMMIT')
c.close()
print('released', flush=True)
`;

type Locker = { child: ChildProcess; release: () => Promise<void> };

async function lock(file: string): Promise<Locker> {
  const child = spawn('python3', ['-c', LOCKER, file], { stdio: ['pipe', 'pipe', 'inherit'] });
  // A locker that already exited (its exit is reported by `said`) must not fail the run with EPIPE.
  child.stdin.on('error', () => undefined);
  const lines = createInterface({ input: child.stdout });
  const said = (word: string): Promise<void> =>
    new Promise((resolve, reject) => {
      lines.on('line', (l) => l.trim() === word && resolve());
      child.once('exit', (code) => reject(new Error(`locker exited ${code} before "${word}"`)));
    });
  const locked = said('locked');
  const released = said('released');
  await locked;
  return {
    child,
    release: async () => {
      child.stdin.write('go\n');
      await released;
    },
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - t0 };
}

describe('a locked events.db stalls nothing', () => {
  let h: TestHome;
  let locked: string;
  let other: string;
  let locker: Locker | undefined;
  beforeAll(async () => {
    h = makeHome();
    // A sweep every second, so that one runs while the file is locked: it deletes from every
    // events.db, and once waited on this one with the whole daemon.
    h.writeConfig(testConfig(0, '\n[limits]\nidle_timeout = "30m"\n[retention]\nsweep_interval = "1s"\n'));
    await startDaemon(h);
    locked = await newSession(h);
    other = await newSession(h);
    expect(await apiReply(h, locked, 'echo before')).toBe('before');
    expect(await apiReply(h, other, 'echo warm')).toBe('warm');
  });
  afterEach(async () => {
    if (locker !== undefined && locker.child.exitCode === null) await locker.release();
    locker = undefined;
  });
  afterAll(async () => {
    await h.run(['daemon', 'stop']);
    await h.cleanup();
  });

  it('other sessions answer promptly and /healthz stays fast; after the release no event is lost', async () => {
    const before = await apiEvents(h, locked);
    locker = await lock(join(h.home, 'sessions', locked, 'events.db'));

    // A retention sweep meets the lock (it deletes from every events.db): it skips the file.
    const logFile = join(h.home, 'logs', 'agentforge.log');
    const skipped = (): boolean =>
      readFileSync(logFile, 'utf8')
        .split('\n')
        .some((l) => l.includes('"events.db is locked by another process') && l.includes(locked));
    await waitFor(() => skipped() || undefined, 15_000, 'a retention sweep to skip the locked events.db');

    // The locked session runs a turn: its events have nowhere to go but memory.
    const lockedTurn = apiReply(h, locked, 'stream 20');
    for (let i = 0; i < 3; i++) {
      const r = await timed(() => apiReply(h, other, `echo other-${i}`));
      expect(r.value).toBe(`other-${i}`);
      expect(r.ms).toBeLessThan(2_500); // the audit saw 5 s per access
      const health = await timed(() => api(h, 'GET', '/healthz'));
      expect(health.value.status).toBe(200);
      expect(health.ms).toBeLessThan(1_000);
    }
    expect(await lockedTurn).toContain('chunk 20');

    await locker.release();
    const after = await waitFor(
      async () => {
        const evs = await apiEvents(h, locked);
        return evs.some((e) => e.kind === 'turn_end' && e.turn === 2) ? evs : undefined;
      },
      15_000,
      'the kept events to be committed',
    );
    const seqs = after.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(after.slice(0, before.length)).toEqual(before);
    const turn2 = after.filter((e) => e.turn === 2);
    const chunks = turn2
      .filter((e) => e.kind === 'update')
      .map((e) => (e.data['content'] as { text?: string } | undefined)?.text ?? '')
      .join('');
    for (let i = 1; i <= 20; i++) expect(chunks).toContain(`chunk ${i}`);
    expect(turn2[0]?.kind).toBe('prompt');
    expect(turn2[turn2.length - 1]?.kind).toBe('turn_end');
    expect(after.some((e) => e.kind === 'events_lost')).toBe(false);
    // And the daemon is still the one we started, serving both sessions.
    expect(await apiReply(h, locked, 'echo after')).toBe('after');
  });

  it('reads of the locked session do not wait for the lock: its committed events answer at once', async () => {
    const committed = await apiEvents(h, locked);
    locker = await lock(join(h.home, 'sessions', locked, 'events.db'));
    const r = await timed(() => api(h, 'GET', `/api/sessions/${locked}/events`));
    expect(r.value.status).toBe(200);
    expect((r.value.json() as { events: unknown[] }).events).toHaveLength(Math.min(committed.length, 1000));
    expect(r.ms).toBeLessThan(1_000);
    const cli = await h.run(['session', 'events', locked, '-o', 'json']);
    expect(cli.code, cli.stderr).toBe(0);
    await locker.release();
  });
});
