/**
 * Memory cap for agents. RLIMIT_AS breaks Node-based agents (V8 reserves far more address space
 * than it uses), so we cap resident memory instead: a cgroup via `systemd-run --scope -p MemoryMax`
 * where a systemd user/system manager runs, and in every case a watchdog that sums the RSS of the
 * agent's process group from /proc during turns and kills the group past the limit.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolveCommand } from './agents.js';

export const MEMORY_SAMPLE_MS = 1_000;
const PAGE_BYTES = 4096;

export type MemoryCapMethod = 'cgroup' | 'rss-watchdog';

export function memoryCapMethod(env: NodeJS.ProcessEnv = process.env): MemoryCapMethod {
  // Under our own systemd unit (INVOCATION_ID is set) agents stay in the unit's cgroup, so its
  // MemoryMax and KillMode cover them; a scope of their own would escape both.
  if (env['INVOCATION_ID'] !== undefined) return 'rss-watchdog';
  return existsSync('/run/systemd/system') && resolveCommand('systemd-run') !== undefined
    ? 'cgroup'
    : 'rss-watchdog';
}

/** Wraps the agent command in a systemd scope with MemoryMax when cgroups are available. */
export function withCgroup(
  command: string,
  args: readonly string[],
  memoryMb: number,
): { command: string; args: string[] } {
  const user = process.getuid?.() !== 0 ? ['--user'] : [];
  return {
    command: 'systemd-run',
    args: [...user, '--scope', '--quiet', '-p', `MemoryMax=${memoryMb}M`, '--', command, ...args],
  };
}

/**
 * Sum of RSS over the agent and its descendants. Walking the tree from the leader through
 * /proc/<pid>/task/<tid>/children reads a handful of files; scanning all of /proc for the process
 * group cost ~10 ms per sample on a busy host, which mattered on every turn. A descendant that
 * left the tree (reparented to init) is not counted; the process-group kill at the cap still
 * reaches it.
 */
export function groupRssBytes(leader: number): number {
  let total = 0;
  const seen = new Set<number>();
  const stack = [leader];
  while (stack.length > 0 && seen.size < MAX_TREE) {
    const pid = stack.pop() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    try {
      const statm = readFileSync(`/proc/${pid}/statm`, 'utf8');
      total += Number(statm.split(' ')[1]) * PAGE_BYTES;
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const kids = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
        if (kids !== '') for (const k of kids.split(' ')) stack.push(Number(k));
      }
    } catch {
      // exited while we looked
    }
  }
  return total;
}

/** Bounds the walk: an agent with more processes than this is already misbehaving. */
const MAX_TREE = 512;

export class MemoryWatch {
  #timer: NodeJS.Timeout | undefined;
  #peak = 0;

  constructor(
    readonly pgid: number,
    readonly limitBytes: number,
    readonly onExceeded: (rss: number) => void,
    readonly intervalMs = MEMORY_SAMPLE_MS,
  ) {}

  get peakBytes(): number {
    return this.#peak;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.check(), this.intervalMs);
    this.#timer.unref();
  }

  /** Samples now; past the limit it stops watching, calls onExceeded and returns true. */
  check(): boolean {
    const rss = groupRssBytes(this.pgid);
    this.#peak = Math.max(this.#peak, rss);
    if (rss <= this.limitBytes) return false;
    this.stop();
    this.onExceeded(rss);
    return true;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
