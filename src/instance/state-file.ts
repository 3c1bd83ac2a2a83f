/** daemon.json: who is running and where to reach it. Written when ready, removed on clean stop. */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

export type DaemonState = {
  readonly pid: number;
  readonly version: string;
  readonly git_sha: string;
  readonly started_at: string;
  readonly socket: string;
  readonly http_port: number | null;
};

export function writeState(path: string, state: DaemonState): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

export function readState(path: string): DaemonState | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DaemonState;
  } catch {
    return undefined;
  }
}

export function removeState(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
