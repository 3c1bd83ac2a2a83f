/**
 * Single instance: an exclusive lock file holding the owner's pid and its kernel start time. A lock
 * whose pid is gone, or now belongs to a different process (pid reuse after kill -9), is stale and
 * taken over. Node has no flock(2); O_EXCL creation plus the start-time check is the portable way.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';

export type LockOwner = { readonly pid: number; readonly startTime: string | null };

export class AlreadyRunningError extends Error {
  override readonly name = 'AlreadyRunningError';
  constructor(readonly pid: number) {
    super(`agentforge is already running (pid ${pid}); stop it with: agentforge daemon stop`);
  }
}

/** State (field 3) and start time in clock ticks since boot (field 22) of /proc/<pid>/stat; null off Linux. */
function procStat(pid: number): { state: string; startTime: string | null } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses; fields resume after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '', startTime: rest[19] ?? null };
  } catch {
    return null;
  }
}

/** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot; null off Linux. */
export function processStartTime(pid: number): string | null {
  return procStat(pid)?.startTime ?? null;
}

export function isAlive(owner: LockOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = procStat(owner.pid);
  // A zombie has exited (kill -9, crash) and only waits for its parent to reap it; it holds nothing.
  if (now?.state === 'Z') return false;
  if (owner.startTime === null) return true;
  return now === null || now.startTime === owner.startTime;
}

export function readLock(path: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown; startTime?: unknown };
    if (typeof parsed.pid !== 'number') return undefined;
    return { pid: parsed.pid, startTime: typeof parsed.startTime === 'string' ? parsed.startTime : null };
  } catch {
    return undefined;
  }
}

/** The live owner of the lock, if any. */
export function lockHolder(path: string): LockOwner | undefined {
  const owner = readLock(path);
  return owner !== undefined && isAlive(owner) ? owner : undefined;
}

export type Lock = { readonly path: string; readonly release: () => void; readonly tookOverStale: boolean };

export function acquireLock(path: string, pid = process.pid): Lock {
  const me: LockOwner = { pid, startTime: processStartTime(pid) };
  let tookOverStale = false;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(me), { flag: 'wx', mode: 0o600 });
      const release = (): void => {
        if (readLock(path)?.pid === pid) unlinkSync(path);
      };
      return { path, release, tookOverStale };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readLock(path);
    if (holder !== undefined && holder.pid !== pid && isAlive(holder))
      throw new AlreadyRunningError(holder.pid);
    unlinkSync(path);
    tookOverStale = true;
  }
  throw new Error(
    `could not take the lock ${path}; another agentforge may be starting at this moment — retry`,
  );
}
