/**
 * SPEC §7 "the poller heals itself" and §5 "nothing polls when idle": a stalled getUpdates is torn
 * down on its deadline, dropped connections are retried, and an idle bot makes one long poll per
 * poll_timeout. The 409 conflict and readiness are in telegram-readiness.test.ts (they take ~20 s
 * of the poller's fixed conflict back-off, so they run in parallel with this file).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { udsRequest } from '../../src/net/uds-http.js';
import { waitFor, type TestHome } from '../helpers/harness.js';
import { startWithTelegram, waitForReply, type TelegramSetup } from '../helpers/telegram-home.js';

const ANN = { id: 111, first_name: 'Ann' };
const POLL_MS = 2_000;
const STALL_MS = 2_000;

type Readyz = { ready: boolean; reasons: string[] };

let shared: TelegramSetup | undefined;

async function readyz(h: TestHome): Promise<{ status: number; body: Readyz }> {
  const r = await udsRequest({ socketPath: join(h.home, 'daemon.sock'), path: '/readyz', timeoutMs: 5_000 });
  return { status: r.status, body: r.json() as Readyz };
}

describe('telegram poller, one daemon through idle, stall and drops', () => {
  // One daemon for the sequence keeps the file short; each step waits for its own outcome.
  beforeAll(async () => {
    shared = await startWithTelegram();
  });
  afterAll(async () => {
    await shared?.stop();
  });

  it('makes at most one long poll per poll_timeout while idle', async () => {
    const { tg } = shared!;
    const from = Date.now();
    const before = tg.callsOf('getUpdates').length;
    await sleep(5_000);
    const elapsed = Date.now() - from;
    const polls = tg.callsOf('getUpdates').length - before;
    expect(polls).toBeLessThanOrEqual(Math.floor(elapsed / POLL_MS) + 1);
    expect(polls).toBeGreaterThanOrEqual(1); // still polling, not stuck
    expect(tg.callsOf('sendMessage')).toHaveLength(0);
    for (const c of tg.callsOf('getUpdates')) expect(c.params['timeout']).toBe(POLL_MS / 1000);
  });

  it('tears down a stalled getUpdates and still answers a message sent meanwhile', async () => {
    const { tg, h } = shared!;
    const before = tg.callsOf('getUpdates').length;
    tg.inject('getUpdates', { kind: 'stall' }); // the next long poll is never answered
    const stalled = await waitFor(() => tg.callsOf('getUpdates')[before], 5_000, 'the stalled poll');
    const pushedAt = Date.now();
    tg.pushMessage({ chatId: 111, from: ANN, text: 'echo after the stall' });
    await waitForReply(tg, 111, (t) => t === 'after the stall', POLL_MS + STALL_MS + 5_000);
    expect(Date.now() - pushedAt).toBeLessThan(POLL_MS + STALL_MS + 4_000);
    // The message could only arrive through a new poll, started once the deadline had passed.
    const next = tg.callsOf('getUpdates')[before + 1]!;
    // Tolerance: the fake stamps a call when it arrives, a little after the daemon armed its deadline.
    expect(next.at - stalled.at).toBeGreaterThanOrEqual(POLL_MS + STALL_MS - 500);
    const log = readFileSync(join(h.home, 'logs/agentforge.log'), 'utf8');
    expect(log).toMatch(/getUpdates stalled/);
    expect((await readyz(h)).status).toBe(200);
  });

  it('recovers from dropped connections and answers', async () => {
    const { tg, h } = shared!;
    const before = tg.callsOf('getUpdates').length;
    tg.inject('getUpdates', { kind: 'drop' }, 2);
    // Let the open poll finish and both drops happen before there is anything to fetch.
    await waitFor(() => tg.callsOf('getUpdates').length >= before + 2, 10_000, 'two dropped polls');
    tg.pushMessage({ chatId: 111, from: ANN, text: 'echo through the drops' });
    expect(await waitForReply(tg, 111, (t) => t === 'through the drops', 15_000)).toBeTruthy();
    expect(tg.callsOf('getUpdates').length).toBeGreaterThanOrEqual(before + 3);
    expect((await readyz(h)).status).toBe(200);
  });
});
