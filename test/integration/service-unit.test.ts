/**
 * SPEC §10 `agentforge service install|uninstall|status` through the real CLI: the unit it prints
 * and writes (Type=notify, watchdog, restart only on failure, a stop timeout above the daemon's
 * own shutdown_timeout, resource caps, a sandbox that can write only the home), checked by
 * `systemd-analyze verify` where it is installed; a user unit goes under XDG_CONFIG_HOME.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, makeHome, testConfig, type TestHome } from '../helpers/harness.js';

const SHUTDOWN_S = 20;

function unitKeys(unit: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of unit.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

function hasSystemdAnalyze(): boolean {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const ANALYZE = hasSystemdAnalyze();
if (!ANALYZE) console.warn('service-unit.test: systemd-analyze is not installed; skipping `verify`');

describe('service install / status / uninstall', () => {
  let h: TestHome;
  let xdg: string;
  let scratch: string;
  beforeAll(() => {
    xdg = mkdtempSync(join(tmpdir(), 'af-xdg-'));
    scratch = mkdtempSync(join(tmpdir(), 'af-unit-'));
    h = makeHome({ env: { XDG_CONFIG_HOME: xdg } });
    h.writeConfig(
      testConfig(0, '\n[limits]\nmax_concurrent_agents = 3\nagent_memory_mb = 1000\n').replace(
        'shutdown_timeout = "5s"',
        `shutdown_timeout = "${SHUTDOWN_S}s"`,
      ),
    );
  });
  afterAll(async () => {
    await h.cleanup();
    rmSync(xdg, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  it('--print shows a hardened notify unit for this home and install (-o json) prints the same', async () => {
    const r = await h.run(['service', 'install', '--print']);
    expect(r.code, r.stderr).toBe(0);
    const unit = r.stdout;
    const k = unitKeys(unit);
    const one = (key: string): string => {
      expect(k.get(key), key).toHaveLength(1);
      return k.get(key)![0]!;
    };
    expect(one('Type')).toBe('notify');
    expect(one('NotifyAccess')).toBe('all');
    expect(one('ExecStart')).toBe(`${process.execPath} ${BIN} daemon start --foreground`);
    expect(Number(one('WatchdogSec'))).toBeGreaterThan(0);
    expect(one('Restart')).toBe('on-failure');
    expect(unit).not.toMatch(/Restart=always/);
    expect(Number(one('RestartSec'))).toBeGreaterThan(0);
    // systemd must give the daemon longer than its own drain (shutdown_timeout + 5 s slack).
    expect(Number(one('TimeoutStopSec'))).toBeGreaterThan(SHUTDOWN_S + 5);
    expect(one('MemoryMax')).toBe(`${512 + 3 * 1000}M`);
    expect(Number(one('LimitNOFILE'))).toBeGreaterThanOrEqual(4096);
    expect(Number(one('TasksMax'))).toBeGreaterThan(0);
    expect(one('NoNewPrivileges')).toBe('true');
    expect(one('PrivateTmp')).toBe('true');
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('ReadWritePaths')).toBe(h.home);
    // Room for the agents' bubblewrap (user, mount and pid namespaces), nothing that forbids it.
    expect(one('RestrictNamespaces')).toBe('user mnt pid');
    for (const k of [
      'PrivateUsers',
      'SystemCallFilter',
      'ProtectKernelTunables',
      'ProtectProc',
      'ProcSubset',
    ])
      expect(unitKeys(unit).get(k), k).toBeUndefined();
    expect(one('Environment')).toBe(`AGENTFORGE_HOME=${h.home}`);
    expect(one('WantedBy')).toBe('default.target');
    // Printing writes nothing.
    expect(existsSync(join(xdg, 'systemd'))).toBe(false);

    const json = await h.json<{ unit: string }>(['service', 'install', '--print']);
    expect(json.unit.trim()).toBe(unit.trim());

    const sys = await h.run(['service', 'install', '--print', '--system']);
    expect(sys.code).toBe(0);
    expect(unitKeys(sys.stdout).get('User')).toHaveLength(1);
    expect(unitKeys(sys.stdout).get('WantedBy')).toEqual(['multi-user.target']);
    const both = await h.run(['service', 'install', '--print', '--user', '--system']);
    expect(both.code).toBe(2);
  });

  it.runIf(ANALYZE)(
    'systemd-analyze verify accepts the printed unit (also for a home with spaces and %)',
    async () => {
      const awkward = join(scratch, 'my home 100%');
      mkdirSync(awkward);
      const h2 = makeHome({ env: { AGENTFORGE_HOME: awkward } });
      writeFileSync(join(awkward, 'config.toml'), testConfig(0));
      try {
        for (const home of [h, h2]) {
          const r = await home.run(['service', 'install', '--print']);
          expect(r.code, r.stderr).toBe(0);
          const file = join(scratch, 'agentforge.service');
          writeFileSync(file, r.stdout);
          const v = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
          // verify exits 0 even for ignored lines; those are printed, so nothing may be printed.
          expect(v.stderr + v.stdout).toBe('');
          expect(v.status).toBe(0);
        }
      } finally {
        await h2.cleanup();
      }
    },
  );

  it('--user writes the unit under XDG_CONFIG_HOME; status sees it; uninstall removes it', async () => {
    const path = join(xdg, 'systemd', 'user', 'agentforge.service');
    const before = await h.json<{ installed: boolean; path: string }>(['service', 'status', '--user']);
    expect(before).toMatchObject({ installed: false, path });

    const inst = await h.json<{ written: string; scope: string }>(['service', 'install', '--user']);
    expect(inst).toEqual({ written: path, scope: 'user' });
    const printed = (await h.run(['service', 'install', '--print', '--user'])).stdout;
    expect(readFileSync(path, 'utf8').trim()).toBe(printed.trim());
    expect(statSync(path).mode & 0o777).toBe(0o644);

    const st = await h.json<{ installed: boolean; path: string; scope: string; up_to_date: boolean }>([
      'service',
      'status',
      '--user',
    ]);
    expect(st).toMatchObject({ installed: true, path, scope: 'user', up_to_date: true });
    const human = await h.run(['service', 'status']);
    expect(human.stdout).toContain(path);
    expect(human.stdout).not.toContain('not installed');
    expect(human.stdout).not.toContain('out of date');

    // The unit bakes in shutdown_timeout (TimeoutStopSec): after changing it, status says so.
    const config = readFileSync(join(h.home, 'config.toml'), 'utf8');
    h.writeConfig(config.replace(`shutdown_timeout = "${SHUTDOWN_S}s"`, 'shutdown_timeout = "90s"'));
    try {
      const stale = await h.json<{ up_to_date: boolean }>(['service', 'status', '--user']);
      expect(stale.up_to_date).toBe(false);
      expect((await h.run(['service', 'status'])).stdout).toContain('out of date');
    } finally {
      h.writeConfig(config);
    }

    const un = await h.json<{ removed: boolean; path: string }>(['service', 'uninstall', '--user']);
    expect(un).toEqual({ removed: true, path });
    expect(existsSync(path)).toBe(false);
    const after = await h.json<{ installed: boolean }>(['service', 'status', '--user']);
    expect(after.installed).toBe(false);
    const again = await h.json<{ removed: boolean }>(['service', 'uninstall', '--user']);
    expect(again.removed).toBe(false);
  });
});
