/**
 * Runs the real `agentforge` executable (bin/agentforge.js → dist/) in a temporary home. Every
 * process-level test goes through this, so tests exercise exactly what an operator runs.
 * Daemons started here are stopped by pid in `cleanup()`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/agentforge.js');

export type RunResult = { code: number; stdout: string; stderr: string };

export type TestHome = {
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  run(args: readonly string[], opts?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult>;
  json<T = Record<string, unknown>>(args: readonly string[]): Promise<T>;
  writeConfig(toml: string): void;
  /** Pids this home's daemons had, killed (SIGKILL) on cleanup if still alive. */
  track(pid: number): void;
  cleanup(): Promise<void>;
};

export function makeHome(opts: { env?: NodeJS.ProcessEnv } = {}): TestHome {
  // Short prefix: the Unix socket path must stay under 104 bytes.
  const home = mkdtempSync(join(tmpdir(), 'af-'));
  const env: NodeJS.ProcessEnv = { ...process.env, AGENTFORGE_HOME: home, CI: 'true', ...opts.env };
  const pids = new Set<number>();
  const run = (
    args: readonly string[],
    o: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
  ): Promise<RunResult> =>
    new Promise((done) => {
      execFile(
        process.execPath,
        [BIN, ...args],
        { env: { ...env, ...o.env }, timeout: o.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
          done({ code, stdout, stderr });
        },
      );
    });
  return {
    home,
    env,
    run,
    async json<T>(args: readonly string[]): Promise<T> {
      const r = await run([...args, '-o', 'json']);
      try {
        return JSON.parse(r.stdout) as T;
      } catch {
        throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
      }
    },
    writeConfig(toml) {
      writeFileSync(join(home, 'config.toml'), toml, { mode: 0o600 });
    },
    track(pid) {
      pids.add(pid);
    },
    async cleanup() {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await sleep(50);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** A TCP port free on loopback right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolveP, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolveP(port));
    });
  });
}

/** True while the process exists and is not a zombie (a zombie has exited; only its parent has not reaped it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): kill(0) is all we have
  }
}

export async function waitFor<T>(
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** Starts `agentforge daemon start --foreground` as a child we own (for signal tests). */
export function spawnForeground(h: TestHome, extraEnv: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [BIN, 'daemon', 'start', '--foreground'], {
    env: { ...h.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined) h.track(child.pid);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return { child, stderr: () => stderr };
}

/** A config.toml for tests: HTTP on the given port (0 = socket only) plus any extra TOML. */
export function testConfig(port: number, extra = ''): string {
  return `[http]\nport = ${port}\n\n[daemon]\nshutdown_timeout = "5s"\n${extra}`;
}

/** `agentforge daemon start` (detached); returns the daemon's pid, tracked for cleanup. */
export async function startDaemon(h: TestHome): Promise<number> {
  let r = await h.run(['daemon', 'start', '-o', 'json']);
  // freePort() cannot reserve a port: another test may take it before the daemon binds. Retry
  // with a fresh one rather than fail on a race that is ours, not the daemon's.
  for (let attempt = 0; attempt < 3 && r.code !== 0 && r.stderr.includes('EADDRINUSE'); attempt++) {
    const file = join(h.home, 'config.toml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^port = \d+$/m, `port = ${await freePort()}`), {
      mode: 0o600,
    });
    r = await h.run(['daemon', 'start', '-o', 'json']);
  }
  if (r.code !== 0) throw new Error(`daemon start exited ${r.code}: ${r.stdout}${r.stderr}`);
  const { pid } = JSON.parse(r.stdout) as { pid: number };
  h.track(pid);
  return pid;
}

/** Resolves with the exit code and signal of a child we spawned, or rejects after timeoutMs. */
export function waitExit(
  child: ChildProcess,
  timeoutMs = 15_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolveP, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`pid ${child.pid} did not exit within ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolveP({ code, signal });
    });
  });
}

export type HttpResult = { status: number; body: string; json: () => unknown };

/** One HTTP/1.1 request to 127.0.0.1:port. Unlike fetch, lets the test set the Host header. */
export function httpGet(
  port: number,
  path: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<HttpResult> {
  return new Promise((resolveP, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolveP({ status: res.statusCode ?? 0, body, json: () => JSON.parse(body) as unknown });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from 127.0.0.1:${port}${path}`)));
    req.on('error', reject);
    req.end();
  });
}
