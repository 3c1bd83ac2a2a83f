import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotifier, watchdogIntervalMs } from './sd-notify.js';

describe('watchdogIntervalMs', () => {
  it('is half of WATCHDOG_USEC, in milliseconds', () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '2000000' })).toBe(1000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' })).toBe(15_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '3000001' })).toBe(1500);
  });

  it('never goes below 500 ms', () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '100000' })).toBe(500);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '1' })).toBe(500);
  });

  it.each([undefined, '', '0', '-5', 'abc', 'Infinity'])('is off for WATCHDOG_USEC=%s', (usec) => {
    expect(watchdogIntervalMs(usec === undefined ? {} : { WATCHDOG_USEC: usec })).toBeUndefined();
  });

  it('honours WATCHDOG_PID: only the named process pings', () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '2000000', WATCHDOG_PID: '4242' }, 4242)).toBe(1000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '2000000', WATCHDOG_PID: '4243' }, 4242)).toBeUndefined();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '2000000', WATCHDOG_PID: '' }, 4242)).toBe(1000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '2000000', WATCHDOG_PID: String(process.pid) })).toBe(1000);
  });
});

describe('createNotifier', () => {
  let dir: string;
  let record: string;
  let fake: string;
  let failing: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'af-notify-'));
    record = join(dir, 'calls.txt');
    // Stands in for systemd-notify: records its arguments and the environment it was given.
    fake = join(dir, 'fake-notify');
    writeFileSync(
      fake,
      `#!/bin/sh\nprintf 'ARGS %s\\n' "$*" >> "${record}"\nenv | sort >> "${record}"\necho --- >> "${record}"\n`,
    );
    chmodSync(fake, 0o755);
    failing = join(dir, 'failing-notify');
    writeFileSync(failing, '#!/bin/sh\nexit 1\n');
    chmodSync(failing, 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([{}, { NOTIFY_SOCKET: '' }])(
    'is disabled and runs nothing without NOTIFY_SOCKET (%j)',
    async (env) => {
      const n = createNotifier({ ...env, PATH: process.env['PATH'] }, fake);
      expect(n.enabled).toBe(false);
      expect(await n.send('READY=1')).toBe(false);
      expect(existsSync(record)).toBe(false);
    },
  );

  it('runs the helper with the assignments and only NOTIFY_SOCKET and PATH in its environment', async () => {
    const n = createNotifier(
      { NOTIFY_SOCKET: '/run/x.sock', PATH: '/usr/bin:/bin', SECRET_TOKEN: 'hunter2', HOME: '/root' },
      fake,
    );
    expect(n.enabled).toBe(true);
    expect(await n.send('READY=1', 'STATUS=ready: 0 live agents')).toBe(true);
    const calls = readFileSync(record, 'utf8');
    expect(calls).toContain('ARGS READY=1 STATUS=ready: 0 live agents\n');
    expect(calls).toContain('NOTIFY_SOCKET=/run/x.sock\n');
    expect(calls).not.toContain('hunter2');
    expect(calls).not.toContain('HOME=/root');
  });

  it('resolves false when the helper fails or is missing', async () => {
    const env = { NOTIFY_SOCKET: '/run/x.sock', PATH: '/usr/bin:/bin' };
    expect(await createNotifier(env, failing).send('WATCHDOG=1')).toBe(false);
    expect(await createNotifier(env, join(dir, 'no-such-helper')).send('WATCHDOG=1')).toBe(false);
  });
});
