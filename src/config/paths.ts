/**
 * Where everything lives under the home (SPEC §4). Pure: computes paths, touches nothing, and never
 * looks at the current directory.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export type HomePaths = {
  readonly home: string;
  readonly config: string;
  readonly token: string;
  readonly db: string;
  readonly sessions: string;
  readonly groups: string;
  /** One state directory per agent definition: the adapter's login, settings and sessions. */
  readonly agents: string;
  readonly logs: string;
  readonly logFile: string;
  readonly backups: string;
  readonly socket: string;
  readonly state: string;
  readonly lock: string;
};

/** `AGENTFORGE_HOME`, else `~/.agentforge`; always absolute. */
export function resolveHome(env: NodeJS.ProcessEnv): string {
  const fromEnv = env['AGENTFORGE_HOME'];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  return join(homedir(), '.agentforge');
}

export function homePaths(home: string): HomePaths {
  const logs = join(home, 'logs');
  return {
    home,
    config: join(home, 'config.toml'),
    token: join(home, 'api.token'),
    db: join(home, 'agentforge.db'),
    sessions: join(home, 'sessions'),
    groups: join(home, 'groups'),
    agents: join(home, 'agents'),
    logs,
    logFile: join(logs, 'agentforge.log'),
    backups: join(home, 'backups'),
    socket: join(home, 'daemon.sock'),
    state: join(home, 'daemon.json'),
    lock: join(home, 'daemon.lock'),
  };
}

/** Config may override a few locations; relative overrides are taken from the home, not the cwd. */
export function underHome(home: string, value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  return isAbsolute(value) ? value : join(home, value);
}

/** A Unix socket path longer than this is silently truncated by the kernel on Linux/macOS. */
export const MAX_SOCKET_PATH_BYTES = 103;

/** A group folder name under groups/: safe as a path segment, no traversal, no hidden files. */
export const GROUP_FOLDER_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * Folder names the daemon gives out itself: `cli` is the operator's own (main powers, the CLI
 * session), `dm-…` are direct chats, `mail-…` e-mail senders. A chat registered under one of them
 * would inherit those powers or another conversation (security audit, finding 4).
 */
export function reservedFolder(folder: string): string | undefined {
  if (folder === 'cli') return 'the folder "cli" is reserved for the operator\'s own CLI session';
  for (const prefix of ['dm-', 'mail-'])
    if (folder.startsWith(prefix))
      return `folders starting with "${prefix}" are reserved for the daemon's own ${prefix === 'dm-' ? 'direct chats' : 'e-mail groups'}`;
  return undefined;
}
