/** Checks of the home directory, its files and their permissions. */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import type { Finding } from '../../contract.js';
import type { Check } from './types.js';

function modeOf(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return undefined;
  }
}

const octal = (mode: number): string => mode.toString(8).padStart(4, '0');

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
    const st = statSync(paths.home);
    if (uid !== undefined && st.uid !== uid) {
      return {
        id,
        severity: 'error',
        message: `home ${paths.home} is owned by uid ${st.uid}, not ${uid}`,
        fix: `run: chown -R ${uid} ${paths.home}`,
      };
    }
    const mode = st.mode & 0o777;
    if ((mode & 0o077) !== 0) {
      return {
        id,
        severity: 'error',
        message: `home ${paths.home} has mode ${octal(mode)}; other users can read agent state`,
        fix: `run: chmod 700 ${paths.home}`,
      };
    }
    return { id, severity: 'ok', message: `home ${paths.home} is private (0700)` };
  },
};

export const tokenPermissions: Check = {
  id: 'token.permissions',
  run({ paths }): Finding {
    const id = 'token.permissions';
    const mode = modeOf(paths.token);
    if (mode === undefined) {
      return {
        id,
        severity: 'error',
        message: `API token ${paths.token} is missing`,
        fix: 'run: agentforge init (creates a new token)',
      };
    }
    if ((mode & 0o077) !== 0) {
      return {
        id,
        severity: 'error',
        message: `API token has mode ${octal(mode)}`,
        fix: `run: chmod 600 ${paths.token}`,
      };
    }
    return { id, severity: 'ok', message: 'API token is readable only by its owner' };
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
