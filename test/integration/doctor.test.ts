/**
 * SPEC §2/§10: `doctor` works with the daemon down and up, reports findings with stable ids, exits
 * 0 / 4 (warnings) / 5 (errors), and `--fix` repairs what is safe to repair. `daemon check` is the
 * preflight: 0 on a good home, 6 on a bad config.
 */
import { chmodSync, statSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAlive, makeHome, startDaemon, testConfig, waitFor, type TestHome } from '../helpers/harness.js';

type Finding = { id: string; severity: 'ok' | 'info' | 'warn' | 'error'; message: string; fix?: string };
type Report = { ok: boolean; counts: Record<string, number>; findings: Finding[] };

const STABLE_IDS = [
  'node.version',
  'home.permissions',
  'token.permissions',
  'config.permissions',
  'config.valid',
  'db.integrity',
  'db.schema',
  'disk.free',
  'daemon.socket',
  'http.loopback',
  'limits.nofile',
];
/** Findings that depend on the host, not the home; a small CI box may warn about them. */
const HOST_DEPENDENT = new Set(['disk.free', 'limits.nofile']);

const exitFor = (r: Report): number =>
  r.findings.some((f) => f.severity === 'error') ? 5 : r.findings.some((f) => f.severity === 'warn') ? 4 : 0;

describe('agentforge doctor', () => {
  let h: TestHome;
  beforeEach(async () => {
    h = makeHome();
    h.writeConfig(testConfig(0));
    expect((await h.run(['init'])).code).toBe(0);
  });
  afterEach(() => h.cleanup());

  async function doctor(
    ...args: string[]
  ): Promise<{ code: number; report: Report; byId: Map<string, Finding> }> {
    const r = await h.run(['doctor', '-o', 'json', ...args]);
    const report = JSON.parse(r.stdout) as Report;
    return { code: r.code, report, byId: new Map(report.findings.map((f) => [f.id, f])) };
  }

  function expectWellFormed(report: Report): void {
    const ids = report.findings.map((f) => f.id);
    expect(ids).toEqual(expect.arrayContaining(STABLE_IDS));
    expect(new Set(ids).size).toBe(ids.length);
    for (const f of report.findings) {
      expect(['ok', 'info', 'warn', 'error']).toContain(f.severity);
      expect(typeof f.message).toBe('string');
      expect(f.message.length).toBeGreaterThan(0);
      if (f.severity === 'warn' || f.severity === 'error') expect(f.fix, f.id).toEqual(expect.any(String));
    }
  }

  const problems = (report: Report): Finding[] =>
    report.findings.filter(
      (f) => !HOST_DEPENDENT.has(f.id) && (f.severity === 'warn' || f.severity === 'error'),
    );

  it('passes a good home with the daemon down', async () => {
    const { code, report, byId } = await doctor();
    expectWellFormed(report);
    expect(problems(report)).toEqual([]);
    expect(code).toBe(exitFor(report));
    expect(byId.get('daemon.socket')).toMatchObject({
      severity: 'info',
      message: expect.stringMatching(/not running/),
    });
    expect(byId.get('home.permissions')?.severity).toBe('ok');
  });

  it('passes a good home with the daemon up, and sees the daemon answering', async () => {
    await startDaemon(h);
    const { code, report, byId } = await doctor();
    expectWellFormed(report);
    expect(problems(report)).toEqual([]);
    expect(code).toBe(exitFor(report));
    for (const id of ['daemon.socket', 'db.integrity', 'db.schema', 'config.valid'])
      expect(byId.get(id)?.severity, id).toBe('ok');
  });

  it('exits 4 on a warning: the stale socket a kill -9 leaves behind', async () => {
    const pid = await startDaemon(h);
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isAlive(pid), 5_000, `pid ${pid} to die`);
    const { code, report, byId } = await doctor();
    expect(byId.get('daemon.socket')).toMatchObject({
      severity: 'warn',
      message: expect.stringMatching(/stale/),
    });
    expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(code).toBe(4);
  });

  it.each(['down', 'up'])(
    'exits 5 when the home is 0755 (daemon %s), hints chmod 700, and --fix repairs it',
    async (daemon) => {
      if (daemon === 'up') await startDaemon(h);
      chmodSync(h.home, 0o755);
      const bad = await doctor();
      expect(bad.code).toBe(5);
      expect(bad.byId.get('home.permissions')).toMatchObject({
        severity: 'error',
        fix: expect.stringContaining('chmod 700'),
      });

      const fixed = await doctor('--fix');
      expect(statSync(h.home).mode & 0o777).toBe(0o700);
      expect(fixed.byId.get('home.permissions')?.severity).toBe('ok');
      expect(problems(fixed.report)).toEqual([]);
      expect(fixed.code).toBe(exitFor(fixed.report));
    },
  );

  it('exits 5 with a config.valid error naming the line when the config is invalid', async () => {
    h.writeConfig('[http]\nport = 0\nbogus = 1\n');
    const { code, byId } = await doctor();
    expect(code).toBe(5);
    expect(byId.get('config.valid')).toMatchObject({
      severity: 'error',
      message: expect.stringContaining('config.toml:3: http.bogus'),
    });
  });

  it('--only runs one check, and an unknown id is a usage error', async () => {
    const { report } = await doctor('--only', 'home.permissions');
    expect(report.findings.map((f) => f.id)).toEqual(['home.permissions']);
    expect((await h.run(['doctor', '--only', 'no.such.check'])).code).toBe(2);
  });
});

describe('agentforge daemon check', () => {
  let h: TestHome;
  beforeEach(() => {
    h = makeHome();
  });
  afterEach(() => h.cleanup());

  it('exits 0 on a good home', async () => {
    h.writeConfig(testConfig(0));
    await h.run(['init']);
    const r = await h.run(['daemon', 'check', '-o', 'json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const { ok, findings } = JSON.parse(r.stdout) as { ok: boolean; findings: Finding[] };
    expect(ok).toBe(true);
    expect(findings.map((f) => f.id)).toEqual(expect.arrayContaining(['config.valid', 'db.migrations']));
  });

  it('warns (exit 0) when allowed_users names users by username, in daemon check, config validate and doctor', async () => {
    h.writeConfig(testConfig(0, '\n[channels.telegram]\nallowed_users = [123456789, "@Alice"]\n'));
    await h.run(['init']);
    const check = await h.run(['daemon', 'check']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(/^WARN\s+telegram\.allowed_users .*username.*@Alice/m);
    const validate = await h.run(['config', 'validate']);
    expect(validate.code).toBe(0);
    expect(validate.stderr).toMatch(/warning: .*username/);
    const json = await h.json<{ valid: boolean; warnings: string[] }>(['config', 'validate']);
    expect(json).toMatchObject({ valid: true, warnings: [expect.stringContaining('@Alice')] });
    const doctor = await h.run(['doctor', '-o', 'json', '--only', 'telegram.allowed_users']);
    expect(doctor.code).toBe(4);
    expect(JSON.parse(doctor.stdout)).toMatchObject({
      findings: [{ id: 'telegram.allowed_users', severity: 'warn', fix: expect.stringContaining('numeric') }],
    });
    // Numeric ids only: nothing to warn about.
    h.writeConfig(testConfig(0, '\n[channels.telegram]\nallowed_users = [123456789]\n'));
    expect((await h.run(['config', 'validate'])).stderr).toBe('');
    expect((await h.run(['doctor', '--only', 'telegram.allowed_users'])).code).toBe(0);
  });

  it('exits 6 on a bad config, naming its line and key', async () => {
    h.writeConfig('[http]\nport = 0\n[daemon]\nshutdown_timeout = "soon"\n');
    await h.run(['init']);
    const r = await h.run(['daemon', 'check']);
    expect(r.code).toBe(6);
    expect(r.stdout + r.stderr).toContain('config.toml:4: daemon.shutdown_timeout');
  });
});
