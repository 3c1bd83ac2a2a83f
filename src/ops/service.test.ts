import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  RESTART_SEC,
  WATCHDOG_SEC,
  renderUnit,
  serviceMemoryMb,
  unitPath,
  unitValue,
  type UnitOptions,
} from './service.js';

const BASE: UnitOptions = {
  scope: 'user',
  nodePath: '/usr/bin/node',
  binPath: '/opt/agentforge/bin/agentforge.js',
  home: '/home/op/.agentforge',
  shutdownTimeoutMs: 30_000,
  memoryMaxMb: 4608,
};

/** The [Service] keys of a rendered unit, each with every value it was given. */
function keys(unit: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of unit.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

const one = (unit: string, key: string): string | undefined => {
  const v = keys(unit).get(key);
  expect(v, key).toHaveLength(1);
  return v?.[0];
};

function systemdAnalyze(): boolean {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('renderUnit', () => {
  it('is a notify service with a watchdog that restarts only on failure', () => {
    const u = renderUnit(BASE);
    expect(one(u, 'Type')).toBe('notify');
    expect(one(u, 'NotifyAccess')).toBe('all');
    expect(one(u, 'ExecStart')).toBe(`${BASE.nodePath} ${BASE.binPath} daemon start --foreground`);
    expect(one(u, 'WatchdogSec')).toBe(String(WATCHDOG_SEC));
    expect(one(u, 'Restart')).toBe('on-failure');
    expect(u).not.toMatch(/Restart=always/);
    expect(one(u, 'RestartSec')).toBe(String(RESTART_SEC));
    expect(one(u, 'RestartPreventExitStatus')).toBe('6');
    expect(one(u, 'MemoryMax')).toBe('4608M');
    expect(one(u, 'LimitNOFILE')).toMatch(/^\d+$/);
    expect(one(u, 'TasksMax')).toMatch(/^\d+$/);
    expect(one(u, 'NoNewPrivileges')).toBe('true');
    expect(one(u, 'PrivateTmp')).toBe('true');
    expect(one(u, 'ProtectSystem')).toBe('strict');
    expect(one(u, 'ReadWritePaths')).toBe(BASE.home);
    expect(one(u, 'Environment')).toBe(`AGENTFORGE_HOME=${BASE.home}`);
    expect(u).toMatch(/^\[Unit\]$/m);
    expect(u).toMatch(/^\[Service\]$/m);
    expect(u).toMatch(/^\[Install\]$/m);
  });

  it('a user unit wants default.target and runs as its user; a system unit names User= and multi-user', () => {
    const user = renderUnit(BASE);
    expect(one(user, 'WantedBy')).toBe('default.target');
    expect(keys(user).has('User')).toBe(false);
    const system = renderUnit({ ...BASE, scope: 'system', user: 'agentforge' });
    expect(one(system, 'WantedBy')).toBe('multi-user.target');
    expect(one(system, 'User')).toBe('agentforge');
  });

  it.each([
    [30_000, 45],
    [5_000, 20],
    [1_500, 17],
    [0, 15],
    [600_000, 615],
  ])('TimeoutStopSec for shutdown_timeout %i ms is %i s: above the daemon’s own deadline', (ms, sec) => {
    const stop = Number(one(renderUnit({ ...BASE, shutdownTimeoutMs: ms }), 'TimeoutStopSec'));
    expect(stop).toBe(sec);
    // The daemon forces its exit at shutdown_timeout + 5 s; systemd must not SIGKILL before that.
    expect(stop * 1000).toBeGreaterThan(ms + 5_000);
  });

  it('quotes paths with spaces and quotes, and escapes systemd specifiers and variables', () => {
    const u = renderUnit({
      ...BASE,
      nodePath: '/opt/my node/bin/node',
      binPath: '/opt/a "quoted" $dir/agentforge.js',
      home: '/home/o p/100% sure',
    });
    expect(one(u, 'ExecStart')).toBe(
      '"/opt/my node/bin/node" "/opt/a \\"quoted\\" $$dir/agentforge.js" daemon start --foreground',
    );
    expect(one(u, 'Environment')).toBe('AGENTFORGE_HOME="/home/o p/100%% sure"');
    expect(one(u, 'ReadWritePaths')).toBe('"/home/o p/100%% sure"');
  });

  it('unitValue leaves plain paths alone and escapes backslashes inside quotes', () => {
    expect(unitValue('/plain/path')).toBe('/plain/path');
    expect(unitValue('/a\\b')).toBe('"/a\\\\b"');
    expect(unitValue("/it's")).toBe('"/it\'s"');
    expect(unitValue('/cost $5')).toBe('"/cost $5"'); // $ is only special on command lines
    expect(unitValue('/cost $5', { command: true })).toBe('"/cost $$5"');
  });

  it.runIf(systemdAnalyze())('systemd-analyze verify accepts the unit, also for awkward paths', () => {
    const dir = mkdtempSync(join(tmpdir(), 'af-unit-'));
    try {
      for (const home of ['/home/op/.agentforge', '/home/o p/100% sure/$HOME']) {
        const file = join(dir, 'agentforge.service');
        writeFileSync(file, renderUnit({ ...BASE, nodePath: process.execPath, home }));
        const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('unitPath and memory', () => {
  it('puts a user unit under XDG_CONFIG_HOME and a system unit under /etc', () => {
    expect(unitPath('user', { XDG_CONFIG_HOME: '/x/cfg' })).toBe('/x/cfg/systemd/user/agentforge.service');
    expect(unitPath('system', {})).toBe('/etc/systemd/system/agentforge.service');
  });

  it('caps the service at the daemon plus every agent at its cap', () => {
    expect(serviceMemoryMb(5, 2048)).toBe(512 + 5 * 2048);
    expect(serviceMemoryMb(1, 200)).toBe(712);
  });
});
