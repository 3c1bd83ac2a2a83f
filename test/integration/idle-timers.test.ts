/**
 * SPEC §5: "Nothing polls on a sub-second timer when idle." A preload (test/fixtures/timer-probe.mjs)
 * records every timer the daemon arms and every interval tick; once the daemon is ready we send it
 * nothing for 3 s and then require that no timer shorter than 1 s was armed or ticked in that window.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ROOT,
  freePort,
  makeHome,
  spawnForeground,
  testConfig,
  waitExit,
  waitFor,
  type TestHome,
} from '../helpers/harness.js';

type TimerCall = { t: number; kind: string; delay: number; at: string };

const PROBE = pathToFileURL(join(ROOT, 'test/fixtures/timer-probe.mjs')).href;
const IDLE_MS = 3_000;

describe('an idle daemon', () => {
  let h: TestHome;
  beforeEach(() => {
    h = makeHome();
  });
  afterEach(() => h.cleanup());

  it('arms no timer shorter than 1 s', async () => {
    h.writeConfig(testConfig(await freePort()));
    const log = join(h.home, 'timers.jsonl');
    const { child, stderr } = spawnForeground(h, { NODE_OPTIONS: `--import ${PROBE}`, AF_TIMER_LOG: log });

    // Ready = daemon.json written (after the listeners are up). Watched on disk: no request is sent.
    await waitFor(() => existsSync(join(h.home, 'daemon.json')), 15_000, 'daemon.json (ready)');
    const from = Date.now();
    await sleep(IDLE_MS);
    const to = Date.now();

    child.kill('SIGTERM');
    expect((await waitExit(child, 15_000)).code, stderr()).toBe(0);

    const calls = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TimerCall);
    // The probe was live in the daemon: it saw the daemon's own shutdown deadline (shutdown_timeout 5s + slack).
    expect(calls[0]?.kind).toBe('probe-loaded');
    expect(calls.some((c) => c.t >= to && c.kind === 'setTimeout' && c.delay >= 5_000)).toBe(true);

    const idle = calls.filter((c) => c.t >= from && c.t < to);
    const subSecond = idle.filter((c) => c.delay < 1_000).map((c) => `${c.kind}(${c.delay} ms) at ${c.at}`);
    expect(subSecond).toEqual([]);
  });
});
