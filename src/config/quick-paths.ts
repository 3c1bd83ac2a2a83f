/**
 * Paths with the config's location overrides applied, without validating the whole config (no zod):
 * the CLI's hot path (`status`, `session prompt`) only needs to find the socket and the token.
 * An unreadable or invalid file falls back to the defaults; `config validate` reports why.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { homePaths, underHome, type HomePaths } from './paths.js';

export function quickPaths(home: string): HomePaths {
  const base = homePaths(home);
  let raw: Record<string, unknown>;
  try {
    raw = parse(readFileSync(base.config, 'utf8'));
  } catch {
    return base;
  }
  const section = (name: string): Record<string, unknown> => {
    const v = raw[name];
    return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  };
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const daemon = section('daemon');
  return {
    ...base,
    socket: underHome(home, str(daemon['socket']), base.socket),
    state: underHome(home, str(daemon['state_file']), base.state),
    lock: underHome(home, str(daemon['lock_file']), base.lock),
    backups: underHome(home, str(section('backup')['dir']), base.backups),
  };
}
