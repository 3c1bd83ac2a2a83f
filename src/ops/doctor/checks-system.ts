/** Checks of the host: Node version, disk space against the log budget, open-file limit, HTTP exposure. */
import { readFileSync, statfsSync } from 'node:fs';
import { isLoopbackHost } from '../../config/load.js';
import type { Finding } from '../../contract.js';
import type { Check } from './types.js';

export const MIN_NODE_MAJOR = 22;
export const MIN_NOFILE = 4096;

export const nodeVersion: Check = {
  id: 'node.version',
  run(): Finding {
    const id = 'node.version';
    const major = Number(process.versions.node.split('.')[0]);
    if (major < MIN_NODE_MAJOR) {
      return {
        id,
        severity: 'error',
        message: `Node ${process.versions.node} is end-of-life`,
        fix: `install Node ${MIN_NODE_MAJOR} or newer`,
      };
    }
    return { id, severity: 'ok', message: `Node ${process.versions.node}` };
  },
};

export const diskFree: Check = {
  id: 'disk.free',
  run({ paths, config }): Finding {
    const id = 'disk.free';
    const st = statfsSync(paths.home);
    const free = st.bavail * st.bsize;
    const log = config instanceof Error ? { max_size_mb: 10, max_backups: 5 } : config.log;
    const budget = log.max_size_mb * 1024 * 1024 * (log.max_backups + 1);
    const mb = (n: number): string => `${Math.round(n / 1024 / 1024)} MB`;
    if (free < budget * 2) {
      return {
        id,
        severity: 'error',
        message: `only ${mb(free)} free on the home's disk; the log budget alone is ${mb(budget)}`,
        fix: 'free disk space (docs/operations.md, "Disk emergency")',
      };
    }
    if (free < budget * 10) {
      return {
        id,
        severity: 'warn',
        message: `${mb(free)} free on the home's disk, under 10× the log budget (${mb(budget)})`,
        fix: 'free disk space or lower [log] max_size_mb / max_backups',
      };
    }
    return { id, severity: 'ok', message: `${mb(free)} free on the home's disk` };
  },
};

/** Soft RLIMIT_NOFILE from /proc (Linux); Node exposes no getrlimit. */
export function readNofileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? Infinity : Number(soft);
  } catch {
    return undefined;
  }
}

export const nofileLimit: Check = {
  id: 'limits.nofile',
  run(): Finding {
    const id = 'limits.nofile';
    const soft = readNofileLimit();
    if (soft === undefined)
      return { id, severity: 'info', message: 'open-file limit unknown on this platform' };
    if (soft < MIN_NOFILE) {
      return {
        id,
        severity: 'warn',
        message: `open-file limit is ${soft}, below ${MIN_NOFILE}`,
        fix: 'raise it: LimitNOFILE in the systemd unit (agentforge service install sets it) or ulimit -n',
      };
    }
    return { id, severity: 'ok', message: `open-file limit is ${soft}` };
  },
};

export const httpLoopback: Check = {
  id: 'http.loopback',
  run({ config }): Finding {
    const id = 'http.loopback';
    if (config instanceof Error) return { id, severity: 'info', message: 'skipped: config is invalid' };
    if (config.http.port === 0)
      return { id, severity: 'ok', message: 'HTTP listener disabled; Unix socket only' };
    if (isLoopbackHost(config.http.host))
      return {
        id,
        severity: 'ok',
        message: `HTTP bound to loopback ${config.http.host}:${config.http.port}`,
      };
    return {
      id,
      severity: 'warn',
      message: `HTTP is exposed on ${config.http.host}:${config.http.port} (allow_remote = true)`,
      fix: 'put it behind TLS and a firewall, or set host = "127.0.0.1"',
    };
  },
};
