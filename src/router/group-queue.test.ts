import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Db } from '../store/db.js';
import { GroupsRepo } from '../store/groups-repo.js';
import { MessagesRepo } from '../store/messages-repo.js';
import { migrate } from '../store/migrate.js';
import { GLOBAL_MIGRATIONS } from '../store/migrations/index.js';
import { OutboxRepo } from '../store/outbox-repo.js';
import { GroupQueue } from './group-queue.js';
import { Failure } from '../failures.js';
import type { TurnPort } from './ports.js';

let dir: string;
let db: Db;
let messages: MessagesRepo;
let outbox: OutboxRepo;
let prompts: string[];
let next: (prompt: string) => Promise<string>;

const turns: TurnPort = { run: (_g, prompt) => (prompts.push(prompt), next(prompt)) };

function queue(): GroupQueue {
  return new GroupQueue({
    db,
    groups: new GroupsRepo(db),
    messages,
    outbox,
    turns,
    channels: new Map(),
    log: pino({ level: 'silent' }),
  });
}

function say(id: string, text: string): void {
  messages.insert({
    channel: 'telegram',
    chatId: '-1',
    messageId: id,
    groupFolder: 'team',
    senderId: '5',
    senderName: 'Cara',
    text,
    ts: Date.now(),
    triggered: true,
  });
}

const statuses = (): string[] =>
  (db.prepare('SELECT status FROM messages ORDER BY id').all() as Array<{ status: string }>).map(
    (r) => r.status,
  );

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'af-gq-'));
  db = openDatabase(join(dir, 'agentforge.db'));
  migrate(db, GLOBAL_MIGRATIONS, 'agentforge.db');
  messages = new MessagesRepo(db);
  outbox = new OutboxRepo(db);
  new GroupsRepo(db).add({ folder: 'team', channel: 'telegram', chatId: '-1', isMain: true }, Date.now());
  prompts = [];
  next = () => Promise.resolve('reply');
});
afterEach(() => {
  vi.useRealTimers();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GroupQueue', () => {
  it('runs one turn for the queued messages and commits the reply with them done', async () => {
    say('1', 'hello');
    const q = queue();
    q.kick();
    await vi.waitFor(() => expect(statuses()).toEqual(['done']));
    expect(outbox.due(Date.now() + 1000).map((r) => r.text)).toEqual(['reply']);
    expect(prompts).toHaveLength(1);
  });

  it('retries a failed turn with backoff, keeping the messages queued', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    say('1', 'hello');
    next = () => Promise.reject(new Failure('timeout', 'slow'));
    const q = queue();
    q.kick();
    await vi.waitFor(() => expect(statuses()).toEqual(['queued']));
    expect(prompts).toHaveLength(1);
    next = () => Promise.resolve('second time lucky');
    await vi.advanceTimersByTimeAsync(2_500);
    await vi.waitFor(() => expect(statuses()).toEqual(['done']));
    expect(outbox.due(Date.now() + 1000).map((r) => r.text)).toEqual(['second time lucky']);
  });

  it('hands a batch back to the queue when the database failed while recording its outcome', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    say('1', 'hello');
    // The turn runs, then every write fails: neither the reply nor a retry can be recorded.
    next = () => {
      db.pragma('query_only = ON');
      return Promise.resolve('lost reply');
    };
    const q = queue();
    q.kick();
    await vi.waitFor(() => expect(prompts).toHaveLength(1));
    await vi.advanceTimersByTimeAsync(100);
    expect(statuses()).toEqual(['processing']);
    db.pragma('query_only = OFF');
    next = () => Promise.resolve('answered after all');
    await vi.advanceTimersByTimeAsync(5_100);
    await vi.waitFor(() => expect(statuses()).toEqual(['done']));
    expect(outbox.due(Date.now() + 1000).map((r) => r.text)).toEqual(['answered after all']);
  });
});
