/**
 * What a session costs: the daemon's time per turn against a bare ACP client driving the same demo
 * agent (interleaved turn by turn in one run, so the machine's load falls on both), and the memory
 * of a live idle session (daemon + agent processes with N idle sessions against none).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { client, ndJsonStream, PROTOCOL_VERSION } from '@agentclientprotocol/sdk';
import { udsRequest } from '../src/net/uds-http.js';
import { groupRssBytes } from '../src/sessions/memory-watch.js';
import {
  ROOT,
  benchHome,
  percentile,
  round,
  startForeground,
  stop,
  waitReady,
  type BenchHome,
} from './lib.js';

const DEMO = join(ROOT, 'dist/demo-agent/main.js');
const TURN = 'echo hi';

type Api = <T>(method: string, path: string, body?: unknown) => Promise<T>;

function api(h: BenchHome): Api {
  const token = readFileSync(join(h.home, 'api.token'), 'utf8').trim();
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const r = await udsRequest({ socketPath: join(h.home, 'daemon.sock'), method, path, token, body });
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.body}`);
    return r.json() as T;
  };
}

/** The demo agent behind nothing but the SDK's client: spawn, initialize, session/new, prompt. */
async function directAgent(): Promise<{ turn: () => Promise<void>; close: () => Promise<void> }> {
  const cwd = mkdtempSync(join(tmpdir(), 'af-direct-'));
  const child = spawn(process.execPath, [DEMO], { cwd, stdio: ['pipe', 'pipe', 'ignore'] });
  const conn = client({ name: 'bench' })
    .onNotification('session/update', () => undefined)
    .connect(
      ndJsonStream(
        Writable.toWeb(child.stdin) as WritableStream<Uint8Array>,
        Readable.toWeb(child.stdout) as ReadableStream<Uint8Array>,
      ),
    );
  await conn.agent.request('initialize', {
    protocolVersion: PROTOCOL_VERSION,
    clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
    clientInfo: { name: 'bench', version: '1' },
  });
  const { sessionId } = await conn.agent.request('session/new', { cwd, mcpServers: [] });
  return {
    turn: async () => {
      await conn.agent.request('session/prompt', { sessionId, prompt: [{ type: 'text', text: TURN }] });
    },
    close: async () => {
      conn.close();
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin.end();
      await Promise.race([exited, sleep(5_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}

export type TurnOverhead = {
  turns: number;
  directMs: number;
  daemonMs: number;
  overheadMs: number;
  ratio: number;
};

/** Median time of one `echo hi` turn: direct over ACP, and through the daemon's API (socket). */
export async function turnOverhead(turns: number): Promise<TurnOverhead> {
  const h = benchHome('[http]\nport = 0\n');
  const d = startForeground(h);
  const direct = await directAgent();
  try {
    await waitReady(h);
    const call = api(h);
    const s = await call<{ id: string }>('POST', '/api/sessions', {});
    const viaDaemon = async (): Promise<void> => {
      await call('POST', `/api/sessions/${s.id}/prompt`, { text: TURN });
    };
    for (let i = 0; i < 5; i++) {
      await direct.turn(); // warm both: the agent's start and the first turns' compilation
      await viaDaemon();
    }
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < turns; i++) {
      let t0 = performance.now();
      await direct.turn();
      a.push(performance.now() - t0);
      t0 = performance.now();
      await viaDaemon();
      b.push(performance.now() - t0);
    }
    a.sort((x, y) => x - y);
    b.sort((x, y) => x - y);
    const directMs = percentile(a, 50);
    const daemonMs = percentile(b, 50);
    return {
      turns,
      directMs: round(directMs, 2),
      daemonMs: round(daemonMs, 2),
      overheadMs: round(daemonMs - directMs, 2),
      ratio: round(daemonMs / directMs, 2),
    };
  } finally {
    await direct.close();
    await stop(d);
    h.cleanup();
  }
}

export type SessionMemory = {
  sessions: number;
  baseMb: number;
  withSessionsMb: number;
  perSessionMb: number;
  daemonPerSessionMb: number;
};

/** RSS of the daemon and every agent process under it, with N live idle sessions against none. */
export async function sessionMemory(n: number): Promise<SessionMemory> {
  const h = benchHome(`[http]\nport = 0\n[limits]\nmax_concurrent_agents = ${n}\nidle_timeout = "1h"\n`);
  const d = startForeground(h);
  const pid = d.pid as number;
  const mb = (bytes: number): number => bytes / 2 ** 20;
  const daemonMb = (): number => mb(Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096);
  try {
    await waitReady(h);
    await sleep(3_000); // the boot sweep and the heap compaction after it
    const base = mb(groupRssBytes(pid));
    const baseDaemon = daemonMb();
    const call = api(h);
    for (let i = 0; i < n; i++) {
      const s = await call<{ id: string }>('POST', '/api/sessions', {});
      await call('POST', `/api/sessions/${s.id}/prompt`, { text: TURN });
    }
    await sleep(3_000); // settled: every agent idle, waiting for its next prompt
    const withSessions = mb(groupRssBytes(pid));
    return {
      sessions: n,
      baseMb: round(base, 1),
      withSessionsMb: round(withSessions, 1),
      perSessionMb: round((withSessions - base) / n, 1),
      daemonPerSessionMb: round((daemonMb() - baseDaemon) / n, 2),
    };
  } finally {
    await stop(d);
    h.cleanup();
  }
}
