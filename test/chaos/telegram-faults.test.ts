/**
 * Fault matrix of the fake Bot API (SPEC §7 "the poller heals itself", "429 retry_after honoured,
 * retried with backoff, never silently dropped"): 5xx, 429 with retry_after, 409 conflict, a
 * stalled request, a dropped connection and a slow answer, on getUpdates, sendMessage and (at
 * boot) getMe. For each: the daemon stays up and /healthz answers promptly while the fault is in
 * effect, a message sent after the fault is answered, the fault was really hit (the call was
 * repeated, or waited), and /readyz returns to 200.
 */
import { describe, expect, it } from 'vitest';
import type { Fault, FakeTelegram } from '../fakes/telegram-api.js';
import { isAlive, waitFor } from '../helpers/harness.js';
import { probe, waitReady } from '../helpers/chaos.js';
import { startWithTelegram, waitForReply } from '../helpers/telegram-home.js';

const ANN = { id: 111, first_name: 'Ann' };

type Row = {
  readonly name: string;
  readonly method: 'getUpdates' | 'sendMessage' | 'getMe';
  readonly fault: Fault;
  readonly times: number;
  /** Injected before the daemon starts (its first calls hit the fault). */
  readonly atBoot?: boolean;
  /** /readyz must report 503 with this reason while the fault lasts. */
  readonly notReady?: string;
  /** The answer cannot come sooner than this after the faulty call (a wait that must be honoured). */
  readonly minDelayMs?: number;
};

const err = (status: number, description: string, retryAfter?: number): Fault => ({
  kind: 'error',
  status,
  description,
  ...(retryAfter === undefined ? {} : { retryAfter }),
});

const MATRIX: readonly Row[] = [
  { name: 'getUpdates 502', method: 'getUpdates', fault: err(502, 'Bad Gateway'), times: 2 },
  { name: 'getUpdates 500', method: 'getUpdates', fault: err(500, 'Internal Server Error'), times: 1 },
  {
    name: 'getUpdates 429 retry_after',
    method: 'getUpdates',
    fault: err(429, 'Too Many Requests: retry after 2', 2),
    times: 1,
    minDelayMs: 2_000,
  },
  {
    name: 'getUpdates 409 conflict',
    method: 'getUpdates',
    fault: err(409, 'Conflict: terminated by other getUpdates request'),
    times: 1,
    notReady: 'telegram_conflict',
  },
  { name: 'getUpdates stalled poll', method: 'getUpdates', fault: { kind: 'stall' }, times: 1 },
  { name: 'getUpdates dropped connection', method: 'getUpdates', fault: { kind: 'drop' }, times: 2 },
  { name: 'getUpdates slow answer', method: 'getUpdates', fault: { kind: 'delay', ms: 1_500 }, times: 2 },
  { name: 'sendMessage 502', method: 'sendMessage', fault: err(502, 'Bad Gateway'), times: 2 },
  {
    name: 'sendMessage 429 retry_after',
    method: 'sendMessage',
    fault: err(429, 'Too Many Requests: retry after 2', 2),
    times: 1,
    minDelayMs: 2_000,
  },
  { name: 'sendMessage dropped connection', method: 'sendMessage', fault: { kind: 'drop' }, times: 2 },
  { name: 'sendMessage stalled', method: 'sendMessage', fault: { kind: 'stall' }, times: 1 },
  {
    name: 'sendMessage slow answer',
    method: 'sendMessage',
    fault: { kind: 'delay', ms: 2_500 },
    times: 1,
    minDelayMs: 2_500,
  },
  {
    name: 'getMe 500 at boot',
    method: 'getMe',
    fault: err(500, 'Internal Server Error'),
    times: 2,
    atBoot: true,
  },
  { name: 'getMe dropped at boot', method: 'getMe', fault: { kind: 'drop' }, times: 2, atBoot: true },
];

/** Calls of `method` whose request carried `text` (sendMessage) — or all of them. */
const callsWith = (tg: FakeTelegram, method: string, text?: string) =>
  tg.callsOf(method).filter((c) => text === undefined || String(c.params['text']).includes(text));

describe.concurrent('fake Bot API fault matrix', () => {
  it.each(MATRIX)(
    '$name',
    async (row) => {
      const s = await startWithTelegram('', (tg) => {
        if (row.atBoot) tg.inject(row.method, row.fault, row.times);
      });
      try {
        await faultCase(row, s);
      } finally {
        await s.stop();
      }
    },
    60_000,
  );
});

async function faultCase(row: Row, s: Awaited<ReturnType<typeof startWithTelegram>>): Promise<void> {
  const slug = row.name.replace(/\W+/g, '-');
  const { h, tg } = s;
  const text = `after ${slug}`;

  const before = row.atBoot ? 0 : tg.callsOf(row.method).length;
  if (!row.atBoot) {
    if (row.method === 'sendMessage') {
      // The first delivery attempt of the reply hits the fault.
      tg.inject(row.method, row.fault, row.times);
    } else {
      tg.inject(row.method, row.fault, row.times);
      // Wait until every injected fault has been served (the open long poll ends first).
      await waitFor(
        () => tg.callsOf(row.method).length >= before + row.times,
        20_000,
        `${row.times} faulty ${row.method} call(s)`,
      );
    }
  }

  // While the fault is in effect the daemon answers at once.
  const health = await probe(h, '/healthz');
  expect(health.status).toBe(200);
  expect(health.ms).toBeLessThan(1_000);
  if (row.notReady !== undefined) {
    const reasons = await waitFor(
      async () => {
        const r = await probe(h, '/readyz');
        return r.status === 503 && (JSON.parse(r.body) as { reasons: string[] }).reasons;
      },
      5_000,
      `/readyz 503 (${row.notReady})`,
    );
    expect(reasons).toContain(row.notReady);
  }

  const pushedAt = Date.now();
  tg.pushMessage({ chatId: ANN.id, from: ANN, text: `echo ${text}` });
  const during = await probe(h, '/api/status', true);
  expect(during.status).toBe(200);
  expect(during.ms).toBeLessThan(1_000);
  await waitForReply(tg, ANN.id, (t) => t === text, 30_000);
  const answeredAt = Date.now();

  // The fault was really hit.
  if (row.method === 'sendMessage') {
    const attempts = callsWith(tg, 'sendMessage', text);
    // Errors, drops and stalls make the outbox send again; a slow answer is one call.
    expect(attempts.length).toBe(row.fault.kind === 'delay' ? 1 : row.times + 1);
    if (row.minDelayMs !== undefined)
      expect(answeredAt - attempts[0]!.at).toBeGreaterThanOrEqual(row.minDelayMs - 50);
    expect(tg.sentTo(ANN.id).filter((m) => m.text === text)).toHaveLength(1);
  } else {
    // Every faulty call, then at least one that worked.
    expect(tg.callsOf(row.method).length).toBeGreaterThanOrEqual(before + row.times + 1);
    if (row.minDelayMs !== undefined) {
      // The poll after the 429 waited retry_after.
      const polls = tg.callsOf('getUpdates');
      const faulty = polls[before]!;
      const next = polls[before + 1]!;
      expect(next.at - faulty.at).toBeGreaterThanOrEqual(row.minDelayMs - 50);
    }
  }
  expect(answeredAt - pushedAt).toBeLessThan(30_000);

  await waitReady(h, 30_000, `/readyz 200 after ${row.name}`);
  expect(isAlive(s.pid)).toBe(true);
  const status = await h.json<{ channels: Array<{ connected: boolean; error: string | null }> }>(['status']);
  expect(status.channels[0]).toMatchObject({ connected: true, error: null });
}

describe('malformed updates', () => {
  it('are skipped without wedging the poller: the message behind them is answered', async () => {
    const s = await startWithTelegram();
    try {
      const { h, tg } = s;
      const chat = { id: ANN.id, type: 'private', first_name: 'Ann' };
      const from = { id: ANN.id, is_bot: false, first_name: 'Ann' };
      const base = { message_id: 900, date: Math.floor(Date.now() / 1000), chat, from };
      const bad: Array<Record<string, unknown>> = [
        { message: null },
        { message: 'not an object' },
        { message: { ...base, message_id: 901, chat: null, text: 'echo no chat' } },
        { message: { ...base, message_id: 902, from: 'Ann', text: 'echo from is a string' } },
        { message: { ...base, message_id: 903, text: 42 } },
        { message: { ...base, message_id: 904, text: 'echo entities', entities: 'oops' } },
        { message: { ...base, message_id: 905, text: 'echo audio', audio: null } },
        { message: { ...base, message_id: 906, text: 'echo date', date: 'yesterday' } },
        { message: { ...base, message_id: 'x', text: 'echo id' } },
        { edited_message: { ...base, message_id: 907, text: 'echo edited' } },
      ];
      for (const u of bad) tg.pushRaw(u);
      tg.pushMessage({ chatId: ANN.id, from: ANN, text: 'echo behind the garbage' });
      await waitForReply(tg, ANN.id, (t) => t.startsWith('behind the garbage'), 20_000);
      // Every update was confirmed (the offset moved past all of them).
      await waitFor(() => tg.pendingUpdates === 0, 10_000, 'the offset to pass every update');
      // What could be read was answered as usual (entities and date are cosmetic); the rest was skipped.
      const replies = tg
        .sentTo(ANN.id)
        .map((m) => m.text)
        .join('\n');
      expect(replies).toContain('entities');
      expect(replies).toContain('date');
      for (const skipped of ['no chat', 'from is a string', 'edited']) expect(replies).not.toContain(skipped);
      await waitReady(h, 10_000);
      expect(isAlive(s.pid)).toBe(true);
    } finally {
      await s.stop();
    }
  }, 60_000);
});
