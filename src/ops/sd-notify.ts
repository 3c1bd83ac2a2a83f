/**
 * sd_notify for Type=notify services. Node cannot send Unix datagrams, so each notification runs
 * `systemd-notify` (which is why the unit sets NotifyAccess=all: the sender is our child, not us).
 * Without NOTIFY_SOCKET every call is a no-op that costs nothing.
 */
import { execFile } from 'node:child_process';

export type Notifier = {
  readonly enabled: boolean;
  /** Sends the assignments (e.g. "READY=1", "STATUS=…"); resolves false when it could not be sent. */
  readonly send: (...assignments: string[]) => Promise<boolean>;
};

export function createNotifier(env: NodeJS.ProcessEnv, command = 'systemd-notify'): Notifier {
  const socket = env['NOTIFY_SOCKET'];
  if (socket === undefined || socket === '') return { enabled: false, send: () => Promise.resolve(false) };
  return {
    enabled: true,
    send: (...assignments) =>
      new Promise((resolve) => {
        // Only NOTIFY_SOCKET and PATH: the helper needs nothing else of ours.
        execFile(
          command,
          assignments,
          { env: { NOTIFY_SOCKET: socket, PATH: env['PATH'] ?? '/usr/bin:/bin' }, timeout: 5_000 },
          (err) => resolve(err === null),
        );
      }),
  };
}

/** WATCHDOG_USEC/2 in milliseconds, or undefined when systemd asked for no watchdog. */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid = process.pid): number | undefined {
  const usec = Number(env['WATCHDOG_USEC']);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  const forPid = env['WATCHDOG_PID'];
  if (forPid !== undefined && forPid !== '' && Number(forPid) !== pid) return undefined;
  return Math.max(500, Math.floor(usec / 2 / 1000));
}
