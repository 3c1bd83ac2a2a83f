/**
 * Shared pieces of the reliability suite (test/chaos/): mode and scale (quick for CI, CHAOS_LONG=1
 * for more), a seeded random source whose seed is printed so a failing run can be replayed
 * (CHAOS_SEED=…), probes of a running daemon with their latency, read-only views of its database
 * and event logs, /proc samples of a process, and the fuzz files' common pieces (fast-check
 * parameters, run counts, JSON noise, a migrated database file).
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll } from 'vitest';
import { udsRequest } from '../../src/net/uds-http.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { GLOBAL_MIGRATIONS } from '../../src/store/migrations/index.js';
import { waitFor, type TestHome } from './harness.js';
import { apiToken, socketPath } from './sessions.js';

export const LONG = process.env['CHAOS_LONG'] === '1';
export const SOAK = process.env['CHAOS_SOAK'] === '1';

/** The quick count, or the long one under CHAOS_LONG=1. */
export function scaled(quick: number, long: number): number {
  return LONG ? long : quick;
}

/** A small seeded PRNG (mulberry32): the same seed replays the same run. */
export type Rng = { readonly seed: number; next(): number; int(lo: number, hi: number): number };

export function rng(label: string): Rng {
  const fromEnv = Number(process.env['CHAOS_SEED']);
  const seed = Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : Math.floor(Math.random() * 2 ** 31);
  console.log(`${label}: seed ${seed} (replay with CHAOS_SEED=${seed})`);
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)) };
}

export type Probe = { status: number; ms: number; body: string };

/** One request to the daemon's socket, timed; `auth` adds the API token. */
export async function probe(h: TestHome, path: string, auth = false, timeoutMs = 5_000): Promise<Probe> {
  const t0 = performance.now();
  const r = await udsRequest({
    socketPath: socketPath(h),
    path,
    timeoutMs,
    ...(auth ? { token: apiToken(h) } : {}),
  });
  return { status: r.status, ms: performance.now() - t0, body: r.body };
}

export async function waitReady(h: TestHome, timeoutMs = 30_000, what = '/readyz 200'): Promise<void> {
  await waitFor(
    async () => (await probe(h, '/readyz').catch(() => ({ status: 0 }))).status === 200,
    timeoutMs,
    what,
  );
}

/**
 * Probes /healthz and /api/status every `everyMs` until `until` settles; returns the slowest answer
 * of each. A probe that fails outright counts as Infinity.
 */
export async function probeWhile(
  h: TestHome,
  until: Promise<unknown>,
  everyMs = 200,
): Promise<{ healthz: number; status: number; samples: number; failures: string[] }> {
  let done = false;
  void until.then(
    () => (done = true),
    () => (done = true),
  );
  const worst = { healthz: 0, status: 0, samples: 0, failures: [] as string[] };
  const deadline = Date.now() + 120_000;
  while (!done && Date.now() < deadline) {
    for (const [key, path, auth] of [
      ['healthz', '/healthz', false],
      ['status', '/api/status', true],
    ] as const) {
      const p = await probe(h, path, auth).catch((err: Error) => {
        worst.failures.push(`${path}: ${err.message}`);
        return { status: 0, ms: Infinity, body: '' };
      });
      if (p.status !== 200) worst.failures.push(`${path}: HTTP ${p.status}`);
      worst[key] = Math.max(worst[key], p.ms);
    }
    worst.samples++;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return worst;
}

/** A request with a raw body (not necessarily JSON) to the daemon's socket. */
export function rawRequest(
  h: TestHome,
  method: string,
  path: string,
  body: string | undefined,
  headers: Readonly<Record<string, string>> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: socketPath(h),
        method,
        path,
        headers: {
          host: 'localhost',
          authorization: `Bearer ${apiToken(h)}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path}`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/**
 * Runs `fn` on a read-only view of a SQLite file. A journal or WAL left behind by a kill -9 may
 * need recovery, which a read-only connection cannot do ("attempt to write a readonly database"):
 * then `fn` reads a copy of the file with its journal or WAL, so the test never writes the daemon's
 * own files.
 */
export function readSqlite<T>(path: string, fn: (db: Database.Database) => T): T {
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  } catch (err) {
    const code = String((err as { code?: unknown }).code);
    if (!code.startsWith('SQLITE_READONLY') && !/readonly database/.test(String(err))) throw err;
  }
  const dir = mkdtempSync(join(tmpdir(), 'af-chaos-db-'));
  try {
    const copy = join(dir, 'copy.db');
    copyFileSync(path, copy);
    for (const side of ['-wal', '-journal'])
      if (existsSync(`${path}${side}`)) copyFileSync(`${path}${side}`, `${copy}${side}`);
    const db = new Database(copy, { fileMustExist: true });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Opens <home>/agentforge.db read-only for one query. */
export function withDb<T>(home: string, fn: (db: Database.Database) => T): T {
  return readSqlite(join(home, 'agentforge.db'), fn);
}

export type TaskRunRow = {
  id: number;
  task_id: string;
  scheduled_for: number;
  attempt: number;
  status: string;
  started_at: number | null;
  error: string | null;
};

export function taskRuns(home: string): TaskRunRow[] {
  return withDb(home, (db) => db.prepare('SELECT * FROM task_runs ORDER BY id').all() as TaskRunRow[]);
}

/**
 * Occurrences of a task that were executed more than once: per (task, scheduled_for), more than
 * one first attempt that ran (ok, failed or running), or an attempt number used twice. Retries
 * (attempt > 1 after a failed run) are not a second execution.
 */
export function executedTwice(runs: readonly TaskRunRow[]): string[] {
  const byOccurrence = new Map<string, TaskRunRow[]>();
  for (const r of runs) {
    const key = `${r.task_id}@${new Date(r.scheduled_for).toISOString()}`;
    byOccurrence.set(key, [...(byOccurrence.get(key) ?? []), r]);
  }
  const twice: string[] = [];
  for (const [key, rows] of byOccurrence) {
    const ran = rows.filter((r) => r.attempt === 1 && ['ok', 'failed', 'running'].includes(r.status));
    const attempts = rows.map((r) => r.attempt);
    if (
      ran.length > 1 ||
      new Set(attempts).size !== attempts.length ||
      rows.filter((r) => r.status === 'ok').length > 1
    )
      twice.push(`${key}: ${JSON.stringify(rows.map((r) => [r.attempt, r.status]))}`);
  }
  return twice;
}

/** How many times each prompt text reached an agent, over every session's event log. */
export function promptsSent(home: string): Map<string, number> {
  const counts = new Map<string, number>();
  const dir = join(home, 'sessions');
  if (!existsSync(dir)) return counts;
  for (const id of readdirSync(dir)) {
    const path = join(dir, id, 'events.db');
    if (!existsSync(path)) continue;
    readSqlite(path, (db) => {
      // A session created just before a kill -9 may have an events.db without its schema yet.
      if (db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'events'").get() === undefined) return;
      for (const { data } of db.prepare("SELECT data FROM events WHERE kind = 'prompt'").all() as Array<{
        data: string;
      }>) {
        const text = (JSON.parse(data) as { text: string }).text;
        counts.set(text, (counts.get(text) ?? 0) + 1);
      }
    });
  }
  return counts;
}

/** Resident memory (kB) and open file descriptors of a live process (Linux /proc). */
export function procSample(pid: number): { rssKb: number; fds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
  return { rssKb, fds: readdirSync(`/proc/${pid}/fd`).length };
}

/**
 * fast-check parameters for the fuzz files: `quick` runs (×5 with CHAOS_LONG=1), and the seed
 * from CHAOS_SEED when one is given, so a printed failure can be replayed.
 */
export function fuzzParams(quick: number): { numRuns: number; seed?: number } {
  const fromEnv = Number(process.env['CHAOS_SEED']);
  // fast-check prints negative seeds too: any non-zero integer replays.
  const seed = Number.isInteger(fromEnv) && fromEnv !== 0 ? fromEnv : undefined;
  return { numRuns: scaled(quick, quick * 5), ...(seed === undefined ? {} : { seed }) };
}

/** Any JSON value, a few levels deep: the noise mixed into every fuzzed input. */
export const anyJson = fc.jsonValue({ maxDepth: 3 });

/**
 * Counts the runs of each property in a fuzz file and prints them when the file ends, so a log
 * shows the properties were not vacuous (and how far CHAOS_LONG took them).
 */
export function runCounter(file: string): (property: string) => void {
  const runs: Record<string, number> = {};
  afterAll(() => {
    console.log(
      `${file} (${LONG ? 'long' : 'quick'}): ${Object.entries(runs)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
    );
  });
  return (property) => void (runs[property] = (runs[property] ?? 0) + 1);
}

/** A global-schema database file `<dir>/<name>.db`, migrated by the real migrations. */
export function migratedDb(dir: string, name: string): Db {
  const db = openDatabase(join(dir, `${name}.db`));
  migrate(db, GLOBAL_MIGRATIONS, name);
  return db;
}
