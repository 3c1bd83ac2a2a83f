/**
 * SPEC §10 retention: the sweep (at boot, then every [retention] sweep_interval) deletes messages,
 * outbox rows, task runs and session events older than their TTL — never a message still waiting
 * for its turn, never an undelivered reply — then gives the space back (the events.db file shrinks),
 * and caps per-turn logs by age and count with a warning when the cap is near. Rows are aged
 * directly in the real SQLite files while the daemon is stopped; the real daemon then sweeps them.
 */
import { mkdirSync, readFileSync, statSync, utimesSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHome, startDaemon, testConfig, waitFor, type TestHome } from '../helpers/harness.js';
import { events, newSession, reply } from '../helpers/sessions.js';

const DAY = 86_400_000;
const CONFIG = testConfig(
  0,
  `
[limits]
turn_timeout = "20s"
agent_memory_mb = 200

[retention]
messages_days = 90
events_days = 30
run_logs_days = 14
error_artifacts_max = 5
sweep_interval = "2s"
`,
);
const OLD_EVENTS = 20_000;

type LogLine = Record<string, unknown> & { msg: string };

function logLines(h: TestHome): LogLine[] {
  return readFileSync(join(h.home, 'logs', 'agentforge.log'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as LogLine);
}

const dbSize = (file: string): number =>
  statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0);

describe('the retention sweep', () => {
  let h: TestHome;
  let sessionId: string;
  let eventsFile: string;
  let eventsBefore: number;
  let freshEvents: number;
  let sweep: LogLine;
  const now = Date.now();
  const logsDir = (g: string): string => join(h.home, 'groups', g, 'logs');

  beforeAll(async () => {
    h = makeHome();
    h.writeConfig(CONFIG);
    await startDaemon(h);
    sessionId = await newSession(h);
    expect(await reply(h, sessionId, 'echo fresh-turn')).toBe('fresh-turn');
    const t = await h.run(['task', 'add', '--every', '1h', '-o', 'json', '--', 'echo', 'x']);
    expect(t.code, t.stderr).toBe(0);
    const taskId = (JSON.parse(t.stdout) as { id: string }).id;
    const stop = await h.run(['daemon', 'stop']);
    expect(stop.code, stop.stderr).toBe(0);

    // --- age rows in the global database
    const db = new Database(join(h.home, 'agentforge.db'));
    const msg = db.prepare(
      `INSERT INTO messages (channel, chat_id, message_id, group_folder, sender_id, text, ts, triggered, status, next_attempt_at)
       VALUES ('telegram', '-100', ?, 'cli', '111', ?, ?, 1, ?, ?)`,
    );
    const old = now - 200 * DAY;
    const later = now + 10 * DAY; // not due: nothing processes these during the test
    msg.run('old-done', 'old done', old, 'done', 0);
    msg.run('old-failed', 'old failed', old, 'failed', 0);
    msg.run('old-context', 'old context', old, 'context', 0);
    msg.run('old-queued', 'still waiting for its turn', old, 'queued', later);
    msg.run('fresh-done', 'fresh done', now - DAY, 'done', 0);
    const out = db.prepare(
      `INSERT INTO outbox (channel, chat_id, group_folder, text, source, status, next_attempt_at, created_at)
       VALUES ('telegram', '-100', 'cli', ?, 'agent', ?, ?, ?)`,
    );
    out.run('old sent', 'sent', 0, old);
    out.run('old failed', 'failed', 0, old);
    out.run('old pending', 'pending', later, old);
    out.run('fresh sent', 'sent', 0, now - DAY);
    const run = db.prepare(
      'INSERT INTO task_runs (task_id, scheduled_for, due_at, status, result_excerpt) VALUES (?, ?, ?, ?, ?)',
    );
    run.run(taskId, old, old, 'ok', 'old-ok');
    run.run(taskId, now - 30 * DAY, now - 30 * DAY, 'failed', 'old-failed');
    run.run(taskId, now - 20 * DAY, now - 20 * DAY, 'missed', 'old-missed');
    run.run(taskId, now - DAY, now - DAY, 'ok', 'fresh-ok');
    const code = db.prepare(
      `INSERT INTO pairing_codes (code, channel, user_id, chat_id, created_at, expires_at)
       VALUES (?, 'telegram', '7', '7', ?, ?)`,
    );
    code.run('EXPIRED1', now - 5 * DAY, now - 3 * DAY);
    code.run('VALID001', now, now + DAY);
    db.close();

    // --- a large, mostly old event log
    eventsFile = join(h.home, 'sessions', sessionId, 'events.db');
    const edb = new Database(eventsFile);
    // What the real turn (and the agent's exit at stop) logged: all of it is fresh and must stay.
    freshEvents = (edb.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    expect(freshEvents).toBeGreaterThan(2);
    const ins = edb.prepare('INSERT INTO events (ts, turn, kind, data) VALUES (?, NULL, ?, ?)');
    const data = JSON.stringify({ sessionUpdate: 'agent_message_chunk', text: 'x'.repeat(400) });
    edb.transaction(() => {
      for (let i = 0; i < OLD_EVENTS; i++) ins.run(now - 60 * DAY + i, 'update', data);
    })();
    edb.pragma('wal_checkpoint(TRUNCATE)');
    edb.close();
    eventsBefore = dbSize(eventsFile);
    expect(eventsBefore).toBeGreaterThan(8_000_000);

    // --- per-turn logs: 8 recent + 2 past run_logs_days in cli, the newest of all in another group
    mkdirSync(logsDir('cli'), { recursive: true });
    mkdirSync(logsDir('ops'), { recursive: true });
    const touch = (file: string, ageMs: number): void => {
      writeFileSync(file, 'turn log\n');
      const t = (now - ageMs) / 1000;
      utimesSync(file, t, t);
    };
    for (let i = 1; i <= 8; i++) touch(join(logsDir('cli'), `turn-${i}.log`), i * 60_000);
    touch(join(logsDir('cli'), 'ancient-a.log'), 20 * DAY);
    touch(join(logsDir('cli'), 'ancient-b.log'), 21 * DAY);
    touch(join(logsDir('ops'), 'newest.log'), 1_000);

    // The first run swept an empty home already: only lines after this restart count.
    const skip = logLines(h).length;
    await startDaemon(h);
    sweep = await waitFor(
      () =>
        logLines(h)
          .slice(skip)
          .find((l) => l.msg === 'retention sweep done'),
      20_000,
      'the boot-time retention sweep',
    );
  }, 60_000);

  afterAll(async () => {
    await h.run(['daemon', 'stop']);
    await h.cleanup();
  });

  const query = <T>(sql: string): T[] => {
    const db = new Database(join(h.home, 'agentforge.db'), { readonly: true });
    try {
      return db.prepare(sql).all() as T[];
    } finally {
      db.close();
    }
  };

  it('deletes finished messages past messages_days but never a queued one', () => {
    const rows = query<{ message_id: string; status: string }>(
      "SELECT message_id, status FROM messages WHERE chat_id = '-100' ORDER BY message_id",
    );
    expect(rows).toEqual([
      { message_id: 'fresh-done', status: 'done' },
      { message_id: 'old-queued', status: 'queued' },
    ]);
    expect(sweep['messages']).toBe(3);
  });

  it('deletes sent and failed outbox rows past the TTL but keeps an undelivered one', () => {
    const rows = query<{ text: string; status: string }>('SELECT text, status FROM outbox ORDER BY text');
    expect(rows).toEqual([
      { text: 'fresh sent', status: 'sent' },
      { text: 'old pending', status: 'pending' },
    ]);
    expect(sweep['outbox']).toBe(2);
  });

  it('deletes task runs past run_logs_days and keeps recent ones', () => {
    const rows = query<{ result_excerpt: string }>(
      'SELECT result_excerpt FROM task_runs WHERE result_excerpt IS NOT NULL ORDER BY id',
    );
    expect(rows.map((r) => r.result_excerpt)).toEqual(['fresh-ok']);
    expect(sweep['taskRuns']).toBe(3);
    expect(query<{ code: string }>('SELECT code FROM pairing_codes')).toEqual([{ code: 'VALID001' }]);
  });

  it('deletes old session events, keeps the fresh ones, and the events.db file shrinks', async () => {
    expect(sweep['events']).toBe(OLD_EVENTS);
    const after = dbSize(eventsFile);
    expect(after).toBeLessThan(eventsBefore / 4);
    const edb = new Database(eventsFile, { readonly: true });
    try {
      expect(edb.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(edb.prepare('SELECT COUNT(*) AS n FROM events').get()).toEqual({ n: freshEvents });
    } finally {
      edb.close();
    }
    // The session still works and its history is intact.
    const evs = await events(h, sessionId);
    expect(evs).toHaveLength(freshEvents);
    expect(await reply(h, sessionId, 'echo after-sweep')).toBe('after-sweep');
  });

  it('caps per-turn logs by age and count across groups, and warns near the cap', () => {
    const kept = [
      ...readdirSync(logsDir('cli')).map((f) => `cli/${f}`),
      ...readdirSync(logsDir('ops')).map((f) => `ops/${f}`),
    ].sort();
    // The five newest survive: ops/newest.log and cli/turn-1…4; the rest is pruned.
    expect(kept).toEqual([
      'cli/turn-1.log',
      'cli/turn-2.log',
      'cli/turn-3.log',
      'cli/turn-4.log',
      'ops/newest.log',
    ]);
    expect(sweep['turnLogs']).toBe(6);
    expect(sweep['turnLogsKept']).toBe(5);
    const warn = logLines(h).find((l) => l.msg.includes('near their cap'));
    expect(warn).toMatchObject({ level: 40, kept: 5, cap: 5 });
  });

  it('runs again every sweep_interval while the daemon runs', async () => {
    const db = new Database(join(h.home, 'agentforge.db'));
    db.prepare(
      `INSERT INTO messages (channel, chat_id, message_id, group_folder, text, ts, status)
       VALUES ('telegram', '-200', 'late-old', 'cli', 'aged while running', ?, 'done')`,
    ).run(now - 120 * DAY);
    db.close();
    await waitFor(
      () => query("SELECT 1 FROM messages WHERE chat_id = '-200'").length === 0,
      10_000,
      'a periodic sweep to delete the row',
    );
    // The log line follows the delete and pino writes it asynchronously: wait for it.
    await waitFor(
      () => logLines(h).filter((l) => l.msg === 'retention sweep done').length > 1,
      10_000,
      'a second "retention sweep done" line',
    );
  });
});
