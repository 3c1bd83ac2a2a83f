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

export function memoryCapMethod(): MemoryCapMethod {
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

/** Sum of RSS over every process whose process group is pgid. */
export function groupRssBytes(pgid: number): number {
  let total = 0;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[2]) !== pgid) continue;
      total += Number(rest[21]) * PAGE_BYTES;
    } catch {
      // exited while we looked
    }
  }
  return total;
}

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
