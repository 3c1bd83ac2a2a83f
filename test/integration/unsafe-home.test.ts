/**
 * Security audit, finding 5: the daemon started on a 0777 home, a 0644 api.token and a 0666
 * config.toml owned by another user, so another local user could read the token and rewrite the
 * config (the agent command then ran as the daemon's user). Now `daemon start` and `daemon check`
 * refuse such a home with exit 6 and one line naming the fix, doctor reports config.toml too, and
 * `doctor --fix` tightens the modes (it never changes owners).
 */
import { chmodSync, chownSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runDaemon } from '../../src/daemon/main.js';
import { UnsafeHomeError } from '../../src/ops/home-safety.js';
import { makeHome, startDaemon, testConfig, type TestHome } from '../helpers/harness.js';

type Finding = { id: string; severity: string; message: string; fix?: string };

const IS_ROOT = process.getuid?.() === 0;
const mode = (p: string): number => statSync(p).mode & 0o777;

describe('an unsafe home is refused', () => {
  let h: TestHome;
  beforeEach(async () => {
    h = makeHome();
    h.writeConfig(testConfig(0));
    expect((await h.run(['init'])).code).toBe(0);
  });
  afterEach(() => h.cleanup());

  const CASES = [
    { what: 'a 0777 home', file: '', set: 0o777, fix: 'chmod 700', id: 'home.permissions' },
    { what: 'a 0644 api.token', file: 'api.token', set: 0o644, fix: 'chmod 600', id: 'token.permissions' },
    {
      what: 'a 0666 config.toml',
      file: 'config.toml',
      set: 0o666,
      fix: 'chmod 600',
      id: 'config.permissions',
    },
    {
      what: 'a 0640 config.toml',
      file: 'config.toml',
      set: 0o640,
      fix: 'chmod 600',
      id: 'config.permissions',
    },
  ];

  it.each(CASES)(
    '$what: daemon start and daemon check exit 6 naming the fix; doctor --fix repairs it',
    async (c) => {
      const path = c.file === '' ? h.home : join(h.home, c.file);
      chmodSync(path, c.set);

      const start = await h.run(['daemon', 'start']);
      expect(start.code, start.stdout + start.stderr).toBe(6);
      const lines = start.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`${c.fix} ${path}`);
      expect(existsSync(join(h.home, 'daemon.json'))).toBe(false);
      expect(existsSync(join(h.home, 'daemon.lock'))).toBe(false);
      expect(mode(path)).toBe(c.set); // refused, not "fixed" behind the operator's back

      const fg = await h.run(['daemon', 'start', '--foreground']);
      expect(fg.code).toBe(6);
      expect(fg.stderr).toContain(`${c.fix} ${path}`);

      const check = await h.run(['daemon', 'check', '-o', 'json']);
      expect(check.code).toBe(6);
      const findings = (JSON.parse(check.stdout) as { findings: Finding[] }).findings;
      expect(findings.find((f) => f.id === c.id)).toMatchObject({
        severity: 'error',
        fix: `run: ${c.fix} ${path}`,
      });

      const doctor = await h.run(['doctor', '-o', 'json', '--only', c.id]);
      expect(doctor.code).toBe(5);
      const fixed = await h.run(['doctor', '--fix', '-o', 'json', '--only', c.id]);
      expect(fixed.code, fixed.stdout).toBe(0);
      expect(mode(path)).toBe(c.file === '' ? 0o700 : 0o600);
      expect((await h.run(['daemon', 'check'])).code).toBe(0);
    },
  );

  it('a fixed home starts (the refusal leaves nothing behind that blocks the next start)', async () => {
    chmodSync(join(h.home, 'api.token'), 0o644);
    expect((await h.run(['daemon', 'start'])).code).toBe(6);
    expect((await h.run(['doctor', '--fix'])).code).not.toBe(5);
    await startDaemon(h);
    expect((await h.run(['daemon', 'stop'])).code).toBe(0);
  });

  it.runIf(IS_ROOT)(
    'a config.toml or api.token owned by another user is refused, and --fix does not chown it',
    async () => {
      for (const file of ['config.toml', 'api.token']) {
        const path = join(h.home, file);
        chownSync(path, 65534, 65534);
        const start = await h.run(['daemon', 'start']);
        expect(start.code).toBe(6);
        expect(start.stderr).toContain(`owned by uid 65534`);
        expect(start.stderr).toContain(`chown 0 ${path}`);
        expect((await h.run(['daemon', 'check'])).code).toBe(6);
        await h.run(['doctor', '--fix']);
        expect(statSync(path).uid).toBe(65534);
        expect((await h.run(['daemon', 'start'])).code).toBe(6);
        chownSync(path, 0, 0);
      }
    },
  );

  it('the daemon itself refuses to boot on an unsafe home, before it reads the config', async () => {
    chmodSync(join(h.home, 'config.toml'), 0o606);
    const umask = process.umask();
    try {
      await expect(runDaemon({ home: h.home, prettyToStdout: false })).rejects.toThrow(UnsafeHomeError);
    } finally {
      process.umask(umask);
    }
    expect(existsSync(join(h.home, 'daemon.lock'))).toBe(false);
  });

  it('agentforge init makes a home that passes: home, token and config are private', async () => {
    const fresh = makeHome();
    try {
      expect((await fresh.run(['init'])).code).toBe(0);
      expect(mode(fresh.home)).toBe(0o700);
      expect(mode(join(fresh.home, 'api.token'))).toBe(0o600);
      expect(mode(join(fresh.home, 'config.toml'))).toBe(0o600);
      const r = await fresh.run(['daemon', 'check', '-o', 'json']);
      expect(r.code, r.stdout).toBe(0);
      const findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
      for (const id of ['home.permissions', 'token.permissions', 'config.permissions'])
        expect(findings.find((f) => f.id === id)?.severity, id).toBe('ok');
    } finally {
      await fresh.cleanup();
    }
  });
});
