/**
 * The start-up cost of the agent sandbox: the first turn of a new session (spawn, ACP handshake,
 * `echo`) of the demo agent under bubblewrap against the same agent unsandboxed, alternated in one
 * daemon so both see the same machine load.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { udsRequest } from '../src/net/uds-http.js';
import { benchHome, percentile, round, startForeground, stop, waitReady } from './lib.js';

export type SandboxCost = {
  readonly runs: number;
  readonly sandboxedMs: number;
  readonly plainMs: number;
  readonly extraMs: number;
} | null;

export async function sandboxStartCost(runs: number): Promise<SandboxCost> {
  const h = benchHome(
    '[http]\nport = 0\n\n[agents.boxed]\npreset = "demo"\nsandbox = "bwrap"\n\n[agents.plain]\npreset = "demo"\nsandbox = "none"\ndefault = true\n',
  );
  const d = startForeground(h);
  try {
    await waitReady(h);
    const socketPath = join(h.home, 'daemon.sock');
    const token = readFileSync(join(h.home, 'api.token'), 'utf8').trim();
    const call = async (
      method: string,
      path: string,
      body?: unknown,
    ): Promise<{ status: number; json: unknown }> => {
      const r = await udsRequest({ socketPath, method, path, token, body, timeoutMs: 30_000 });
      return { status: r.status, json: r.json() };
    };
    const firstTurn = async (agent: string): Promise<number | undefined> => {
      const s = await call('POST', '/api/sessions', { agent });
      const id = (s.json as { id: string }).id;
      const t0 = performance.now();
      const r = await call('POST', `/api/sessions/${id}/prompt`, { text: 'echo hi' });
      const ms = performance.now() - t0;
      await call('DELETE', `/api/sessions/${id}`);
      return r.status === 200 ? ms : undefined;
    };
    // bwrap not usable here: no figure rather than a wrong one.
    if ((await firstTurn('boxed')) === undefined) return null;
    await firstTurn('plain');
    const boxed: number[] = [];
    const plain: number[] = [];
    for (let i = 0; i < runs; i++) {
      boxed.push((await firstTurn('boxed')) ?? NaN);
      plain.push((await firstTurn('plain')) ?? NaN);
    }
    const med = (xs: number[]): number =>
      percentile(
        xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b),
        50,
      );
    const b = med(boxed);
    const p = med(plain);
    return { runs, sandboxedMs: round(b, 1), plainMs: round(p, 1), extraMs: round(b - p, 1) };
  } finally {
    await stop(d);
    h.cleanup();
  }
}
