/**
 * SPEC §5 watchdog and sd_notify, with the real daemon in the foreground (as systemd runs it) and
 * the real `systemd-notify` talking to a NOTIFY_SOCKET we own: READY=1 (with MAINPID) at boot,
 * WATCHDOG=1 every WATCHDOG_USEC/2 while the store, channels and scheduler show progress, no
 * WATCHDOG=1 (and STATUS=unhealthy) once the Telegram poller hangs, pings again when it heals,
 * STOPPING=1 on SIGTERM. Without NOTIFY_SOCKET nothing is spawned at all.
 *
 * Node cannot bind a Unix datagram socket, so the listener is a small python3 child of this test.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_TOKEN, FakeTelegram } from '../fakes/telegram-api.js';
import {
  makeHome,
  spawnForeground,
  testConfig,
  waitExit,
  waitFor,
  type TestHome,
} from '../helpers/harness.js';
import { telegramConfig } from '../helpers/telegram-home.js';

const INTERVAL_MS = 1000; // WATCHDOG_USEC=2000000 → ping every second
/** poll_timeout 1s + stall_threshold 1s + the probe's 1s grace (src/daemon/liveness.ts). */
const PROGRESS_DEADLINE_MS = 3000;

const LISTENER = `
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps({"t": time.time() * 1000, "msg": "LISTENING"}), flush=True)
while True:
    data = s.recv(65536)
    print(json.dumps({"t": time.time() * 1000, "msg": data.decode("utf-8", "replace")}), flush=True)
`;

type Datagram = { t: number; msg: string };

/** A NOTIFY_SOCKET listener: every datagram with the time it arrived. */
async function startListener(socketPath: string): Promise<{
  proc: ChildProcessWithoutNullStreams;
  got: Datagram[];
  stop: () => void;
}> {
  const proc = spawn('python3', ['-c', LISTENER, socketPath], { stdio: ['pipe', 'pipe', 'pipe'] });
  const got: Datagram[] = [];
  createInterface({ input: proc.stdout }).on('line', (line) => got.push(JSON.parse(line) as Datagram));
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await waitFor(() => got.some((d) => d.msg === 'LISTENING'), 10_000, `the python listener (${stderr})`);
  return {
    proc,
    got,
    stop: () => {
      if (proc.exitCode === null && proc.pid !== undefined) process.kill(proc.pid, 'SIGTERM');
    },
  };
}

const isPing = (d: Datagram): boolean => d.msg.split('\n').includes('WATCHDOG=1');

describe('systemd notify and watchdog, with a hanging Telegram poller', () => {
  let tg: FakeTelegram;
  let h: TestHome;
  let dir: string;
  let listener: Awaited<ReturnType<typeof startListener>>;
  let daemon: ReturnType<typeof spawnForeground>;

  beforeAll(async () => {
    tg = new FakeTelegram();
    await tg.start();
    h = makeHome({ env: { AF_TEST_TG_TOKEN: FAKE_TOKEN } });
    expect((await h.run(['init'])).code).toBe(0);
    h.writeConfig(
      telegramConfig(tg.apiRoot)
        .replace('poll_timeout = "2s"', 'poll_timeout = "1s"')
        .replace('stall_threshold = "2s"', 'stall_threshold = "1s"'),
    );
    dir = mkdtempSync(join(tmpdir(), 'af-sd-'));
    listener = await startListener(join(dir, 'notify.sock'));
    daemon = spawnForeground(h, { NOTIFY_SOCKET: join(dir, 'notify.sock'), WATCHDOG_USEC: '2000000' });
  });

  afterAll(async () => {
    if (daemon.child.exitCode === null && daemon.child.pid !== undefined) daemon.child.kill('SIGKILL');
    listener.stop();
    await h.cleanup();
    await tg.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends READY=1 with MAINPID once up, then WATCHDOG=1 every WATCHDOG_USEC/2', async () => {
    const ready = await waitFor(
      () => listener.got.find((d) => d.msg.split('\n').includes('READY=1')),
      20_000,
      `READY=1 (daemon stderr: ${daemon.stderr()})`,
    );
    expect(ready.msg.split('\n')).toContain(`MAINPID=${daemon.child.pid}`);
    // READY comes after the API is listening: the state file is there and status answers.
    expect(existsSync(join(h.home, 'daemon.json'))).toBe(true);
    await waitFor(() => listener.got.filter(isPing).length >= 4, 10_000, 'four watchdog pings');
    const pings = listener.got.filter(isPing);
    expect(pings[0]!.t).toBeGreaterThanOrEqual(ready.t);
    for (const p of pings) expect(p.msg).toMatch(/^WATCHDOG=1\nSTATUS=ready: \d+ live agents, \d+ queued$/);
    const gaps = pings.slice(1).map((p, i) => p.t - pings[i]!.t);
    for (const g of gaps) {
      expect(g).toBeGreaterThan(INTERVAL_MS * 0.5);
      expect(g).toBeLessThan(INTERVAL_MS * 2);
    }
    expect(listener.got.some((d) => d.msg.startsWith('STATUS=unhealthy'))).toBe(false);
  });

  it('withholds WATCHDOG=1 once getUpdates hangs past its deadline, and says why', async () => {
    const before = tg.callsOf('getUpdates').length;
    tg.inject('getUpdates', { kind: 'stall' }, 50);
    // The first poll that hangs: the poll before it answered, which was the last progress.
    const stalledAt = (
      await waitFor(() => tg.callsOf('getUpdates')[before], 5_000, 'the first stalled getUpdates')
    ).at;
    const windowStart = stalledAt + PROGRESS_DEADLINE_MS + INTERVAL_MS;
    const windowEnd = windowStart + 3_000;
    const unhealthy = await waitFor(
      () => listener.got.find((d) => d.t > stalledAt && d.msg.startsWith('STATUS=unhealthy')),
      10_000,
      'STATUS=unhealthy',
    );
    expect(unhealthy.msg).toMatch(/^STATUS=unhealthy: telegram: receive loop made no progress for \d+ ms$/);
    expect(unhealthy.msg.split('\n')).not.toContain('WATCHDOG=1');
    // Within one interval after the progress deadline the pings have stopped…
    expect(unhealthy.t).toBeLessThan(stalledAt + PROGRESS_DEADLINE_MS + 2 * INTERVAL_MS + 500);
    await sleep(Math.max(0, windowEnd - Date.now()));
    const inWindow = listener.got.filter((d) => d.t >= windowStart && d.t <= windowEnd);
    // …and stay stopped for as long as the poller hangs, while the daemon keeps reporting why.
    expect(inWindow.filter(isPing)).toEqual([]);
    expect(inWindow.filter((d) => d.msg.startsWith('STATUS=unhealthy')).length).toBeGreaterThanOrEqual(2);
    expect(tg.callsOf('getUpdates').length - before).toBeGreaterThanOrEqual(2); // the poller kept retrying
    expect(daemon.child.exitCode).toBeNull();
  });

  it('pings again once the poller makes progress', async () => {
    tg.clearFaults();
    const clearedAt = Date.now();
    // The hanging poll is torn down at its deadline (≤ 2 s), the next one answers, the next tick pings.
    const ping = await waitFor(
      () => listener.got.find((d) => d.t > clearedAt && isPing(d)),
      8_000,
      'WATCHDOG=1 after the poller healed',
    );
    expect(ping.t - clearedAt).toBeLessThan(5_000);
  });

  it('sends STOPPING=1 on SIGTERM and exits 0', async () => {
    const sigAt = Date.now();
    daemon.child.kill('SIGTERM');
    const exit = await waitExit(daemon.child, 15_000);
    expect(exit).toEqual({ code: 0, signal: null });
    const stopping = listener.got.find((d) => d.t >= sigAt && d.msg.split('\n').includes('STOPPING=1'));
    expect(stopping, JSON.stringify(listener.got.slice(-5))).toBeDefined();
  });
});

describe('without NOTIFY_SOCKET', () => {
  let dir: string;
  const homes: TestHome[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'af-nosd-'));
    mkdirSync(join(dir, 'bin'));
    // A systemd-notify that only records that it ran.
    writeFileSync(
      join(dir, 'bin', 'systemd-notify'),
      `#!/bin/sh\necho "$NOTIFY_SOCKET $*" >> "$(dirname "$0")/../calls-$(basename "$NOTIFY_SOCKET")"\n`,
    );
    chmodSync(join(dir, 'bin', 'systemd-notify'), 0o755);
  });
  afterAll(async () => {
    for (const h of homes) await h.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  async function runDaemon(notifySocket: string | undefined): Promise<void> {
    const h = makeHome();
    homes.push(h);
    h.writeConfig(testConfig(0));
    const d = spawnForeground(h, {
      PATH: `${join(dir, 'bin')}:${process.env['PATH'] ?? ''}`,
      NOTIFY_SOCKET: notifySocket,
      WATCHDOG_USEC: '2000000',
    });
    await waitFor(() => existsSync(join(h.home, 'daemon.json')), 20_000, `daemon ready (${d.stderr()})`);
    await sleep(2.5 * INTERVAL_MS); // two watchdog intervals
    d.child.kill('SIGTERM');
    expect(await waitExit(d.child, 15_000)).toEqual({ code: 0, signal: null });
  }

  it('never runs systemd-notify (the same fake helper does run when NOTIFY_SOCKET is set)', async () => {
    await Promise.all([runDaemon(undefined), runDaemon(join(dir, 'control.sock'))]);
    // Control: with NOTIFY_SOCKET, this PATH's systemd-notify is the one that runs.
    const control = readFileSync(join(dir, 'calls-control.sock'), 'utf8');
    expect(control).toContain('READY=1');
    expect(control).toContain('STOPPING=1');
    // Without it: not once — not for READY, not for the watchdog, not for STOPPING.
    expect(readdirSync(dir).filter((f) => f.startsWith('calls'))).toEqual(['calls-control.sock']);
  });
});
