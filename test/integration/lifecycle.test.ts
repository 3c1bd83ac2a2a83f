/**
 * Daemon lifecycle through the real executable: detached start, status, stop, single instance,
 * recovery after kill -9, orderly SIGTERM in the foreground, and status while down.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ROOT,
  freePort,
  isAlive,
  makeHome,
  spawnForeground,
  startDaemon,
  testConfig,
  waitExit,
  waitFor,
  type TestHome,
} from '../helpers/harness.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const build = JSON.parse(readFileSync(join(ROOT, 'dist/build-info.json'), 'utf8')) as { gitSha: string };

describe('daemon lifecycle', () => {
  let h: TestHome;
  beforeEach(async () => {
    h = makeHome();
    h.writeConfig(testConfig(await freePort()));
  });
  afterEach(() => h.cleanup());

  const runtimeFiles = (): Record<string, boolean> => ({
    sock: existsSync(join(h.home, 'daemon.sock')),
    json: existsSync(join(h.home, 'daemon.json')),
    lock: existsSync(join(h.home, 'daemon.lock')),
  });

  it('starts detached, reports pid, version and git sha in status, and stops cleanly', async () => {
    const pid = await startDaemon(h);
    expect(isAlive(pid)).toBe(true);

    const status = await h.run(['status', '-o', 'json']);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout);
    expect(s).toMatchObject({ running: true, pid, version: pkg.version, git_sha: build.gitSha });
    expect(s.git_sha).not.toBe('');

    const stop = await h.run(['daemon', 'stop', '-o', 'json']);
    expect(stop.code).toBe(0);
    expect(JSON.parse(stop.stdout)).toMatchObject({ stopped: true, pid });
    await waitFor(() => !isAlive(pid), 5_000, `pid ${pid} to exit`);
    expect(runtimeFiles()).toEqual({ sock: false, json: false, lock: false });
  });

  it('refuses a second start while one is running and names the running pid', async () => {
    const pid = await startDaemon(h);
    const second = await h.run(['daemon', 'start']);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain(`pid ${pid}`);
    // The refused start changed nothing: the first daemon still owns the home.
    expect(isAlive(pid)).toBe(true);
    expect((await h.json(['status'])).pid).toBe(pid);
  });

  it('starts again after kill -9, taking over the stale lock and socket', async () => {
    const first = await startDaemon(h);
    process.kill(first, 'SIGKILL');
    await waitFor(() => !isAlive(first), 5_000, `pid ${first} to die`);
    // kill -9 gives no chance to clean up: the lock and socket are left behind.
    expect(runtimeFiles()).toMatchObject({ sock: true, lock: true });

    const second = await startDaemon(h);
    expect(second).not.toBe(first);
    const status = await h.run(['status', '-o', 'json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      running: true,
      pid: second,
      last_shutdown: 'unclean',
    });
  });

  it('exits 0 on SIGTERM in the foreground within shutdown_timeout and removes socket, state and lock', async () => {
    const { child, stderr } = spawnForeground(h);
    await waitFor(() => existsSync(join(h.home, 'daemon.json')), 15_000, 'daemon.json (ready)');
    expect(runtimeFiles()).toEqual({ sock: true, json: true, lock: true });

    const t0 = Date.now();
    child.kill('SIGTERM');
    const exit = await waitExit(child, 10_000);
    const took = Date.now() - t0;
    expect(exit, stderr()).toEqual({ code: 0, signal: null });
    expect(took).toBeLessThan(5_000); // shutdown_timeout = "5s"
    expect(runtimeFiles()).toEqual({ sock: false, json: false, lock: false });
  });

  it('status exits 3 and says running:false when the daemon is down', async () => {
    await h.run(['init']);
    const r = await h.run(['status', '-o', 'json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ running: false });

    // Also after a crash that left a stale socket behind.
    const pid = await startDaemon(h);
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isAlive(pid), 5_000, `pid ${pid} to die`);
    const after = await h.run(['status', '-o', 'json']);
    expect(after.code).toBe(3);
    expect(JSON.parse(after.stdout)).toMatchObject({ running: false });
  });
});
