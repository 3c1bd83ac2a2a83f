/**
 * Starting and stopping the daemon process from the CLI. Detached start spawns
 * `agentforge daemon start --foreground` in its own session with stdout/stderr appended to the log,
 * then waits until the socket answers; stop signals the pid in the lock and waits for it to exit.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HomePaths } from '../../config/paths.js';
import { lockHolder } from '../../instance/lock.js';
import { readState } from '../../instance/state-file.js';
import { DAEMON_BIN } from '../../install-paths.js';
import { udsRequest } from '../../net/uds-http.js';
import { CliError, EXIT } from '../exit-codes.js';

export const START_WAIT_MS = 30_000;
const POLL_MS = 50;

export async function startDetached(
  paths: HomePaths,
  env: NodeJS.ProcessEnv,
  waitMs = START_WAIT_MS,
): Promise<number> {
  mkdirSync(paths.logs, { recursive: true, mode: 0o700 });
  const fd = openSync(paths.logFile, 'a', 0o600);
  const child = spawn(process.execPath, [DAEMON_BIN, 'daemon', 'start', '--foreground'], {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...env, AGENTFORGE_HOME: paths.home },
  });
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) throw new CliError('could not spawn the daemon process');
  let exited: number | null | undefined;
  child.once('exit', (code, signal) => {
    exited = code ?? (signal ? 128 : 1);
  });
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      const why = lastErrorFromLog(paths.logFile, pid);
      throw new CliError(
        `daemon exited with code ${exited} while starting${why ? `: ${why}` : ''}; see: agentforge logs --since 5m`,
      );
    }
    if (await answers(paths, pid)) {
      child.unref();
      return pid;
    }
    await sleep(POLL_MS);
  }
  child.unref();
  throw new CliError(
    `daemon (pid ${pid}) did not become ready within ${waitMs / 1000}s; see: agentforge logs --since 5m`,
  );
}

/** Ready means: daemon.json names this pid (written after the listeners are up) and the socket answers. */
async function answers(paths: HomePaths, pid: number): Promise<boolean> {
  if (readState(paths.state)?.pid !== pid) return false;
  try {
    const res = await udsRequest({ socketPath: paths.socket, path: '/healthz', timeoutMs: 1_000 });
    return res.status === 200;
  } catch {
    return false;
  }
}

/** The message of the last error line the given pid wrote to the log, if any. */
function lastErrorFromLog(file: string, pid: number): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n').slice(-200).reverse();
  for (const line of lines) {
    if (line.startsWith('agentforge: ')) return line.slice('agentforge: '.length);
    try {
      const rec = JSON.parse(line) as {
        pid?: number;
        level?: number;
        msg?: string;
        err?: { message?: string };
      };
      if (rec.pid === pid && (rec.level ?? 0) >= 50) return rec.err?.message ?? rec.msg;
    } catch {
      // not a JSON line
    }
  }
  return undefined;
}

export async function stopDaemon(
  paths: HomePaths,
  timeoutMs: number,
): Promise<{ pid: number; waitedMs: number } | undefined> {
  const holder = lockHolder(paths.lock);
  if (holder === undefined) return undefined;
  const started = Date.now();
  try {
    process.kill(holder.pid, 'SIGTERM');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return { pid: holder.pid, waitedMs: 0 };
    throw new CliError(`cannot signal pid ${holder.pid}: ${(err as Error).message}`);
  }
  while (Date.now() - started < timeoutMs) {
    if (lockHolder(paths.lock) === undefined) return { pid: holder.pid, waitedMs: Date.now() - started };
    await sleep(POLL_MS);
  }
  throw new CliError(
    `daemon (pid ${holder.pid}) did not stop within ${Math.round(timeoutMs / 1000)}s; it may be finishing turns. Force it with: kill -9 ${holder.pid}`,
    EXIT.failure,
  );
}
