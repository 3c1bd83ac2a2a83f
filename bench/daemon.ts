/** Daemon-level figures: cold start to ready, idle RSS and timer wakeups, status and chat latency. */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BIN,
  ROOT,
  benchHome,
  cli,
  percentile,
  round,
  rssMb,
  startForeground,
  stop,
  waitReady,
} from './lib.js';

const PROBE = join(ROOT, 'test/fixtures/timer-probe.mjs');

/**
 * From spawning `daemon start --foreground` to the first 200 from /readyz, median of `runs`: in an
 * existing home (a restart, the usual start: the databases exist) and, separately, the very first
 * start of a new home (which also creates and migrates every database: a few fsyncs each).
 */
export async function coldStart(
  runs: number,
): Promise<{ medianMs: number; maxMs: number; firstMedianMs: number }> {
  const times: number[] = [];
  const first: number[] = [];
  for (let i = 0; i < runs; i++) {
    const h = benchHome('[http]\nport = 0\n');
    await cli(h, ['init']);
    try {
      for (const into of [first, times]) {
        const d = startForeground(h);
        try {
          into.push(await waitReady(h, 20_000, 2));
        } finally {
          await stop(d);
        }
      }
    } finally {
      h.cleanup();
    }
  }
  times.sort((a, b) => a - b);
  first.sort((a, b) => a - b);
  return {
    medianMs: round(percentile(times, 50), 1),
    maxMs: round(times[times.length - 1] ?? NaN, 1),
    firstMedianMs: round(percentile(first, 50), 1),
  };
}

/**
 * What Node itself takes, idle, as the daemon's RSS is read: bare, and with what no daemon of ours
 * can do without: an HTTP server and the Web Response class (Hono's node adapter takes Request and
 * Response from undici at import, and Node loads undici whole), then also SQLite (better-sqlite3
 * with one database in WAL mode). The target is judged against these.
 */
export async function nodeFloors(): Promise<{ bareMb: number; httpMb: number; sqliteMb: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'af-floor-'));
  const measure = async (code: string): Promise<number> => {
    const child = spawn(process.execPath, ['-e', `${code}; setInterval(() => {}, 1e9)`], {
      stdio: 'ignore',
      cwd: ROOT, // where require('better-sqlite3') resolves
    });
    try {
      await sleep(1_500);
      return round(rssMb(child.pid as number), 1);
    } finally {
      child.kill('SIGKILL');
    }
  };
  const http = "new Response('x'); require('node:http').createServer().listen(0, '127.0.0.1')";
  const sqlite = `const db = new (require('better-sqlite3'))(${JSON.stringify(join(dir, 'floor.db'))}); db.pragma('journal_mode = WAL'); db.exec('CREATE TABLE t (a)'); db.prepare('SELECT * FROM t').all()`;
  try {
    return {
      bareMb: await measure('0'),
      httpMb: await measure(http),
      sqliteMb: await measure(`${http}; ${sqlite}`),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function idle(
  seconds: number,
): Promise<{ rssMb: number; anonMb: number; wakeups: number; seconds: number }> {
  const h = benchHome('[http]\nport = 0\n');
  const log = join(h.home, 'timers.jsonl');
  const d = startForeground(h, { NODE_OPTIONS: `--import ${PROBE}`, AF_TIMER_LOG: log });
  try {
    await waitReady(h);
    await sleep(2_000); // boot-time work (retention sweep, first timers) settles
    const from = Date.now();
    await sleep(seconds * 1000);
    const lines = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
    const wakeups = lines
      .map((l) => JSON.parse(l) as { t: number; kind: string })
      .filter((r) => r.t >= from && r.kind !== 'setImmediate').length;
    return {
      rssMb: round(rssMb(d.pid as number), 1),
      anonMb: round(rssMb(d.pid as number, 'RssAnon'), 1),
      wakeups,
      seconds,
    };
  } finally {
    await stop(d);
    h.cleanup();
  }
}

/** `agentforge status -o json` wall time, and a bare `node -e 0` in the same run: the floor. */
export async function statusLatency(
  runs: number,
): Promise<{ medianMs: number; p90Ms: number; bareNodeMs: number }> {
  const h = benchHome('[http]\nport = 0\n');
  const d = startForeground(h);
  try {
    await waitReady(h);
    await cli(h, ['status', '-o', 'json']); // the compile cache is written by the first run
    const times: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < runs; i++) {
      times.push((await cli(h, ['status', '-o', 'json'])).ms);
      bare.push(await bareNode());
    }
    times.sort((a, b) => a - b);
    bare.sort((a, b) => a - b);
    return {
      medianMs: round(percentile(times, 50), 1),
      p90Ms: round(percentile(times, 90), 1),
      bareNodeMs: round(percentile(bare, 50), 1),
    };
  } finally {
    await stop(d);
    h.cleanup();
  }
}

function bareNode(): Promise<number> {
  const t0 = performance.now();
  return new Promise((done) => {
    execFile(process.execPath, ['-e', '0'], () => done(performance.now() - t0));
  });
}

/** From pressing enter in `agentforge chat` to the first streamed chunk on its stdout (cold agent). */
export async function chatFirstToken(runs: number): Promise<{ medianMs: number; maxMs: number }> {
  const h = benchHome('[http]\nport = 0\n');
  const d = startForeground(h);
  try {
    await waitReady(h);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const chat = spawn(process.execPath, [BIN, 'chat'], { env: h.env, stdio: ['pipe', 'pipe', 'ignore'] });
      const first = new Promise<number>((resolve) => {
        let t0 = 0;
        let buf = '';
        chat.stdout.on('data', (c: Buffer) => {
          buf += c.toString();
          if (t0 === 0) return; // not typed yet
          if (buf.includes('chunk 1')) resolve(performance.now() - t0);
        });
        // The prompt is typed once the chat is up (it prints nothing on a non-TTY): give it a moment.
        void sleep(400).then(() => {
          t0 = performance.now();
          buf = '';
          chat.stdin.write('stream 3\n');
        });
      });
      times.push(await Promise.race([first, sleep(20_000).then(() => NaN)]));
      chat.stdin.end();
      await new Promise((r) => chat.once('exit', r));
    }
    const ok = times.filter((t) => !Number.isNaN(t)).sort((a, b) => a - b);
    return { medianMs: round(percentile(ok, 50), 1), maxMs: round(ok[ok.length - 1] ?? NaN, 1) };
  } finally {
    await stop(d);
    h.cleanup();
  }
}
