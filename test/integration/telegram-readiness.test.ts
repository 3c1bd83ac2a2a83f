/**
 * SPEC §7/§10: a 409 conflict (another instance polling the same bot) is reported in /readyz,
 * status and the channel error, and clears by itself once the other poller is gone; and an open
 * long poll (the normal state of a healthy bot) counts as connected.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
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

type Readyz = { ready: boolean; reasons: string[] };
type Status = {
  ready: Readyz;
  channels: Array<{ name: string; connected: boolean; error: string | null; last_poll_at: string | null }>;
};

let s: TelegramSetup | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

async function readyz(h: TestHome): Promise<{ status: number; body: Readyz }> {
  const r = await udsRequest({ socketPath: join(h.home, 'daemon.sock'), path: '/readyz', timeoutMs: 5_000 });
  return { status: r.status, body: r.json() as Readyz };
}

describe('telegram readiness', () => {
  it('reports a 409 conflict in /readyz and status, and recovers when it clears', async () => {
    // A short conflict_retry keeps the test quick; the default is 10 s.
    s = await startWithTelegram('conflict_retry = "2s"\n', (tg) =>
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
    // While in conflict the poller waits between attempts instead of fighting the other instance.
    const polls = s.tg.callsOf('getUpdates');
    expect(polls[1]!.at - polls[0]!.at).toBeGreaterThanOrEqual(2_000);
    expect(polls[2]!.at - polls[1]!.at).toBeGreaterThanOrEqual(2_000);
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
