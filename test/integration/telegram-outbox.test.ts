/**
 * SPEC §7 replies: the durable outbox splits long replies under 4096 characters at line
 * boundaries, falls back to plain text when Telegram rejects the formatting, honours 429
 * retry_after, retries 5xx, makes a permanent failure visible (status and the group's next turn),
 * and `agentforge send` delivers without an agent turn.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/harness.js';
import { startWithTelegram, waitForReply, type TelegramSetup } from '../helpers/telegram-home.js';

const ANN = { id: 111, first_name: 'Ann' };

let s: TelegramSetup | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

type Status = { deliveries: { pending: number; failed: number; sent: number } };

const sendCalls = (setup: TelegramSetup, chatId: number) =>
  setup.tg.callsOf('sendMessage').filter((c) => String(c.params['chat_id']) === String(chatId));

/** Talks to the bot once so the direct chat exists as group dm-111 (and its session is warm). */
async function warmUp(setup: TelegramSetup): Promise<void> {
  setup.tg.pushMessage({ chatId: 111, from: ANN, text: 'echo warm' });
  await waitForReply(setup.tg, 111, (t) => t === 'warm');
}

describe('telegram outbox', () => {
  it('splits a 10 000-character reply into parts of at most 4096 characters, cut at line ends', async () => {
    s = await startWithTelegram();
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'flood 10000' });
    const line = 'x'.repeat(1023);
    // The demo agent replies with whole 1024-byte lines until it has written at least 10 000 bytes.
    const expected = Array.from({ length: 10 }, () => line).join('\n');
    const parts = await waitFor(
      () => {
        const sent = s!.tg.sentTo(111).map((m) => m.text);
        return sent.join('\n').length >= expected.length && sent;
      },
      20_000,
      'all parts of the long reply',
    );
    // Nothing more trickles in: a marker's reply leaves after anything still queued for the chat.
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'echo marker' });
    await waitForReply(s.tg, 111, (t) => t === 'marker');
    expect(s.tg.sentTo(111)).toHaveLength(parts.length + 1);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(4096);
      // Every cut is at a line boundary: each part holds only whole lines.
      for (const l of p.split('\n')) expect(l).toBe(line);
    }
    expect(parts.join('\n')).toBe(expected);
  });

  it('formats as HTML, and resends as plain text when Telegram rejects the entities', async () => {
    s = await startWithTelegram();
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'echo **bold** a<b && c' });
    await waitFor(() => s!.tg.sentTo(111).length > 0, 15_000, 'formatted reply');
    expect(s.tg.sentTo(111)[0]).toMatchObject({
      text: '<b>bold</b> a&lt;b &amp;&amp; c',
      parse_mode: 'HTML',
    });

    // Telegram counts the 4096 characters after entity parsing: a reply that escaping makes longer
    // than that still goes out as one message, and reads back exactly as written.
    const heavy = 'a<b & c>d '.repeat(380).trim(); // 3799 characters, ~7000 once escaped
    s.tg.pushMessage({ chatId: 111, from: ANN, text: `echo ${heavy}` });
    const escaped = await waitFor(
      () => s!.tg.sentTo(111).find((m) => m.text.startsWith('a&lt;b')),
      15_000,
      'the escape-heavy reply',
    );
    expect(escaped.text.length).toBeGreaterThan(4096);
    expect(escaped.text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')).toBe(heavy);
    expect(s.tg.sentTo(111)).toHaveLength(2);

    s.tg.rejectEntities = true;
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'echo **plain** x<y' });
    const plain = await waitFor(
      () => s!.tg.sentTo(111).find((m) => m.text.includes('plain')),
      15_000,
      'plain-text reply',
    );
    expect(plain.text).toBe('**plain** x<y'); // the raw text, not escaped HTML
    expect(plain.parse_mode).toBeUndefined();
    // It got there by falling back: the HTML attempt was made first and rejected.
    const attempts = sendCalls(s, 111).filter((c) => String(c.params['text']).includes('plain'));
    expect(attempts.map((c) => c.params['parse_mode'] ?? null)).toEqual(['HTML', null]);
  });

  it('honours 429 retry_after: nothing is sent to that chat before it elapses, and order is kept', async () => {
    s = await startWithTelegram();
    await warmUp(s);
    s.tg.inject('sendMessage', {
      kind: 'error',
      status: 429,
      description: 'Too Many Requests: retry after 2',
      retryAfter: 2,
    });
    const before = sendCalls(s, 111).length;
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'echo first after limit' });
    const limited = await waitFor(() => sendCalls(s!, 111)[before], 15_000, 'the rate-limited send');
    // A second reply to the same chat while the chat is rate limited must wait its turn too.
    const sent = await s.h.run(['send', 'dm-111', 'second after limit']);
    expect(sent.code).toBe(0);
    await waitForReply(s.tg, 111, (t) => t === 'second after limit');
    const first = s.tg.sentTo(111).find((m) => m.text === 'first after limit');
    expect(first).toBeDefined();

    const after = sendCalls(s, 111).slice(before + 1);
    expect(after.length).toBeGreaterThanOrEqual(2);
    for (const c of after) expect(c.at - limited.at).toBeGreaterThanOrEqual(2000);
    const texts = s.tg.sentTo(111).map((m) => m.text);
    expect(texts.indexOf('first after limit')).toBeLessThan(texts.indexOf('second after limit'));
  });

  it('retries 5xx errors with backoff until the reply is delivered', async () => {
    s = await startWithTelegram();
    s.tg.inject('sendMessage', { kind: 'error', status: 500, description: 'Internal Server Error' }, 2);
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'echo survived two 500s' });
    expect(await waitForReply(s.tg, 111, (t) => t === 'survived two 500s', 20_000)).toBeTruthy();
    const tries = sendCalls(s, 111).filter((c) => String(c.params['text']).includes('survived'));
    expect(tries).toHaveLength(3);
    // Backoff, not a hot loop: the retries are spread out.
    expect(tries[2]!.at - tries[0]!.at).toBeGreaterThanOrEqual(2000);
    expect(s.tg.sentTo(111).filter((m) => m.text === 'survived two 500s')).toHaveLength(1);
  });

  it('shows a permanently failed delivery in status and tells the agent on the next turn', async () => {
    s = await startWithTelegram();
    await warmUp(s);
    s.tg.inject('sendMessage', { kind: 'error', status: 400, description: 'Bad Request: chat not found' });
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'echo lost words' });
    const status = await waitFor(
      async () => {
        const st = await s!.h.json<Status>(['status']);
        return st.deliveries.failed >= 1 && st;
      },
      15_000,
      'a failed delivery in status',
    );
    expect(status.deliveries.failed).toBe(1);
    expect(s.tg.sentTo(111).some((m) => m.text.includes('lost words'))).toBe(false);

    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'echo next turn' });
    const reply = await waitForReply(s.tg, 111, (t) => t.startsWith('next turn'));
    expect(reply).toContain('could not be delivered');
    expect(reply).toContain('lost words');
    expect(reply).toContain('chat not found');

    // Told once: the turn after that no longer carries the notice.
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'echo third turn' });
    expect(await waitForReply(s.tg, 111, (t) => t.startsWith('third turn'))).toBe('third turn');
  });

  it('`agentforge send` delivers to the chat without running an agent', async () => {
    s = await startWithTelegram();
    expect((await s.h.run(['group', 'add', '-1005', '--folder', 'ops'])).code).toBe(0);
    const r = await s.h.run(['send', 'ops', 'deploy', 'finished', '<ok>']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/queued for delivery/);
    expect(await waitForReply(s.tg, -1005, () => true)).toBe('deploy finished &lt;ok&gt;');
    const { sessions } = await s.h.json<{ sessions: unknown[] }>(['session', 'list']);
    expect(sessions).toHaveLength(0);
    expect(s.tg.callsOf('sendChatAction')).toHaveLength(0); // no turn, so no typing indicator

    const missing = await s.h.run(['send', 'nope', 'hello']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no group nope/);
  });
});
