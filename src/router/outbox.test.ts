import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChannelStatus } from '../contract.js';
import { openDatabase, type Db } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { GLOBAL_MIGRATIONS } from '../store/migrations/index.js';
import { OutboxRepo, type OutboxRow } from '../store/outbox-repo.js';
import {
  DELIVERY_BACKOFF_BASE_MS,
  DELIVERY_BACKOFF_MAX_MS,
  MAX_DELIVERY_ATTEMPTS,
  OutboxWorker,
} from './outbox.js';
import type { Channel, ChannelHealth, ChannelLimits, InboundSink, SendOutcome } from './ports.js';

/** What the worker handed to the channel, and when (fake time). */
type Sent = { chatId: string; text: string; replyTo: string | null; at: number };

/**
 * A chat service that is not the module under test: it records every send and answers each from
 * `answer` (ok by default). Negative chat ids are groups, as on Telegram.
 */
class TestChannel implements Channel {
  readonly name = 'test';
  readonly sent: Sent[] = [];
  answer: (s: Sent, n: number) => SendOutcome | Promise<SendOutcome> = () => ({ ok: true });
  readonly botMention = null;

  constructor(
    readonly maxMessageLength = 4096,
    // Unpaced unless a test says otherwise: the fake clock only moves when a test moves it.
    readonly limits: ChannelLimits = {
      perChatPerS: Infinity,
      perGroupPerMin: Infinity,
      globalPerS: Infinity,
    },
  ) {}

  start(_sink: InboundSink): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  send(chatId: string, text: string, opts: { replyTo?: string | null }): Promise<SendOutcome> {
    const s = { chatId, text, replyTo: opts.replyTo ?? null, at: Date.now() };
    this.sent.push(s);
    return Promise.resolve(this.answer(s, this.sent.length));
  }
  typing(): Promise<void> {
    return Promise.resolve();
  }
  isGroupChat(chatId: string): boolean {
    return chatId.startsWith('-');
  }
  status(): ChannelStatus {
    return { name: this.name, enabled: true, connected: true, last_poll_at: null, error: null };
  }
  health(): ChannelHealth {
    return { notReady: null, lastProgressAt: null, stallLimitMs: 60_000, receiveErrors: 0 };
  }
}

type LogLine = { level: number; msg: string; [k: string]: unknown };

let dir: string;
let db: Db;
let repo: OutboxRepo;
let logs: LogLine[];
const workers: OutboxWorker[] = [];

function worker(...channels: Channel[]): OutboxWorker {
  const log = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as LogLine) });
  const w = new OutboxWorker({ repo, channels: new Map(channels.map((c) => [c.name, c])), log });
  workers.push(w);
  return w;
}

function add(text: string, chatId = '7', more: { replyTo?: string; channel?: string } = {}): number {
  return repo.add(
    {
      channel: more.channel ?? 'test',
      chatId,
      groupFolder: 'team',
      text,
      source: 'turn',
      replyTo: more.replyTo ?? null,
    },
    Date.now(),
  );
}

const row = (id: number): OutboxRow & { in_flight_part: number | null } =>
  repo.get(id) as OutboxRow & { in_flight_part: number | null };

/** Lets the worker run its promise chain without moving the (fake) clock. */
async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (done()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`not reached: ${what}; logs: ${JSON.stringify(logs)}`);
}

/** Three lines of 15 characters: three parts at a 20-character limit. */
const THREE_PARTS = ['a'.repeat(15), 'b'.repeat(15), 'c'.repeat(15)].join('\n');

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: 1_700_000_000_000 });
  dir = mkdtempSync(join(tmpdir(), 'af-outbox-worker-'));
  db = openDatabase(join(dir, 'agentforge.db'));
  migrate(db, GLOBAL_MIGRATIONS, 'agentforge.db');
  repo = new OutboxRepo(db);
  logs = [];
});
afterEach(() => {
  for (const w of workers.splice(0)) w.stop();
  vi.useRealTimers();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('OutboxWorker: delivery', () => {
  it('sends a queued reply as soon as it is added (the repo wakes the worker) and marks it sent', async () => {
    const ch = new TestChannel();
    const w = worker(ch);
    repo.onAdded(() => w.kick());
    const id = add('hello', '7', { replyTo: '42' });
    await until('sent', () => row(id).status === 'sent');
    expect(ch.sent).toEqual([{ chatId: '7', text: 'hello', replyTo: '42', at: Date.now() }]);
    expect(row(id)).toMatchObject({ parts_sent: 1, attempts: 0, sent_at: Date.now(), last_error: null });
    expect(w.stats).toEqual({ sent: 1, retried: 0, failed: 0, rateLimited: 0 });
  });

  it('delivers a row added while it is busy sending, in the same drain', async () => {
    const ch = new TestChannel();
    let release!: () => void;
    ch.answer = (_s, n) => (n === 1 ? new Promise((r) => (release = () => r({ ok: true }))) : { ok: true });
    const w = worker(ch);
    repo.onAdded(() => w.kick());
    const first = add('first');
    await until('first part handed over', () => ch.sent.length === 1);
    const second = add('second', '8');
    await new Promise((r) => setImmediate(r)); // the wake-up arrives mid-drain
    release();
    await until('both sent', () => row(second).status === 'sent');
    expect(row(first).status).toBe('sent');
    expect(ch.sent.map((s) => s.text)).toEqual(['first', 'second']);
  });

  it("splits at the channel's limit; only the first part replies; parts_sent is committed per part", async () => {
    const ch = new TestChannel(20);
    const seen: Array<{ parts_sent: number; in_flight_part: number | null }> = [];
    const id = add(THREE_PARTS, '7', { replyTo: '42' });
    ch.answer = () => {
      const r = row(id);
      seen.push({ parts_sent: r.parts_sent, in_flight_part: r.in_flight_part });
      return { ok: true };
    };
    worker(ch).kick();
    await until('sent', () => row(id).status === 'sent');
    expect(ch.sent.map((s) => [s.text, s.replyTo])).toEqual([
      ['a'.repeat(15), '42'],
      ['b'.repeat(15), null],
      ['c'.repeat(15), null],
    ]);
    // Each part is marked in flight before it is handed over, after the previous one was committed.
    expect(seen).toEqual([
      { parts_sent: 0, in_flight_part: 0 },
      { parts_sent: 1, in_flight_part: 1 },
      { parts_sent: 2, in_flight_part: 2 },
    ]);
    expect(row(id)).toMatchObject({ parts_sent: 3, in_flight_part: null });
  });

  it('fails a row for a channel that is not enabled, and says which', async () => {
    const w = worker(new TestChannel());
    const id = add('hello', '7', { channel: 'email' });
    w.kick();
    await until('failed', () => row(id).status === 'failed');
    expect(row(id).last_error).toBe('channel email is not enabled');
    expect(w.stats.failed).toBe(1);
    expect(logs.find((l) => l.msg === 'delivery failed for good: channel not enabled')).toMatchObject({
      outbox: id,
      channel: 'email',
    });
  });
});

describe('OutboxWorker: retries and backoff', () => {
  it('resends only the part that failed: parts already delivered are not sent again', async () => {
    const ch = new TestChannel(20);
    ch.answer = (_s, n) => (n === 2 ? { ok: false, retryable: true, error: 'network: reset' } : { ok: true });
    const w = worker(ch);
    const id = add(THREE_PARTS);
    w.kick();
    await until('retry recorded', () => row(id).attempts === 1);
    const t0 = Date.now();
    expect(row(id)).toMatchObject({
      status: 'pending',
      parts_sent: 1,
      in_flight_part: null,
      next_attempt_at: t0 + DELIVERY_BACKOFF_BASE_MS,
      last_error: 'network: reset',
    });
    await vi.advanceTimersByTimeAsync(DELIVERY_BACKOFF_BASE_MS);
    await until('sent', () => row(id).status === 'sent');
    expect(ch.sent.map((s) => s.text[0])).toEqual(['a', 'b', 'b', 'c']);
    expect(ch.sent[2]!.at).toBe(t0 + DELIVERY_BACKOFF_BASE_MS);
    expect(w.stats).toMatchObject({ sent: 1, retried: 1 });
  });

  it('backs off 1 s, 2 s, 4 s … between attempts and never sends early', async () => {
    const ch = new TestChannel();
    ch.answer = (_s, n) => (n <= 3 ? { ok: false, retryable: true, error: '502 Bad Gateway' } : { ok: true });
    const w = worker(ch);
    const t0 = Date.now();
    const id = add('hello');
    w.kick();
    await until('first attempt', () => row(id).attempts === 1);
    for (const [attempts, wait] of [
      [1, 1_000],
      [2, 2_000],
      [3, 4_000],
    ] as const) {
      await vi.advanceTimersByTimeAsync(wait - 1);
      expect(ch.sent, `before attempt ${attempts + 1}`).toHaveLength(attempts);
      await vi.advanceTimersByTimeAsync(1);
      await until(`attempt ${attempts + 1}`, () => ch.sent.length === attempts + 1);
    }
    await until('sent', () => row(id).status === 'sent');
    expect(ch.sent.map((s) => s.at - t0)).toEqual([0, 1_000, 3_000, 7_000]);
    expect(w.stats).toMatchObject({ sent: 1, retried: 3, failed: 0 });
    expect(logs.filter((l) => l.msg === 'delivery failed; will retry').map((l) => l['attempts'])).toEqual([
      1, 2, 3,
    ]);
  });

  it('caps the backoff at DELIVERY_BACKOFF_MAX_MS', async () => {
    const ch = new TestChannel();
    ch.answer = () => ({ ok: false, retryable: true, error: 'network: timeout' });
    const id = add('hello');
    db.prepare('UPDATE outbox SET attempts = 12 WHERE id = ?').run(id); // 2^12 s would be 68 minutes
    worker(ch).kick();
    await until('retry recorded', () => row(id).attempts === 13);
    expect(row(id).next_attempt_at - Date.now()).toBe(DELIVERY_BACKOFF_MAX_MS);
  });

  it(`fails for good after ${MAX_DELIVERY_ATTEMPTS} retryable failures, and is never dropped silently`, async () => {
    const ch = new TestChannel();
    ch.answer = () => ({ ok: false, retryable: true, error: '503 Service Unavailable' });
    const w = worker(ch);
    const id = add('hello');
    w.kick();
    // Enough fake time for every backoff (about an hour in total), a minute at a time.
    for (let i = 0; i < 200 && row(id).status === 'pending'; i++) await vi.advanceTimersByTimeAsync(60_000);
    await until('failed', () => row(id).status === 'failed');
    expect(ch.sent).toHaveLength(MAX_DELIVERY_ATTEMPTS);
    expect(row(id)).toMatchObject({ attempts: MAX_DELIVERY_ATTEMPTS, last_error: '503 Service Unavailable' });
    expect(w.stats).toMatchObject({ retried: MAX_DELIVERY_ATTEMPTS - 1, failed: 1, sent: 0 });
    expect(logs.find((l) => l.msg === 'delivery failed for good')).toMatchObject({
      outbox: id,
      group: 'team',
    });
    expect(repo.recentFailures().map((r) => r.id)).toEqual([id]);
  });

  it('fails a permanent error at once, and the next reply to that chat still goes out', async () => {
    const ch = new TestChannel();
    ch.answer = (_s, n) =>
      n === 1 ? { ok: false, retryable: false, error: '403 Forbidden: bot was blocked' } : { ok: true };
    const w = worker(ch);
    const bad = add('first');
    const good = add('second');
    w.kick();
    await until('second sent', () => row(good).status === 'sent');
    expect(row(bad)).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_error: '403 Forbidden: bot was blocked',
    });
    expect(ch.sent.map((s) => s.text)).toEqual(['first', 'second']);
    expect(w.stats).toMatchObject({ sent: 1, failed: 1, retried: 0 });
  });

  it('a channel whose send throws is retried with backoff like a network error, not in a tight loop', async () => {
    const ch = new TestChannel();
    ch.answer = (_s, n) => {
      if (n === 1) throw new Error('socket hang up');
      return { ok: true };
    };
    const w = worker(ch);
    const id = add('hello');
    w.kick();
    await until('retry recorded', () => row(id).attempts === 1);
    expect(row(id)).toMatchObject({
      status: 'pending',
      in_flight_part: null,
      next_attempt_at: Date.now() + DELIVERY_BACKOFF_BASE_MS,
    });
    expect(row(id).last_error).toBe('test send threw: Error: socket hang up');
    // Nothing is sent again before the backoff is over, however long the worker is left to run.
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    expect(ch.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(DELIVERY_BACKOFF_BASE_MS);
    await until('sent', () => row(id).status === 'sent');
    expect(ch.sent).toHaveLength(2);
    expect(w.stats).toMatchObject({ sent: 1, retried: 1 });
  });
});

describe('OutboxWorker: 429 and order', () => {
  it("waits out retry_after without counting an attempt; the chat's later rows wait behind it, other chats go on", async () => {
    const ch = new TestChannel();
    ch.answer = (s) =>
      s.text === 'a1' && ch.sent.filter((x) => x.text === 'a1').length === 1
        ? { ok: false, retryable: true, retryAfterMs: 3_000, error: '429 Too Many Requests' }
        : { ok: true };
    const w = worker(ch);
    const t0 = Date.now();
    const a1 = add('a1', '7');
    const a2 = add('a2', '7');
    const b1 = add('b1', '8');
    w.kick();
    await until('other chat sent', () => row(b1).status === 'sent');
    expect(row(a1)).toMatchObject({ status: 'pending', attempts: 0, next_attempt_at: t0 + 3_000 });
    expect(row(a2)).toMatchObject({ status: 'pending', last_error: `waiting for outbox #${a1}` });
    expect(w.stats.rateLimited).toBe(1);
    expect(logs.find((l) => l.msg === 'rate limited by the chat service')).toMatchObject({
      outbox: a1,
      retryAfterMs: 3_000,
    });

    await vi.advanceTimersByTimeAsync(2_999);
    expect(ch.sent.map((s) => s.text)).toEqual(['a1', 'b1']);
    await vi.advanceTimersByTimeAsync(1);
    await until('both sent', () => row(a2).status === 'sent');
    expect(ch.sent.map((s) => [s.text, s.at - t0])).toEqual([
      ['a1', 0],
      ['b1', 0],
      ['a1', 3_000],
      ['a2', 3_000],
    ]);
    expect(row(a1).attempts).toBe(0);
  });
});

describe('OutboxWorker: pacing', () => {
  it('paces one chat to perChatPerS: the second reply waits its turn and is not an attempt', async () => {
    const ch = new TestChannel(4096, { perChatPerS: 1, perGroupPerMin: 100, globalPerS: 100 });
    const w = worker(ch);
    const t0 = Date.now();
    const first = add('one');
    const second = add('two');
    w.kick();
    await until('first sent', () => row(first).status === 'sent');
    expect(row(second)).toMatchObject({ status: 'pending', attempts: 0, last_error: 'paced' });
    expect(row(second).next_attempt_at).toBe(t0 + 1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    await until('second sent', () => row(second).status === 'sent');
    expect(ch.sent.map((s) => s.at - t0)).toEqual([0, 1_000]);
  });

  it('paces the parts of one long reply like separate messages', async () => {
    const ch = new TestChannel(20, { perChatPerS: 2, perGroupPerMin: 100, globalPerS: 100 });
    const w = worker(ch);
    const t0 = Date.now();
    const id = add(THREE_PARTS);
    w.kick();
    await until('first part', () => row(id).parts_sent === 1);
    await vi.advanceTimersByTimeAsync(1_000);
    await until('sent', () => row(id).status === 'sent');
    expect(ch.sent.map((s) => s.at - t0)).toEqual([0, 500, 1_000]);
  });

  it('paces a group chat to perGroupPerMin, as the channel says which chats are groups', async () => {
    const ch = new TestChannel(4096, { perChatPerS: Infinity, perGroupPerMin: 2, globalPerS: Infinity });
    const w = worker(ch);
    const t0 = Date.now();
    const ids = ['g1', 'g2', 'g3'].map((t) => add(t, '-100'));
    const dm = ['d1', 'd2', 'd3'].map((t) => add(t, '100'));
    w.kick();
    await until('dm sent', () => dm.every((id) => row(id).status === 'sent'));
    await until('two group rows sent', () => row(ids[1]!).status === 'sent');
    expect(row(ids[2]!)).toMatchObject({ status: 'pending', last_error: 'paced' });
    await vi.advanceTimersByTimeAsync(60_000);
    await until('third group row', () => row(ids[2]!).status === 'sent');
    const at = (t: string): number => ch.sent.find((s) => s.text === t)!.at - t0;
    expect([at('g1'), at('g2'), at('g3')]).toEqual([0, 0, 60_000]);
    expect([at('d1'), at('d2'), at('d3')]).toEqual([0, 0, 0]); // a private chat is not a group
  });

  it('paces all chats together to globalPerS', async () => {
    const ch = new TestChannel(4096, { perChatPerS: Infinity, perGroupPerMin: Infinity, globalPerS: 2 });
    const w = worker(ch);
    const t0 = Date.now();
    const ids = ['1', '2', '3'].map((chat) => add(`to ${chat}`, chat));
    w.kick();
    await until('two sent', () => ch.sent.length === 2);
    await vi.advanceTimersByTimeAsync(1_000);
    await until('all sent', () => ids.every((id) => row(id).status === 'sent'));
    expect(ch.sent.map((s) => s.at - t0)).toEqual([0, 0, 1_000]);
  });
});

describe('OutboxWorker: after a crash, and stopping', () => {
  it('resends the part that was in flight when the daemon stopped, and says so at warn with its row', async () => {
    // First life: part 2 is handed over and the service never answers; the daemon dies.
    const hung = new TestChannel(20);
    hung.answer = (_s, n) => (n === 2 ? new Promise<SendOutcome>(() => undefined) : { ok: true });
    const id = add(THREE_PARTS);
    const first = worker(hung);
    first.kick();
    await until('part 2 in flight', () => row(id).in_flight_part === 1);
    first.stop();
    db.close();

    // Second life: the same file, a new repo and worker.
    db = openDatabase(join(dir, 'agentforge.db'));
    migrate(db, GLOBAL_MIGRATIONS, 'agentforge.db');
    repo = new OutboxRepo(db);
    const ch = new TestChannel(20);
    const w = worker(ch);
    expect(w.recoverInFlight()).toBe(1);
    expect(logs.filter((l) => l.level === 40)).toMatchObject([
      {
        msg: 'resending a reply part that was in flight when the daemon stopped; the chat may see it twice',
        outbox: id,
        part: 2,
        chat: '7',
        group: 'team',
      },
    ]);
    expect(row(id).in_flight_part).toBeNull();
    expect(w.recoverInFlight()).toBe(0); // reported once
    w.kick();
    await until('sent', () => row(id).status === 'sent');
    expect(ch.sent.map((s) => s.text[0])).toEqual(['b', 'c']);
  });

  it('stop(): a deferred row is not sent afterwards', async () => {
    const ch = new TestChannel();
    ch.answer = (_s, n) => (n === 1 ? { ok: false, retryable: true, error: 'network: reset' } : { ok: true });
    const w = worker(ch);
    const id = add('hello');
    w.kick();
    await until('retry recorded', () => row(id).attempts === 1);
    w.stop();
    w.kick();
    await vi.advanceTimersByTimeAsync(10 * DELIVERY_BACKOFF_BASE_MS);
    expect(ch.sent).toHaveLength(1);
    expect(row(id).status).toBe('pending'); // still queued for the next start
  });
});
