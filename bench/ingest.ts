/**
 * ACP event ingest, two ways, each against the raw ceiling measured in the same run (the very same
 * rows inserted into a fresh SQLite file with the same schema, 500 per transaction):
 * - the event log itself (EventLog.append as the ACP client calls it, updates arriving 100 per
 *   event-loop turn, committed in per-turn batches) — our persistence overhead;
 * - end to end: a demo agent streams N chunks in one turn over real ACP; everything included
 *   (the agent process, JSON-RPC, schema validation, the log).
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { EVENT_MIGRATIONS, EventLog } from '../src/sessions/event-log.js';
import { migrate } from '../src/store/migrate.js';
import { benchHome, cli, round, startForeground, stop, waitReady } from './lib.js';

export async function eventLogIngest(
  n: number,
): Promise<{ events: number; perSecond: number; rawPerSecond: number; ratio: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'af-ingest-'));
  try {
    const log = new EventLog(join(dir, 'events.db'));
    const update = (i: number) => ({
      sessionUpdate: 'agent_message_chunk',
      content: { type: 'text', text: `chunk ${i}\n` },
    });
    const t0 = performance.now();
    for (let i = 0; i < n; i += 100) {
      for (let j = i; j < Math.min(n, i + 100); j++) log.append('update', update(j), 1);
      await new Promise((r) => setImmediate(r));
    }
    log.flush();
    const ms = performance.now() - t0;
    log.close();
    const rows = readEvents(dir, '', 0);
    const raw = rawInsert(dir, rows);
    const perSecond = n / (ms / 1000);
    return {
      events: n,
      perSecond: round(perSecond, 0),
      rawPerSecond: round(raw, 0),
      ratio: round(perSecond / raw, 3),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function ingest(
  chunks: number,
): Promise<{ events: number; perSecond: number; rawPerSecond: number; ratio: number }> {
  const h = benchHome('[http]\nport = 0\n[limits]\nmax_output_bytes = 1000000000\n');
  const d = startForeground(h);
  try {
    await waitReady(h);
    const s = (await cli(h, ['session', 'new'])).stdout.trim();
    await cli(h, ['session', 'prompt', s, 'echo warm']);
    const before = countEvents(h.home, s);
    const t0 = performance.now();
    const r = await cli(h, ['session', 'prompt', s, `stream ${chunks}`]);
    const ms = performance.now() - t0;
    if (r.code !== 0) throw new Error(`stream turn failed: ${r.stdout}`);
    const rows = readEvents(h.home, s, before);
    const perSecond = rows.length / (ms / 1000);
    const raw = rawInsert(h.home, rows);
    return {
      events: rows.length,
      perSecond: round(perSecond, 0),
      rawPerSecond: round(raw, 0),
      ratio: round(perSecond / raw, 3),
    };
  } finally {
    await stop(d);
    h.cleanup();
  }
}

type Row = { ts: number; turn: number | null; kind: string; data: string };

function countEvents(home: string, s: string): number {
  const db = new Database(join(home, 'sessions', s, 'events.db'), { readonly: true });
  try {
    return (db.prepare('SELECT MAX(seq) AS n FROM events').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function readEvents(home: string, s: string, after: number): Row[] {
  const db = new Database(s === '' ? join(home, 'events.db') : join(home, 'sessions', s, 'events.db'), {
    readonly: true,
  });
  try {
    return db.prepare('SELECT ts, turn, kind, data FROM events WHERE seq > ?').all(after) as Row[];
  } finally {
    db.close();
  }
}

/** Rows per second for the same rows, same schema and pragmas, 500 per transaction. */
function rawInsert(home: string, rows: readonly Row[]): number {
  const db = new Database(join(home, 'raw-ingest.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  migrate(db, EVENT_MIGRATIONS, 'raw');
  const insert = db.prepare('INSERT INTO events (ts, turn, kind, data) VALUES (?, ?, ?, ?)');
  const batch = db.transaction((slice: readonly Row[]) => {
    for (const r of slice) insert.run(r.ts, r.turn, r.kind, r.data);
  });
  const t0 = performance.now();
  for (let i = 0; i < rows.length; i += 500) batch(rows.slice(i, i + 500));
  const ms = performance.now() - t0;
  db.close();
  return rows.length / (ms / 1000);
}
