/** Shared pieces of the benchmark: temp homes, daemons, percentiles. Bounded and loopback-only. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { udsRequest } from '../src/net/uds-http.js';

export const ROOT = resolve(import.meta.dirname, '..');
export const BIN = join(ROOT, 'bin/agentforge.js');

export type BenchHome = { home: string; env: NodeJS.ProcessEnv; cleanup: () => void };

export function benchHome(config: string, env: NodeJS.ProcessEnv = {}): BenchHome {
  const home = mkdtempSync(join(tmpdir(), 'af-bench-'));
  const full = { ...process.env, AGENTFORGE_HOME: home, ...env };
  writeFileSync(join(home, 'config.toml'), config, { mode: 0o600 });
  return { home, env: full, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

export function cli(
  h: BenchHome,
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...h.env, ...extraEnv }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout) => {
        done({
          code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1,
          stdout,
          ms: performance.now() - t0,
        });
      },
    );
  });
}

export function startForeground(h: BenchHome, extraEnv: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [BIN, 'daemon', 'start', '--foreground'], {
    env: { ...h.env, ...extraEnv },
    stdio: 'ignore',
  });
}

export async function waitReady(h: BenchHome, timeoutMs = 20_000, pollMs = 5): Promise<number> {
  const t0 = performance.now();
  const socketPath = join(h.home, 'daemon.sock');
  while (performance.now() - t0 < timeoutMs) {
    try {
      const r = await udsRequest({ socketPath, path: '/readyz', timeoutMs: 1_000 });
      if (r.status === 200) return performance.now() - t0;
    } catch {
      // not up yet
    }
    await sleep(pollMs);
  }
  throw new Error(`daemon in ${h.home} not ready within ${timeoutMs} ms`);
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

/** VmRSS, or another /proc/<pid>/status field (RssAnon: private memory, without the mapped binary). */
export function rssMb(pid: number, field = 'VmRSS'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

export const round = (n: number, d = 1): number => Math.round(n * 10 ** d) / 10 ** d;
