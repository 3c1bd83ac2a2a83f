/** Checks of the home directory, its files and their permissions. */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import type { HomePaths } from '../../config/paths.js';
import type { Finding } from '../../contract.js';
import type { Check } from './types.js';

const octal = (mode: number): string => mode.toString(8).padStart(4, '0');

/**
 * The home, the API token and config.toml must be the service user's alone. The token is the key to
 * the API; config.toml names the commands agents run as the daemon's user, so anyone who can write
 * it can run code as that user. Group and other bits are refused, not only write bits: the token
 * must not be readable, and a readable config shows where the secrets are.
 */
export type PrivateThing = { readonly what: string; readonly path: string; readonly mode: 0o700 | 0o600 };

export function privateThings(paths: Pick<HomePaths, 'home' | 'token' | 'config'>): PrivateThing[] {
  return [
    { what: 'home', path: paths.home, mode: 0o700 },
    { what: 'API token', path: paths.token, mode: 0o600 },
    { what: 'config', path: paths.config, mode: 0o600 },
  ];
}

/** Why `thing` is unsafe, with the command that fixes it; undefined when it is safe or absent. */
export function unsafeReason(
  thing: PrivateThing,
  uid: number | undefined,
): { message: string; fix: string } | undefined {
  let st;
  try {
    st = statSync(thing.path);
  } catch {
    return undefined;
  }
  if (uid !== undefined && st.uid !== uid) {
    return {
      message: `${thing.what} ${thing.path} is owned by uid ${st.uid}, not by the service user (uid ${uid}); another user could change it`,
      fix: `run: chown ${uid} ${thing.path}`,
    };
  }
  const mode = st.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    return {
      message: `${thing.what} ${thing.path} has mode ${octal(mode)}; other users can ${
        (mode & 0o022) !== 0 ? 'change' : 'read'
      } it`,
      fix: `run: chmod ${thing.mode.toString(8)} ${thing.path}`,
    };
  }
  return undefined;
}

/**
 * Every reason the home is unsafe to run from, as one line each ("… ; run: chmod 700 …"). The daemon
 * and `daemon start` refuse to start while this is not empty.
 */
export function unsafeHome(
  paths: Pick<HomePaths, 'home' | 'token' | 'config'>,
  uid: number | undefined,
): string[] {
  const out: string[] = [];
  for (const thing of privateThings(paths)) {
    const r = unsafeReason(thing, uid);
    if (r !== undefined) out.push(`${r.message}; ${r.fix}`);
  }
  return out;
}

export const homePermissions: Check = {
  id: 'home.permissions',
  run({ paths, uid }): Finding {
    const id = 'home.permissions';
    if (!existsSync(paths.home)) {
      return {
        id,
        severity: 'error',
        message: `home ${paths.home} does not exist`,
        fix: 'run: agentforge init',
      };
    }
    const bad = unsafeReason(privateThings(paths)[0]!, uid);
    if (bad !== undefined) return { id, severity: 'error', ...bad };
    return { id, severity: 'ok', message: `home ${paths.home} is private (0700)` };
  },
};

export const tokenPermissions: Check = {
  id: 'token.permissions',
  run({ paths, uid }): Finding {
    const id = 'token.permissions';
    if (!existsSync(paths.token)) {
      return {
        id,
        severity: 'error',
        message: `API token ${paths.token} is missing`,
        fix: 'run: agentforge init (creates a new token)',
      };
    }
    const bad = unsafeReason(privateThings(paths)[1]!, uid);
    if (bad !== undefined) return { id, severity: 'error', ...bad };
    return { id, severity: 'ok', message: 'API token is readable only by its owner' };
  },
};

export const configPermissions: Check = {
  id: 'config.permissions',
  run({ paths, uid }): Finding {
    const id = 'config.permissions';
    if (!existsSync(paths.config))
      return { id, severity: 'info', message: `no ${paths.config}; the defaults apply` };
    const bad = unsafeReason(privateThings(paths)[2]!, uid);
    if (bad !== undefined) return { id, severity: 'error', ...bad };
    return { id, severity: 'ok', message: 'config.toml is writable and readable only by its owner' };
  },
};

export const configValid: Check = {
  id: 'config.valid',
  run({ config }): Finding {
    const id = 'config.valid';
    if (config instanceof Error) {
      return {
        id,
        severity: 'error',
        message: config.message,
        fix: 'run: agentforge config validate, then edit the lines it names',
      };
    }
    return { id, severity: 'ok', message: `config ${config.file} is valid` };
  },
};

export const logsWritable: Check = {
  id: 'logs.writable',
  run({ paths }): Finding {
    const id = 'logs.writable';
    try {
      accessSync(paths.logs, constants.W_OK);
      return { id, severity: 'ok', message: `log directory ${paths.logs} is writable` };
    } catch {
      return {
        id,
        severity: 'error',
        message: `log directory ${paths.logs} is missing or not writable`,
        fix: 'run: agentforge init',
      };
    }
  },
};
