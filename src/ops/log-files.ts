/**
 * The daemon's own log file, rotated by size with a bounded number of backups and pruned by age
 * (SPEC §10 `[log]`). rotating-file-stream does the size rotation and gzip; it has no age limit for
 * classical rotation, so pruneOldLogs removes backups past max_age_days after each rotation.
 */
import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';

export type LogFileOptions = {
  readonly file: string;
  readonly maxSizeMb: number;
  readonly maxBackups: number;
  readonly maxAgeDays: number;
  readonly compress: boolean;
};

export function openLogFile(opts: LogFileOptions, now = Date.now): RotatingFileStream {
  const dir = dirname(opts.file);
  const name = basename(opts.file);
  const stream = createStream(name, {
    path: dir,
    size: `${Math.max(1, Math.round(opts.maxSizeMb * 1024))}K`,
    rotate: opts.maxBackups,
    compress: opts.compress ? 'gzip' : false,
    mode: 0o600,
  });
  const prune = (): void => {
    pruneOldLogs(dir, name, opts.maxAgeDays, now());
  };
  stream.on('rotated', prune);
  prune();
  return stream;
}

/** Deletes rotated backups (`name.N`, `name.N.gz`) older than maxAgeDays; returns what it removed. */
export function pruneOldLogs(dir: string, name: string, maxAgeDays: number, now: number): string[] {
  const cutoff = now - maxAgeDays * 86_400_000;
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const entry of entries) {
    if (!entry.startsWith(`${name}.`) || !/^\d+(\.gz)?$/.test(entry.slice(name.length + 1))) continue;
    const path = join(dir, entry);
    try {
      if (statSync(path).mtimeMs < cutoff) {
        unlinkSync(path);
        removed.push(path);
      }
    } catch {
      // Raced with a rotation; the next prune sees it.
    }
  }
  return removed;
}
