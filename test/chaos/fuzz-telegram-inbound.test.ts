/**
 * Property-based fuzzing (fast-check) of the Telegram update handler: toInbound never throws on
 * arbitrary JSON and returns only well-formed messages; Inbox.accept on random messages (over a
 * real migrated SQLite file) never throws, stores at most one row per (chat, message id) and
 * registers only valid folders.
 * Runs per property are bounded (quick for CI; CHAOS_LONG=1 multiplies them); a failure prints
 * the shrunk counterexample and its seed (replay with CHAOS_SEED).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { toInbound } from '../../src/channels/telegram/updates.js';
import { GROUP_FOLDER_RE } from '../../src/config/paths.js';
import { Inbox } from '../../src/router/inbox.js';
import type { InboundMessage } from '../../src/router/ports.js';
import { GroupsRepo } from '../../src/store/groups-repo.js';
import { MessagesRepo } from '../../src/store/messages-repo.js';
import { OutboxRepo } from '../../src/store/outbox-repo.js';
import { PairingRepo } from '../../src/store/pairing-repo.js';
import { anyJson, fuzzParams, migratedDb, runCounter } from '../helpers/chaos.js';

const params = fuzzParams;
const count = runCounter('fuzz-telegram-inbound');
const silent = pino({ level: 'silent' });
const scratch = mkdtempSync(join(tmpdir(), 'af-fuzz-inbound-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof(arb, arb, anyJson);
const userish = fc.record(
  {
    id: maybe(fc.integer()),
    is_bot: maybe(fc.boolean()),
    first_name: maybe(fc.string({ maxLength: 10 })),
    last_name: maybe(fc.string({ maxLength: 10 })),
    username: maybe(fc.string({ maxLength: 10 })),
  },
  { requiredKeys: [] },
);
const entityish = fc.record(
  {
    type: maybe(fc.constantFrom('mention', 'bold', 'url')),
    offset: maybe(fc.integer({ min: -5, max: 50 })),
    length: maybe(fc.integer({ min: -5, max: 50 })),
  },
  { requiredKeys: [] },
);
const messageish = fc.record(
  {
    message_id: maybe(fc.integer()),
    date: maybe(fc.integer()),
    chat: maybe(
      fc.record(
        {
          id: maybe(fc.integer()),
          type: maybe(fc.constantFrom('private', 'group', 'supergroup', 'channel', 'weird')),
          title: maybe(fc.string({ maxLength: 10 })),
        },
        { requiredKeys: [] },
      ),
    ),
    from: maybe(userish),
    text: maybe(fc.string({ maxLength: 40 })),
    caption: maybe(fc.string({ maxLength: 20 })),
    entities: maybe(fc.array(entityish, { maxLength: 3 })),
    caption_entities: maybe(fc.array(entityish, { maxLength: 2 })),
    photo: anyJson,
    audio: anyJson,
    document: anyJson,
    sticker: anyJson,
    location: anyJson,
    contact: anyJson,
    poll: anyJson,
    reply_to_message: maybe(fc.record({ from: maybe(userish) }, { requiredKeys: [] })),
  },
  { requiredKeys: [] },
);
const updateish = fc.oneof(
  anyJson,
  fc.record({ update_id: maybe(fc.integer()), message: fc.oneof(messageish, anyJson) }, { requiredKeys: [] }),
);

const idish = fc.oneof(
  fc.constantFrom('111', '222', '-100', '-200', '0', 'abc', '1.5', '1_5', 'Ü', '../x', '9'.repeat(80), ''),
  fc.string({ maxLength: 30 }),
);
const inboundish: fc.Arbitrary<InboundMessage> = fc.record({
  channel: fc.constantFrom('telegram', 'telegram', 'telegram', 'email', ''),
  chatId: idish,
  chatType: fc.constantFrom('private', 'group', 'supergroup', 'channel'),
  chatTitle: fc.option(fc.string({ maxLength: 10 })),
  messageId: fc.oneof(fc.constantFrom('1', '2', '3'), fc.string({ maxLength: 8 })),
  senderId: idish,
  senderName: fc.option(fc.string({ maxLength: 10 })),
  senderUsername: fc.option(fc.string({ maxLength: 10 })),
  text: fc.string({ maxLength: 100 }),
  ts: fc.oneof(fc.integer({ min: 0, max: 2 ** 42 }), fc.double()),
  mentionsBot: fc.boolean(),
  replyToBot: fc.boolean(),
});

describe('fuzz: the Telegram update handler', () => {
  it('toInbound never throws on arbitrary JSON; what it returns is well-formed', () => {
    const bots = [null, { id: 424242, username: 'forge_test_bot' }];
    fc.assert(
      fc.property(updateish, fc.constantFrom(...bots), (update, bot) => {
        count('toInbound');
        const m = toInbound(update as never, bot);
        if (m === undefined) return;
        expect(typeof m.text).toBe('string');
        expect(m.text).not.toBe('');
        for (const k of ['chatId', 'messageId', 'senderId'] as const) expect(typeof m[k]).toBe('string');
        expect(['private', 'group', 'supergroup', 'channel']).toContain(m.chatType);
        expect(Number.isFinite(m.ts)).toBe(true);
        expect(typeof m.mentionsBot).toBe('boolean');
        expect(typeof m.replyToBot).toBe('boolean');
      }),
      params(1000),
    );
  });

  it('Inbox.accept never throws, stores at most one row per (chat, message id), makes only valid folders', () => {
    const db = migratedDb(scratch, 'inbox');
    const groups = new GroupsRepo(db);
    groups.add({ folder: 'main', channel: 'telegram', chatId: '-100', isMain: true }, Date.now());
    groups.add({ folder: 'team', channel: 'telegram', chatId: '-200', trigger: '@Andy' }, Date.now());
    const inbox = new Inbox({
      db,
      groups,
      messages: new MessagesRepo(db),
      outbox: new OutboxRepo(db),
      pairing: new PairingRepo(db),
      dmPolicy: 'pairing',
      allowedUsers: ['111', 'abc', '1.5', '1_5'],
      trigger: () => '@forge_test_bot',
      onQueued: () => undefined,
      log: silent,
    });
    try {
      fc.assert(
        fc.property(fc.array(inboundish, { maxLength: 8 }), (batch) => {
          count('inbox');
          const before = (db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
          inbox.accept(batch);
          const after = (db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
          expect(after - before).toBeLessThanOrEqual(batch.length);
          const dupes = db
            .prepare(
              'SELECT channel, chat_id, message_id, COUNT(*) AS n FROM messages GROUP BY 1, 2, 3 HAVING n > 1',
            )
            .all();
          expect(dupes).toEqual([]);
          for (const g of groups.list()) expect(g.folder).toMatch(GROUP_FOLDER_RE);
        }),
        params(500),
      );
      // Something was stored at all (the property is not vacuous).
      expect((db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });
});
