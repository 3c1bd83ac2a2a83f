/**
 * Audit finding 3: an agent's file request must not freeze the daemon. A FIFO in the workspace
 * and a 1.5 GB sparse file are refused with a clear answer to the agent, /healthz keeps
 * answering while the request runs, and the daemon's peak memory does not jump.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, httpGet, makeHome, startDaemon, testConfig, type TestHome } from '../helpers/harness.js';
import { apiReply, newSession, show } from '../helpers/sessions.js';

/** Peak resident memory of a process (VmHWM), in bytes: a spike shows even after it is freed. */
function peakRss(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmHWM for ${pid}`);
  return Number(m[1]) * 1024;
}

/**
 * Runs `during` while polling /healthz every 100 ms; returns its result and the slowest health
 * answer. A frozen event loop shows as a slow (or missing) answer.
 */
async function whileHealthPolled<T>(
  port: number,
  during: Promise<T>,
): Promise<{ value: T; slowestMs: number }> {
  let done = false;
  let slowestMs = 0;
  const statuses: number[] = [];
  const poller = (async () => {
    while (!done) {
      const t0 = Date.now();
      const r = await httpGet(port, '/healthz');
      slowestMs = Math.max(slowestMs, Date.now() - t0);
      statuses.push(r.status);
      await new Promise((ok) => setTimeout(ok, 100));
    }
  })();
  const value = await during;
  done = true;
  await poller;
  expect(statuses.length).toBeGreaterThan(0);
  expect(statuses.every((s) => s === 200)).toBe(true);
  return { value, slowestMs };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms),
    ),
  ]);
}

describe('agent file requests cannot freeze the daemon', () => {
  let h: TestHome;
  let port: number;
  let daemonPid: number;
  let id: string;
  let workspace: string;
  beforeAll(async () => {
    h = makeHome();
    port = await freePort();
    h.writeConfig(testConfig(port, '\n[limits]\nturn_timeout = "20s"\n'));
    daemonPid = await startDaemon(h);
    id = await newSession(h);
    workspace = join(h.home, 'groups', 'cli');
    expect(await apiReply(h, id, 'echo warm')).toBe('warm');
  });
  afterAll(() => h.cleanup());

  it('refuses to read a FIFO at once, and /healthz answers meanwhile', async () => {
    execFileSync('mkfifo', [join(workspace, 'pipe')]);
    const { value, slowestMs } = await whileHealthPolled(
      port,
      within(apiReply(h, id, 'read pipe'), 15_000, 'read of a FIFO'),
    );
    expect(value).toMatch(/^read refused \(-32602\): .*pipe: it is a FIFO; only regular files/);
    expect(slowestMs).toBeLessThan(2_000);
    // Writing to it is refused too (a FIFO with no reader, or any FIFO: never opened for writing).
    expect(await within(apiReply(h, id, 'write pipe x'), 15_000, 'write to a FIFO')).toMatch(
      /^write refused \(-32602\): .*FIFO/,
    );
    expect(await show(h, id)).toMatchObject({ last_error_kind: null, live: 'idle' });
  });

  it('refuses a 1.5 GB sparse file by its size, without reading it', async () => {
    const big = join(workspace, 'sparse.bin');
    writeFileSync(big, '');
    execFileSync('truncate', ['-s', '1536M', big]);
    const before = peakRss(daemonPid);
    const t0 = Date.now();
    const { value, slowestMs } = await whileHealthPolled(
      port,
      within(apiReply(h, id, 'read sparse.bin'), 20_000, 'read of a sparse file'),
    );
    expect(value).toMatch(/^read refused \(-32602\): .*larger than 8388608 bytes/);
    expect(slowestMs).toBeLessThan(2_000);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(peakRss(daemonPid) - before).toBeLessThan(200 * 1024 * 1024);
  });
});
