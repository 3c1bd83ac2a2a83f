/**
 * The agent child process: spawned in its own process group (so a timeout kills grandchildren too)
 * and torn down politely (stdin EOF), then firmly (SIGTERM to the group), then finally (SIGKILL).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { isAlive, processStartTime } from '../../instance/lock.js';

export const DEFAULT_STOP_GRACE_MS = 2_000;

export type AgentProcessOptions = {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** The complete environment (see env.ts); never merged over process.env. */
  readonly env: Readonly<Record<string, string>>;
};

export type AgentProcess = {
  readonly child: ChildProcessWithoutNullStreams;
  readonly pid: number;
  /** Equal to pid: the child leads its own group. */
  readonly pgid: number;
  readonly startTime: string | null;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

export async function spawnAgentProcess(opts: AgentProcessOptions): Promise<AgentProcess> {
  const child = spawn(opts.command, opts.args as string[], {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true, // setsid: own process group, not killed by a terminal's ^C meant for the daemon
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', reject);
  });
  const pid = child.pid as number;
  return { child, pid, pgid: pid, startTime: processStartTime(pid), exited };
}

function isRunning(p: AgentProcess): boolean {
  return p.child.exitCode === null && p.child.signalCode === null;
}

export function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // group already gone
  }
}

/** Live (non-zombie) members of process group pgid with their start times (clock ticks since boot). */
export function groupMembers(pgid: number): Array<{ pid: number; startTime: number }> {
  const members: Array<{ pid: number; startTime: number }> = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return members;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] === 'Z' || Number(rest[2]) !== pgid) continue;
      members.push({ pid: Number(entry), startTime: Number(rest[19]) });
    } catch {
      // exited while we looked
    }
  }
  return members;
}

async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const result = await Promise.race([p.then(() => true), timeout]);
  clearTimeout(timer);
  return result;
}

/** EOF, then SIGTERM to the group, then SIGKILL to the group. Grandchildren die with the group. */
export async function stopAgentProcess(
  p: AgentProcess,
  graceMs = DEFAULT_STOP_GRACE_MS,
  polite = true,
): Promise<void> {
  if (isRunning(p)) {
    if (polite) {
      p.child.stdin.end();
      if (await within(p.exited, graceMs)) {
        killGroup(p.pgid, 'SIGKILL'); // leftovers of a group whose leader left politely
        return;
      }
    }
    killGroup(p.pgid, 'SIGTERM');
    if (!(await within(p.exited, graceMs))) killGroup(p.pgid, 'SIGKILL');
  }
  await within(once(p.child, 'close'), graceMs);
  killGroup(p.pgid, 'SIGKILL');
}

/**
 * True when the agent group a previous daemon recorded still has processes. The leader itself,
 * if alive, must have the recorded start time (else its pid was reused). An agent usually exits
 * when its stdin closes with the daemon, but what it spawned (a tool's shell, a build) stays in
 * its process group: the kernel keeps a pid allocated while a group of that id exists, so group
 * members that started no earlier than the recorded leader are its descendants.
 */
export function orphanGroupAlive(pid: number, pgid: number, startTime: string | null): boolean {
  if (isAlive({ pid, startTime })) return true;
  if (startTime === null || isAlive({ pid: pgid, startTime: null })) return false;
  const members = groupMembers(pgid);
  return members.length > 0 && members.every((m) => m.startTime >= Number(startTime));
}
