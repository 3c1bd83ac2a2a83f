/**
 * Creates the home (SPEC §4): directories 0700, a commented config.toml and the API token (0600).
 * Idempotent: existing files are left alone, so `init` on a populated home changes nothing.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homePaths, type HomePaths } from './paths.js';
import { CONFIG_TEMPLATE } from './template.js';

export type InitResult = { readonly paths: HomePaths; readonly created: readonly string[] };

/** Loaded here, not imported: node:crypto is ~15 ms of every short command that only reads the token. */
function newToken(): string {
  return process.getBuiltinModule('node:crypto').randomBytes(32).toString('base64url');
}

export function initHome(home: string): InitResult {
  const paths = homePaths(home);
  const created: string[] = [];
  const homeExisted = existsSync(home);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  if (!homeExisted) {
    chmodSync(home, 0o700);
    created.push(home);
  }
  for (const dir of [paths.logs, paths.sessions, paths.groups, paths.backups]) {
    if (!existsSync(dir)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      created.push(dir);
    }
  }
  if (writeIfAbsent(paths.config, CONFIG_TEMPLATE, 0o600)) created.push(paths.config);
  if (writeIfAbsent(paths.token, `${newToken()}\n`, 0o600)) created.push(paths.token);
  return { paths, created };
}

function writeIfAbsent(path: string, content: string, mode: number): boolean {
  try {
    writeFileSync(path, content, { flag: 'wx', mode });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

export function fileMode(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return undefined;
  }
}

export function readApiToken(path: string): string {
  return readFileSync(path, 'utf8').trim();
}
