import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FAKE_TOKEN, FakeTelegram } from '../../../test/fakes/telegram-api.js';
import type { InboundMessage } from '../../router/ports.js';
import { splitMessage } from '../../router/split.js';
import { openDatabase, type Db } from '../../store/db.js';
import { KvRepo } from '../../store/kv-repo.js';
import { migrate } from '../../store/migrate.js';
import { GLOBAL_MIGRATIONS } from '../../store/migrations/index.js';
import { TELEGRAM_MAX_MESSAGE, TelegramChannel, type TelegramOptions } from './bot.js';

type LogLine = { level: number; msg: string; [k: string]: unknown };

const ANN = { id: 111, first_name: 'Ann' };
/** Short enough that a test waits a second or two, long enough not to spin on a loaded machine. */
const POLL_MS = 1_000;

let tg: FakeTelegram;
let dir: string;
let db: Db;
let kv: KvRepo;
let logs: LogLine[];
let batches: InboundMessage[][];
let accept: (batch: readonly InboundMessage[]) => void;
const channels: TelegramChannel[] = [];

function channel(over: Partial<TelegramOptions> = {}): TelegramChannel {
  const c = new TelegramChannel({
    token: FAKE_TOKEN,
    apiRoot: tg.apiRoot,
    pollTimeoutMs: POLL_MS,
    stallMs: 1_000,
    conflictRetryMs: 300,
    limits: { perChatPerS: 1, perGroupPerMin: 20, globalPerS: 30 },
    // The daemon's wiring (daemon/chat.ts): the offset lives in the kv table of agentforge.db.
    offset: {
      load: () => {
        const v = kv.get('telegram.offset');
        return v === undefined ? undefined : Number(v);
      },
      save: (offset) => kv.set('telegram.offset', String(offset)),
    },
    log: pino({ level: 'debug' }, { write: (l: string) => logs.push(JSON.parse(l) as LogLine) }),
    ...over,
  });
  channels.push(c);
  return c;
}

async function started(over: Partial<TelegramOptions> = {}): Promise<TelegramChannel> {
  const c = channel(over);
  await c.start({ accept: (b) => accept(b), press: () => ({ text: '', alert: false }) });
  return c;
}

const texts = (): string[] => batches.flat().map((m) => m.text);
const waitUntil = <T>(fn: () => T, what: string, timeout = 15_000): Promise<NonNullable<T>> =>
  vi.waitFor(
    () => {
      const v = fn();
      if (v === undefined || v === null || v === false) throw new Error(`waiting for ${what}`);
      return v;
    },
    { timeout, interval: 20 },
  );

beforeEach(async () => {
  tg = new FakeTelegram();
  await tg.start();
  dir = mkdtempSync(join(tmpdir(), 'af-tg-channel-'));
  db = openDatabase(join(dir, 'agentforge.db'));
  migrate(db, GLOBAL_MIGRATIONS, 'agentforge.db');
  kv = new KvRepo(db);
  logs = [];
  batches = [];
  accept = (b) => void batches.push([...b]);
});
afterEach(async () => {
  for (const c of channels.splice(0)) await c.stop();
  await tg.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('TelegramChannel: receiving', () => {
  it('introduces itself (getMe, deleteWebhook), then long-polls with poll_timeout and only messages', async () => {
    const c = await started();
    await waitUntil(() => tg.callsOf('getUpdates').length > 0, 'the first poll');
    expect(tg.calls.slice(0, 3).map((x) => x.method)).toEqual(['getMe', 'deleteWebhook', 'getUpdates']);
    expect(tg.callsOf('deleteWebhook')[0]!.params).toEqual({ drop_pending_updates: false });
    expect(tg.callsOf('getUpdates')[0]!.params).toEqual({
      timeout: POLL_MS / 1000,
      allowed_updates: ['message', 'callback_query'],
    });
    expect(c.botMention).toBe('@forge_test_bot');
  });

  it('hands each batch to the sink, then saves the offset past it; the next poll confirms with it', async () => {
    await started();
    await waitUntil(() => tg.callsOf('getUpdates').length > 0, 'the first poll');
    tg.pushMessage({ chatId: 111, from: ANN, text: 'one' });
    tg.pushMessage({ chatId: 111, from: ANN, text: 'two' });
    await waitUntil(() => texts().length === 2, 'two messages');
    expect(texts()).toEqual(['one', 'two']);
    expect(batches[0]![0]).toMatchObject({
      channel: 'telegram',
      chatId: '111',
      senderId: '111',
      text: 'one',
    });
    // update ids start at 1000 in the fake: two updates, so the next offset is 1002.
    await waitUntil(() => kv.get('telegram.offset') === '1002', 'the offset saved');
    await waitUntil(
      () => tg.callsOf('getUpdates').find((x) => x.params['offset'] === 1002),
      'a poll with the new offset',
    );
    expect(tg.pendingUpdates).toBe(0); // confirmed and dropped by Telegram
  });

  it('a restarted channel resumes from the saved offset: nothing is delivered twice', async () => {
    const first = await started();
    await waitUntil(() => tg.callsOf('getUpdates').length > 0, 'the first poll');
    tg.pushMessage({ chatId: 111, from: ANN, text: 'before restart' });
    await waitUntil(() => kv.get('telegram.offset') === '1001', 'the offset saved');
    await first.stop();
    tg.pushMessage({ chatId: 111, from: ANN, text: 'while down' });

    const polls = tg.callsOf('getUpdates').length;
    await started();
    await waitUntil(() => texts().includes('while down'), 'the message sent while down');
    expect(tg.callsOf('getUpdates')[polls]!.params['offset']).toBe(1001);
    expect(texts()).toEqual(['before restart', 'while down']);
  });

  it('when the sink fails to store a batch the offset does not move, and the batch comes again', async () => {
    let failures = 1;
    accept = (b) => {
      if (failures-- > 0) throw new Error('database is locked');
      batches.push([...b]);
    };
    const c = await started();
    await waitUntil(() => tg.callsOf('getUpdates').length > 0, 'the first poll');
    tg.pushMessage({ chatId: 111, from: ANN, text: 'keep me' });
    await waitUntil(() => texts().includes('keep me'), 'the batch delivered on the retry');
    expect(texts()).toEqual(['keep me']);
    expect(kv.get('telegram.offset')).toBe('1001');
    expect(c.stats.errors).toBe(1);
    expect(logs.find((l) => l.msg === 'telegram poll failed; backing off')).toMatchObject({
      err: 'Error: database is locked',
    });
  });

  it('moves the offset past updates it cannot use (no text, no message) without bothering the sink', async () => {
    await started();
    await waitUntil(() => tg.callsOf('getUpdates').length > 0, 'the first poll');
    tg.pushRaw({ edited_message: { message_id: 1 } });
    tg.pushRaw({ message: { message_id: 2, date: 0, chat: { id: 111, type: 'private' } } });
    await waitUntil(() => kv.get('telegram.offset') === '1002', 'the offset past both');
    expect(batches).toEqual([]);
    tg.pushMessage({ chatId: 111, from: ANN, text: 'real' });
    await waitUntil(() => texts().includes('real'), 'the next real message');
  });

  it('tears down a stalled getUpdates after poll_timeout + stall_threshold and polls again', async () => {
    tg.inject('getUpdates', { kind: 'stall' });
    const c = await started({ stallMs: 500 });
    await waitUntil(() => c.stats.stalls === 1, 'the stall to be noticed', 20_000);
    expect(logs.find((l) => l.msg === 'getUpdates stalled; restarting the poll')).toMatchObject({
      deadlineMs: POLL_MS + 500,
    });
    tg.pushMessage({ chatId: 111, from: ANN, text: 'after the stall' });
    await waitUntil(() => texts().includes('after the stall'), 'the message after the stall');
  });

  it('a 429 on getUpdates waits retry_after before the next poll', async () => {
    tg.inject('getUpdates', { kind: 'error', status: 429, description: 'Too Many Requests', retryAfter: 1 });
    const c = await started();
    await waitUntil(() => tg.callsOf('getUpdates').length >= 2, 'the poll after the 429');
    const [limited, next] = tg.callsOf('getUpdates');
    expect(next!.at - limited!.at).toBeGreaterThanOrEqual(1_000 - 50);
    expect(c.status().error).toBeNull(); // a 429 is not an outage
  });
});

describe('TelegramChannel: status() and health()', () => {
  it('is not connected before the bot is known; connected with the last poll time once polling', async () => {
    const c = channel();
    expect(c.status()).toEqual({
      name: 'telegram',
      enabled: true,
      connected: false,
      last_poll_at: null,
      error: null,
    });
    expect(c.health()).toEqual({
      notReady: 'telegram_disconnected',
      lastProgressAt: null,
      stallLimitMs: POLL_MS + 1_000 + 1_000, // poll_timeout + stall_threshold + grace
      receiveErrors: 0,
    });
    await c.start({ accept: (b) => accept(b), press: () => ({ text: '', alert: false }) });
    // A long poll that is still open is the normal state: connected before the first answer.
    await waitUntil(() => c.status().connected, 'connected');
    tg.pushMessage({ chatId: 111, from: ANN, text: 'tick' });
    await waitUntil(() => c.status().last_poll_at, 'a poll answered');
    const s = c.status();
    expect(Date.parse(s.last_poll_at!)).toBe(c.health().lastProgressAt);
    expect(s).toMatchObject({ connected: true, error: null });
    expect(c.health()).toMatchObject({ notReady: null, receiveErrors: 0 });
  });

  it('a 409 conflict is reported until it clears; polling waits conflict_retry between tries', async () => {
    tg.inject(
      'getUpdates',
      { kind: 'error', status: 409, description: 'Conflict: terminated by other getUpdates request' },
      2,
    );
    const c = await started({ conflictRetryMs: 400 });
    await waitUntil(() => c.health().notReady === 'telegram_conflict', 'the conflict');
    expect(c.status()).toMatchObject({
      connected: false,
      error: 'conflict: another instance is polling this bot (409)',
    });
    expect(
      logs.filter((l) => l.msg === 'telegram 409 conflict: another instance is polling this bot'),
    ).toHaveLength(1);
    // Cleared on the first answered poll: a message gets through and the status is healthy again.
    tg.pushMessage({ chatId: 111, from: ANN, text: 'after the conflict' });
    await waitUntil(() => texts().includes('after the conflict'), 'the message after the conflict');
    expect(c.status()).toMatchObject({ connected: true, error: null });
    expect(c.health()).toMatchObject({ notReady: null, receiveErrors: 2 });
    expect(c.stats.conflicts).toBe(2);
    const [a, b, after] = tg.callsOf('getUpdates');
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(400 - 50);
    expect(after!.at - b!.at).toBeGreaterThanOrEqual(400 - 50);
    expect(logs.some((l) => l.msg === 'telegram conflict cleared')).toBe(true);
  });

  it('a rejected token (401) says so in status, and stop() does not wait out the back-off', async () => {
    const c = await started({ token: '999:wrong' });
    await waitUntil(() => c.status().error, 'the 401');
    expect(c.status()).toMatchObject({
      connected: false,
      error: 'unauthorized: the bot token was rejected (401)',
    });
    expect(c.health()).toMatchObject({ notReady: 'telegram_disconnected', receiveErrors: 1 });
    expect(JSON.stringify(logs)).not.toContain('999:wrong');
    const t0 = Date.now();
    await c.stop();
    expect(Date.now() - t0).toBeLessThan(10_000); // the back-off after a 401 is 30 s
  });

  it('a 5xx on getUpdates is shown as the error and counted, and clears when polling recovers', async () => {
    tg.inject('getUpdates', { kind: 'error', status: 502, description: 'Bad Gateway' });
    const c = await started();
    await waitUntil(() => c.status().error, 'the poll error');
    expect(c.status()).toMatchObject({ connected: false, error: '502 Bad Gateway' });
    expect(c.health()).toMatchObject({ notReady: 'telegram_disconnected', receiveErrors: 1 });
    tg.pushMessage({ chatId: 111, from: ANN, text: 'recovered' });
    await waitUntil(() => texts().includes('recovered'), 'the message after recovery');
    expect(c.status()).toMatchObject({ connected: true, error: null });
  });

  it('stop() aborts an open long poll at once', async () => {
    const c = await started({ pollTimeoutMs: 20_000 });
    await waitUntil(() => tg.callsOf('getUpdates').length > 0, 'the long poll');
    const t0 = Date.now();
    await c.stop();
    expect(Date.now() - t0).toBeLessThan(10_000); // the poll would have run 20 s
  });
});

describe('TelegramChannel: sending', () => {
  it('sends HTML and replies to the message it answers', async () => {
    const c = channel();
    expect(await c.send('111', 'say **hi** <now>', { replyTo: '7' })).toMatchObject({
      ok: true,
      messageId: expect.any(String),
    });
    const call = tg.callsOf('sendMessage')[0]!;
    expect(call.params).toMatchObject({
      chat_id: '111',
      parse_mode: 'HTML',
      text: 'say <b>hi</b> &lt;now&gt;',
      reply_parameters: { message_id: 7, allow_sending_without_reply: true },
    });
    expect(await c.send('111', 'no reply', {})).toMatchObject({ ok: true });
    expect(tg.callsOf('sendMessage')[1]!.params['reply_parameters']).toBeUndefined();
  });

  it('resends as plain text when Telegram rejects the formatting', async () => {
    tg.rejectEntities = true;
    const c = channel();
    expect(await c.send('111', 'a <b>c', {})).toMatchObject({ ok: true });
    expect(tg.sentTo(111).map((m) => [m.text, m.parse_mode])).toEqual([['a <b>c', undefined]]);
    expect(logs.find((l) => l.msg === 'telegram rejected formatting; resending as plain text')).toBeDefined();
  });

  it('maps errors to outcomes: 429 with retry_after, 5xx and network retryable, 4xx not', async () => {
    const c = channel();
    tg.inject('sendMessage', { kind: 'error', status: 429, description: 'Too Many Requests', retryAfter: 7 });
    expect(await c.send('111', 'x', {})).toEqual({
      ok: false,
      retryable: true,
      retryAfterMs: 7_000,
      error: '429 Too Many Requests',
    });
    tg.inject('sendMessage', { kind: 'error', status: 500, description: 'Internal Server Error' });
    expect(await c.send('111', 'x', {})).toEqual({
      ok: false,
      retryable: true,
      error: '500 Internal Server Error',
    });
    tg.inject('sendMessage', {
      kind: 'error',
      status: 403,
      description: 'Forbidden: bot was blocked by the user',
    });
    expect(await c.send('111', 'x', {})).toEqual({
      ok: false,
      retryable: false,
      error: '403 Forbidden: bot was blocked by the user',
    });
    tg.inject('sendMessage', { kind: 'drop' });
    const dropped = await c.send('111', 'x', {});
    expect(dropped).toMatchObject({ ok: false, retryable: true });
    expect(dropped.ok === false && dropped.error).toMatch(/^network: /);
    expect(dropped.ok === false && dropped.error).not.toContain(FAKE_TOKEN);
    expect(tg.sent).toEqual([]);
  });

  it('a plain-text resend that fails too is reported with its own error', async () => {
    tg.rejectEntities = true;
    tg.inject('sendMessage', {
      kind: 'error',
      status: 400,
      description: "Bad Request: can't parse entities",
    });
    tg.inject('sendMessage', { kind: 'error', status: 503, description: 'Service Unavailable' });
    expect(await channel().send('111', 'x', {})).toEqual({
      ok: false,
      retryable: true,
      error: '503 Service Unavailable',
    });
  });

  it('parts split at maxMessageLength fit Telegram after rendering, even when escaping lengthens them', async () => {
    const c = channel();
    expect(c.maxMessageLength).toBe(TELEGRAM_MAX_MESSAGE);
    const text = `${'<'.repeat(5_000)}\n${'&'.repeat(3_000)}`;
    const parts = splitMessage(text, c.maxMessageLength);
    expect(parts.map((p) => p.length)).toEqual([4096, 904 + 1 + 3_000]);
    for (const p of parts) expect(await c.send('111', p, {})).toMatchObject({ ok: true });
    // Each part's markup is far over 4096 characters; Telegram counts what the user sees.
    expect(tg.sentTo(111).map((m) => [m.text.length, m.parse_mode])).toEqual([
      [4096 * 4, 'HTML'],
      [904 * 4 + 1 + 3_000 * 5, 'HTML'],
    ]);
  });

  it('says which chats are groups: negative ids', () => {
    const c = channel();
    expect(['-1001234', '-5', '111', '0'].map((id) => c.isGroupChat(id))).toEqual([true, true, false, false]);
  });

  it('a failing typing indicator never throws', async () => {
    tg.inject('sendChatAction', { kind: 'error', status: 500, description: 'Internal Server Error' });
    await expect(channel().typing('111')).resolves.toBeUndefined();
    expect(tg.callsOf('sendChatAction')[0]!.params).toMatchObject({ chat_id: '111', action: 'typing' });
  });
});
