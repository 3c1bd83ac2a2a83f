/**
 * Quarantine for bad input: a rejected inbound message or a line of garbage an agent wrote is kept
 * as a small JSON file in logs/quarantine/ so an operator can see exactly what arrived. Files are
 * capped in size here and pruned by age and count in the retention sweep, like per-turn logs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const MAX_QUARANTINE_BYTES = 64 * 1024;

export type Quarantine = (source: string, reason: string, payload: unknown) => void;

export function quarantineDir(logsDir: string): string {
  return join(logsDir, 'quarantine');
}

export function createQuarantine(dir: string): Quarantine {
  let seq = 0;
  return (source, reason, payload) => {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      let body = JSON.stringify(payload ?? null);
      if (body.length > MAX_QUARANTINE_BYTES)
        body = JSON.stringify(`${body.slice(0, MAX_QUARANTINE_BYTES)}… (truncated)`);
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${source.replace(/[^a-z0-9_-]/gi, '_')}-${++seq}.json`;
      writeFileSync(
        join(dir, name),
        `{"source":${JSON.stringify(source)},"reason":${JSON.stringify(reason)},"payload":${body}}\n`,
        { mode: 0o600 },
      );
    } catch {
      // best effort: the rejection itself is already in the daemon log
    }
  };
}
