/**
 * SPEC §7 "the poller heals itself" and §5 "nothing polls when idle": a stalled getUpdates is torn
 * down on its deadline, a 409 conflict is reported in /readyz and status until it clears, dropped
 * connections are retried, and an idle bot makes one long poll per poll_timeout.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { udsRequest } from '../../src/net/uds-http.js';
import { FAKE_TOKEN, FakeTelegram } from '../fakes/telegram-api.js';
import { makeHome, startDaemon, waitFor, type TestHome } from '../helpers/harness.js';
import {
  startWithTelegram,
  telegramConfig,
  waitForReply,
  type TelegramSetup,
} from '../helpers/telegram-home.js';

const ANN = { id: 111, first_name: 'Ann' };
const POLL_MS = 2_000;
const STALL_MS = 2_000;

type Readyz = { ready: boolean; reasons: string[] };
type Status = {
  ready: Readyz;
  channels: Array<{ name: string; connected: boolean; error: string | null; last_poll_at: string | null }>;
};

let s: TelegramSetup | undefined;
let shared: TelegramSetup | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

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
    expect(next.at - stalled.at).toBeGreaterThanOrEqual(POLL_MS + STALL_MS - 100);
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

describe('telegram poller', () => {
  it('reports a 409 conflict in /readyz and status, and recovers when it clears', async () => {
    s = await startWithTelegram('', (tg) =>
      tg.inject(
        'getUpdates',
        { kind: 'error', status: 409, description: 'Conflict: terminated by other getUpdates request' },
        2,
      ),
    );
    const during = await waitFor(
      async () => {
        const r = await readyz(s!.h);
        return r.status === 503 && r.body.reasons.includes('telegram_conflict') && r;
      },
      5_000,
      '/readyz to report the conflict',
    );
    expect(during.body.ready).toBe(false);
    const status = await s.h.json<Status>(['status']);
    const tgStatus = status.channels.find((c) => c.name === 'telegram');
    expect(tgStatus).toMatchObject({ connected: false });
    expect(tgStatus?.error).toMatch(/conflict/i);
    expect(tgStatus?.error).toMatch(/409/);
    expect(status.ready.reasons).toContain('telegram_conflict');
    // `agentforge status` (human form) names the error too.
    expect((await s.h.run(['status'])).stdout).toMatch(/conflict/i);

    // Two conflicts, then the faults are used up: the poller must clear the condition by itself.
    const after = await waitFor(
      async () => {
        const r = await readyz(s!.h);
        return r.status === 200 && r;
      },
      30_000,
      '/readyz to turn 200 after the conflict',
    );
    expect(after.body).toEqual({ ready: true, reasons: [] });
    const cleared = (await s.h.json<Status>(['status'])).channels.find((c) => c.name === 'telegram');
    expect(cleared).toMatchObject({ connected: true, error: null });
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'echo back in business' });
    expect(await waitForReply(s.tg, 111, (t) => t === 'back in business')).toBeTruthy();
  }, 45_000);

  it('is ready as soon as the first long poll is in flight, not only when it returns', async () => {
    const tg = new FakeTelegram();
    await tg.start();
    const h = makeHome({ env: { AF_TEST_TG_TOKEN: FAKE_TOKEN } });
    try {
      await h.run(['init']);
      h.writeConfig(telegramConfig(tg.apiRoot).replace('poll_timeout = "2s"', 'poll_timeout = "25s"'));
      await startDaemon(h);
      await waitFor(() => tg.callsOf('getUpdates').length > 0, 10_000, 'first getUpdates');
      // The first poll will be held for 25 s; the bot is connected all the same.
      const r = await waitFor(
        async () => {
          const res = await readyz(h);
          return res.status === 200 && res;
        },
        3_000,
        '/readyz 200 while the first long poll is open',
      );
      expect(r.body.ready).toBe(true);
      expect((await h.json<Status>(['status'])).channels[0]).toMatchObject({ connected: true });
    } finally {
      await h.run(['daemon', 'stop']);
      await h.cleanup();
      await tg.stop();
    }
  });
});
