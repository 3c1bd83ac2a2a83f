import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { GLOBAL_MIGRATIONS } from '../store/migrations/index.js';
import { sweepRetention, type SweepReport } from './retention.js';

const DAY = 86_400_000;
const open: Db[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function home(): { root: string; db: Db; sessions: string; groups: string } {
  const root = mkdtempSync(join(tmpdir(), 'af-ret-'));
  dirs.push(root);
  const db = openDatabase(join(root, 'agentforge.db'));
  open.push(db);
  migrate(db, GLOBAL_MIGRATIONS, 'test');
  return { root, db, sessions: join(root, 'sessions'), groups: join(root, 'groups') };
}

/** A session's events.db as the EventLog lays it out, with one old and one new event. */
function eventLog(sessions: string, id: string, now: number): string {
  mkdirSync(join(sessions, id), { recursive: true });
  const file = join(sessions, id, 'events.db');
  const db = openDatabase(file);
  db.exec(
    'CREATE TABLE events (seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, turn INTEGER, kind TEXT NOT NULL, data TEXT NOT NULL)',
  );
  const insert = db.prepare("INSERT INTO events (ts, turn, kind, data) VALUES (?, NULL, ?, 'null')");
  insert.run(now - 40 * DAY, 'old');
  insert.run(now, 'new');
  db.close();
  return file;
}

const kinds = (file: string): string[] => {
  const db = openDatabase(file, { readonly: true });
  try {
    return (db.prepare('SELECT kind FROM events ORDER BY seq').all() as Array<{ kind: string }>).map(
      (r) => r.kind,
    );
  } finally {
    db.close();
  }
};

type Line = { level: number; msg: string; file?: string };

function capture(): { log: pino.Logger; lines: Line[] } {
  const lines: Line[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });
  return { log, lines };
}

const policy = { messages_days: 90, events_days: 30, run_logs_days: 14, error_artifacts_max: 200 };

const sweep = (h: ReturnType<typeof home>, log: pino.Logger, now: number): SweepReport =>
  sweepRetention({ db: h.db, sessionsDir: h.sessions, groupsDir: h.groups, policy, log, now });

describe('the retention sweep over session event logs', () => {
  it('skips an events.db another process holds locked, sweeps the others, and gets it next time', () => {
    const h = home();
    const now = Date.now();
    const free = eventLog(h.sessions, 'a', now);
    const locked = eventLog(h.sessions, 'b', now);
    const holder = openDatabase(locked);
    open.push(holder);
    holder.exec('BEGIN EXCLUSIVE');
    const { log, lines } = capture();

    const first = sweep(h, log, now);
    expect(first.events).toBe(1);
    expect(first.eventLogsSkipped).toBe(1);
    expect(kinds(free)).toEqual(['new']);
    const warning = lines.find((l) => l.file === locked);
    expect(warning?.level).toBe(40);
    expect(warning?.msg).toContain('swept next time');
    expect(lines.some((l) => l.msg === 'retention sweep done')).toBe(true);

    holder.exec('COMMIT');
    const second = sweep(h, log, now);
    expect(second).toMatchObject({ events: 1, eventLogsSkipped: 0 });
    expect(kinds(locked)).toEqual(['new']);
  });

  it('logs an events.db it cannot read as an error and goes on with the rest', () => {
    const h = home();
    const now = Date.now();
    const good = eventLog(h.sessions, 'a', now);
    mkdirSync(join(h.sessions, 'b'), { recursive: true });
    const bad = join(h.sessions, 'b', 'events.db');
    openDatabase(bad).close(); // a file with no events table
    const { log, lines } = capture();

    const report = sweep(h, log, now);
    expect(report).toMatchObject({ events: 1, eventLogsSkipped: 1 });
    expect(kinds(good)).toEqual(['new']);
    expect(lines.find((l) => l.file === bad)?.level).toBe(50);
  });
});
