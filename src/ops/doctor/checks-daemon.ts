/** Is the daemon answering on its socket, and does the socket have the right mode? */
import { existsSync, statSync } from 'node:fs';
import type { Finding } from '../../contract.js';
import { udsRequest } from '../../net/uds-http.js';
import type { Check } from './types.js';

export const daemonSocket: Check = {
  id: 'daemon.socket',
  async run({ paths }): Promise<Finding> {
    const id = 'daemon.socket';
    if (!existsSync(paths.socket)) {
      return {
        id,
        severity: 'info',
        message: 'daemon is not running (no socket)',
        fix: 'start it: agentforge daemon start',
      };
    }
    const mode = statSync(paths.socket).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      return {
        id,
        severity: 'error',
        message: `socket ${paths.socket} has mode ${mode.toString(8)}`,
        fix: 'restart the daemon; it recreates the socket 0600',
      };
    }
    try {
      const res = await udsRequest({ socketPath: paths.socket, path: '/healthz', timeoutMs: 2_000 });
      if (res.status === 200) return { id, severity: 'ok', message: `daemon answers on ${paths.socket}` };
      return {
        id,
        severity: 'error',
        message: `daemon socket answered HTTP ${res.status}`,
        fix: 'see agentforge logs --level warn',
      };
    } catch {
      return {
        id,
        severity: 'warn',
        message: 'stale socket: no daemon answers on it',
        fix: 'agentforge daemon start (it removes the stale socket)',
      };
    }
  },
};
