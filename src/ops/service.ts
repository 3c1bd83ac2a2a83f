/**
 * The systemd unit `agentforge service install` writes. Type=notify with a watchdog, restarts only
 * on failure (never Restart=always: a clean stop must stay stopped), a stop timeout above the
 * daemon's own shutdown_timeout, resource caps, and a sandbox that can write only the home.
 * Its settings leave room for the agents' own bubblewrap sandboxes (docs/operations.md
 * "Sandbox"): NoNewPrivileges, ProtectSystem=strict and PrivateTmp do not stop an unprivileged
 * bwrap; namespaces are limited to the three bwrap creates (user, mount, pid); and nothing that
 * locks /proc (ProtectKernelTunables, ProtectProc, ProcSubset), PrivateUsers or a
 * SystemCallFilter without @mount is set, since each keeps bwrap from starting.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export type ServiceScope = 'user' | 'system';

export const SERVICE_NAME = 'agentforge.service';
export const WATCHDOG_SEC = 30;
export const RESTART_SEC = 5;
/** Exit code 6 (config invalid) is not fixed by restarting; systemd stops trying. */
export const CONFIG_INVALID_EXIT = 6;

export type UnitOptions = {
  readonly scope: ServiceScope;
  readonly nodePath: string;
  readonly binPath: string;
  readonly home: string;
  readonly shutdownTimeoutMs: number;
  readonly memoryMaxMb: number;
  readonly user?: string;
};

export function unitPath(scope: ServiceScope, env: NodeJS.ProcessEnv = process.env): string {
  if (scope === 'system') return join('/etc/systemd/system', SERVICE_NAME);
  const config = env['XDG_CONFIG_HOME'] ?? join(homedir(), '.config');
  return join(config, 'systemd/user', SERVICE_NAME);
}

/**
 * One value in a unit file: systemd wants absolute paths, quotes arguments with spaces, and expands
 * `%` specifiers in every value we write (and `$VAR` in ExecStart=), so a literal `%` is written
 * `%%` and, in a command line, a literal `$` is written `$$`.
 */
export function unitValue(arg: string, opts: { command?: boolean } = {}): string {
  let v = arg.replace(/%/g, '%%');
  if (opts.command) v = v.replace(/\$/g, '$$$$');
  return /[\s"'\\]/.test(v) ? `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : v;
}
const q = unitValue;
const cmd = (arg: string): string => unitValue(arg, { command: true });

export function renderUnit(o: UnitOptions): string {
  const stopSec = Math.ceil(o.shutdownTimeoutMs / 1000) + 15;
  const lines = [
    '# Written by `agentforge service install`; re-run it after changing [daemon] shutdown_timeout or [limits].',
    '[Unit]',
    'Description=AgentForge agent runtime',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=notify',
    // READY/WATCHDOG come from a systemd-notify child of the daemon, not the main pid.
    'NotifyAccess=all',
    `ExecStart=${cmd(o.nodePath)} ${cmd(o.binPath)} daemon start --foreground`,
    `Environment=AGENTFORGE_HOME=${q(o.home)}`,
    ...(o.user !== undefined ? [`User=${o.user}`] : []),
    `WatchdogSec=${WATCHDOG_SEC}`,
    'Restart=on-failure',
    `RestartSec=${RESTART_SEC}`,
    `RestartPreventExitStatus=${CONFIG_INVALID_EXIT}`,
    `TimeoutStopSec=${stopSec}`,
    'KillMode=mixed',
    `MemoryMax=${o.memoryMaxMb}M`,
    'LimitNOFILE=65536',
    'TasksMax=4096',
    'NoNewPrivileges=true',
    'PrivateTmp=true',
    'ProtectSystem=strict',
    `ReadWritePaths=${q(o.home)}`,
    // The agents' bubblewrap sandboxes need these, and only these (sandbox-probe.ts).
    'RestrictNamespaces=user mnt pid',
    '',
    '[Install]',
    `WantedBy=${o.scope === 'user' ? 'default.target' : 'multi-user.target'}`,
    '',
  ];
  return lines.join('\n');
}

/** Daemon + every agent at its cap + headroom: the whole service's memory ceiling. */
export function serviceMemoryMb(maxAgents: number, agentMemoryMb: number): number {
  return 512 + maxAgents * agentMemoryMb;
}
