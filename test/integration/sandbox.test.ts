/**
 * Issue 13: each agent runs under bubblewrap (real bwrap, real daemon, the demo agent as the real
 * ACP child). A sandboxed agent cannot reach the daemon's token and database, another group's
 * workspace, the operator's home or the daemon's /proc, through its own file access or through
 * ACP fs; it can read and write its own workspace. An agent's `setsid` child does not outlive
 * `session stop` nor a kill -9 of the daemon. Without bwrap, `auto` falls back (status and doctor
 * say so) and `bwrap` refuses to start the agent with the failure kind `sandbox`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DoctorReport, Status } from '../../src/contract.js';
import { probeSandbox } from '../../src/sessions/sandbox-probe.js';
import { isAlive, makeHome, startDaemon, testConfig, waitFor, type TestHome } from '../helpers/harness.js';
import { descendants, newSession, prompt, reply, show, startTimeOf } from '../helpers/sessions.js';

const bwrap = probeSandbox();
if (!bwrap.ok) console.warn(`sandbox tests skipped: ${bwrap.reason}`);

const CONFIG = testConfig(0, '\n[limits]\nturn_timeout = "30s"\nagent_memory_mb = 300\n');

describe.skipIf(!bwrap.ok)('a sandboxed agent (bubblewrap)', () => {
  let h: TestHome | undefined;
  let userHome: string | undefined;
  afterEach(async () => {
    await h?.run(['daemon', 'stop']);
    await h?.cleanup();
    if (userHome !== undefined) rmSync(userHome, { recursive: true, force: true });
  });

  it("sees its own workspace and none of the daemon's secrets, other groups or the operator's home", async () => {
    userHome = mkdtempSync(join(tmpdir(), 'af-user-'));
    mkdirSync(join(userHome, '.ssh'), { mode: 0o700 });
    const sshKey = join(userHome, '.ssh', 'id_ed25519');
    writeFileSync(sshKey, 'PRIVATE KEY canary-ssh\n', { mode: 0o600 });
    h = makeHome({ env: { HOME: userHome } });
    h.writeConfig(CONFIG);
    const daemon = await startDaemon(h);
    const other = await newSession(h, ['--group', 'other']);
    expect(other).toMatch(/^s-/);
    const otherMemory = join(h.home, 'groups', 'other', 'AGENTS.md');
    writeFileSync(otherMemory, 'canary-other-group\n');
    const id = await newSession(h);

    const secrets = [
      join(h.home, 'api.token'),
      join(h.home, 'agentforge.db'),
      otherMemory,
      sshKey,
      `/proc/${daemon}/environ`,
    ];
    for (const path of secrets) {
      expect(await reply(h, id, `cat ${path}`), path).toMatch(/^fs error (ENOENT|EACCES|EPERM)/);
      expect(await reply(h, id, `read ${path}`), path).toMatch(/^read refused/);
    }
    // The home is there only as the way to the agent's own directories.
    expect((await reply(h, id, `ls ${h.home}`)).split('\n').sort()).toEqual(['agents', 'groups']);
    expect(await reply(h, id, `ls ${join(h.home, 'groups')}`)).toBe('cli');
    expect(await reply(h, id, `ls ${userHome}`)).toMatch(/^fs error ENOENT/);
    // The daemon is not among the processes the agent can see.
    expect(await reply(h, id, 'ls /proc')).not.toMatch(new RegExp(`^${daemon}$`, 'm'));

    // Its own workspace: read and written, both ways.
    expect(await reply(h, id, 'cat AGENTS.md')).toContain('# Memory');
    expect(await reply(h, id, 'put own.txt written-inside')).toBe('put own.txt');
    expect(readFileSync(join(h.home, 'groups', 'cli', 'own.txt'), 'utf8')).toBe('written-inside');
    expect(await reply(h, id, 'read own.txt')).toBe('written-inside');
    expect(await reply(h, id, 'write via-acp.txt through-acp')).toBe('wrote via-acp.txt');
    expect(await reply(h, id, 'cat via-acp.txt')).toBe('through-acp');
    // Its /tmp is its own.
    expect(await reply(h, id, 'put /tmp/scratch x')).toBe('put /tmp/scratch');

    const status = await h.json<Status>(['status']);
    expect(status.sandbox).toEqual([{ agent: 'demo', mode: 'auto', sandboxed: true, reason: null }]);
    const doctor = await h.json<DoctorReport>(['doctor']);
    expect(doctor.findings.find((f) => f.id === 'agents.sandbox')).toMatchObject({
      severity: 'ok',
      message: 'agent sandboxes: demo: bwrap',
    });
  });

  /** The host pids of the agent's detached `sleep 600`, found from the sandbox leader. */
  async function setsidChild(t: TestHome, id: string): Promise<{ pid: number; startTime: string }> {
    expect(await reply(t, id, 'spawn-setsid')).toMatch(/^setsid child pid \d+$/);
    const leader = (await show(t, id)).pid!;
    const found = await waitFor(
      () =>
        descendants(leader).find((p) => {
          try {
            return readFileSync(`/proc/${p.pid}/cmdline`, 'utf8') === ['sleep', '600', ''].join('\0');
          } catch {
            return false;
          }
        }),
      5_000,
      'the setsid child',
    );
    t.track(found.pid);
    return found;
  }
  const gone = (p: { pid: number; startTime: string }): boolean => startTimeOf(p.pid) !== p.startTime;

  it('ends a setsid child with the session, and with a kill -9 of the daemon', async () => {
    h = makeHome();
    h.writeConfig(CONFIG);
    const daemon = await startDaemon(h);
    const id = await newSession(h);
    const first = await setsidChild(h, id);
    expect(gone(first)).toBe(false);
    const stop = await h.run(['session', 'stop', id]);
    expect(stop.code, stop.stderr).toBe(0);
    await waitFor(() => gone(first), 5_000, 'the setsid child to end with session stop');

    const id2 = await newSession(h);
    const second = await setsidChild(h, id2);
    process.kill(daemon, 'SIGKILL');
    await waitFor(() => !isAlive(daemon), 5_000, 'the daemon to die');
    await waitFor(() => gone(second), 5_000, 'the setsid child to end with the daemon');
    await startDaemon(h);
    expect(gone(second)).toBe(true);
    // The session works again after the restart, sandboxed as before.
    expect(await reply(h, id2, `cat ${join(h.home, 'api.token')}`)).toMatch(/^fs error ENOENT/);
  });
});

describe('without bubblewrap', () => {
  let h: TestHome | undefined;
  let bin: string | undefined;
  afterEach(async () => {
    await h?.run(['daemon', 'stop']);
    await h?.cleanup();
    if (bin !== undefined) rmSync(bin, { recursive: true, force: true });
  });

  it('auto falls back with a warning in status and doctor; bwrap refuses with kind `sandbox`', async () => {
    // A PATH with node and nothing else: no bwrap.
    bin = mkdtempSync(join(tmpdir(), 'af-path-'));
    symlinkSync(process.execPath, join(bin, 'node'));
    h = makeHome({ env: { PATH: bin } });
    h.writeConfig(
      `${CONFIG}\n[agents.demo]\npreset = "demo"\ndefault = true\n\n[agents.strict]\npreset = "demo"\nsandbox = "bwrap"\n`,
    );
    await startDaemon(h);

    const status = await h.json<Status>(['status']);
    const reason = expect.stringContaining('bubblewrap (bwrap) is not installed or not on PATH');
    expect(status.sandbox).toEqual([
      { agent: 'demo', mode: 'auto', sandboxed: false, reason },
      { agent: 'strict', mode: 'bwrap', sandboxed: false, reason },
    ]);
    const text = await h.run(['status']);
    expect(text.stdout).toContain('sandbox    demo: none (WARNING: not sandboxed: bubblewrap (bwrap)');
    const doctor = await h.json<DoctorReport>(['doctor']);
    const finding = doctor.findings.find((f) => f.id === 'agents.sandbox');
    expect(finding).toMatchObject({
      severity: 'error',
      fix: expect.stringContaining('apt-get install bubblewrap'),
    });
    expect(finding?.message).toContain('demo: NOT sandboxed');
    expect(finding?.message).toContain('strict (sandbox = "bwrap") will not start');

    // auto: the agent runs, with the daemon's own view (the documented fallback).
    const open = await newSession(h);
    const token = readFileSync(join(h.home, 'api.token'), 'utf8');
    expect(await reply(h, open, `cat ${join(h.home, 'api.token')}`)).toBe(token);

    // bwrap: refused before any process starts, with its own kind.
    const strict = await newSession(h, ['--agent', 'strict']);
    const r = await prompt(h, strict, 'echo hi');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('turn failed (sandbox)');
    const s = await show(h, strict);
    expect(s).toMatchObject({ last_error_kind: 'sandbox', pid: null });
    expect(s.last_error).toContain('sandbox = "bwrap" but bubblewrap (bwrap) is not installed');
  });
});
