/**
 * Property-based fuzzing (fast-check) of pairing (audit finding 14: three pending codes locked every
 * further stranger out for an hour). Random streams of strangers writing, users writing again, time
 * passing and approvals, through the real Inbox and PairingRepo on a migrated SQLite file. Always:
 * at most one live code per user; never more than MAX_PENDING_CODES live; a stranger without a
 * live code gets one whenever fewer than the cap are live; expired codes are not kept as rows.
 * Runs per property are bounded (quick for CI; CHAOS_LONG=1 multiplies them); a failure prints
 * the shrunk counterexample and its seed (replay with CHAOS_SEED).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { Inbox } from '../../src/router/inbox.js';
import type { InboundMessage } from '../../src/router/ports.js';
import { openDatabase } from '../../src/store/db.js';
import { GroupsRepo } from '../../src/store/groups-repo.js';
import { MessagesRepo } from '../../src/store/messages-repo.js';
import { migrate } from '../../src/store/migrate.js';
import { GLOBAL_MIGRATIONS } from '../../src/store/migrations/index.js';
import { OutboxRepo } from '../../src/store/outbox-repo.js';
import { MAX_PENDING_CODES, PAIRING_TTL_MS, PairingRepo } from '../../src/store/pairing-repo.js';
import { fuzzParams } from '../helpers/chaos.js';

const params = fuzzParams;
let runs = 0;
afterAll(() => console.log(`fuzz-pairing: ${runs} runs`));

const scratch = mkdtempSync(join(tmpdir(), 'af-fuzz-pair-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Step =
  | { op: 'write'; user: number; times: number }
  | { op: 'crowd'; from: number; count: number }
  | { op: 'wait'; ms: number }
  | { op: 'approve'; pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constant('write' as const),
    user: fc.integer({ min: 1, max: 30 }),
    times: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    op: fc.constant('crowd' as const),
    from: fc.integer({ min: 1000, max: 5000 }),
    count: fc.integer({ min: 1, max: 60 }),
  }),
  fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: PAIRING_TTL_MS * 1.5 }) }),
  fc.record({ op: fc.constant('approve' as const), pick: fc.nat() }),
);

describe('fuzz: pairing', () => {
  it('one live code per user, at most the cap in all, and nobody locked out below the cap', () => {
    let n = 0;
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), (steps) => {
        runs++;
        const db = openDatabase(join(scratch, `p-${++n}.db`));
        migrate(db, GLOBAL_MIGRATIONS, 'agentforge.db');
        const pairing = new PairingRepo(db);
        let now = 1_700_000_000_000;
        let mid = 1;
        const inbox = new Inbox({
          db,
          groups: new GroupsRepo(db),
          messages: new MessagesRepo(db),
          outbox: new OutboxRepo(db),
          pairing,
          dmPolicy: 'pairing',
          allowedUsers: [],
          trigger: () => null,
          onQueued: () => undefined,
          log: pino({ level: 'silent' }),
          now: () => now,
        });
        const write = (user: string): void => {
          const hadCode = pairing.pending(now).some((r) => r.user_id === user);
          const liveBefore = pairing.pending(now).length;
          const m: InboundMessage = {
            channel: 'telegram',
            chatId: user,
            chatType: 'private',
            chatTitle: null,
            messageId: String(mid++),
            senderId: user,
            senderName: `u${user}`,
            senderUsername: null,
            text: 'hello',
            ts: now,
            mentionsBot: false,
            replyToBot: false,
          };
          inbox.accept([m]);
          const live = pairing.pending(now);
          const mine = live.filter((r) => r.user_id === user);
          const approved = (
            db
              .prepare(
                'SELECT COUNT(*) AS n FROM pairing_codes WHERE user_id = ? AND approved_at IS NOT NULL',
              )
              .get(user) as { n: number }
          ).n;
          if (approved === 0 && !hadCode && liveBefore < MAX_PENDING_CODES) expect(mine).toHaveLength(1);
          expect(mine.length).toBeLessThanOrEqual(1);
        };
        for (const s of steps) {
          if (s.op === 'write') for (let i = 0; i < s.times; i++) write(String(s.user));
          else if (s.op === 'crowd') for (let i = 0; i < s.count; i++) write(String(s.from + i));
          else if (s.op === 'wait') now += s.ms;
          else {
            const live = pairing.pending(now);
            if (live.length > 0) pairing.approve(live[s.pick % live.length]!.code, now);
          }
          const live = pairing.pending(now);
          expect(live.length).toBeLessThanOrEqual(MAX_PENDING_CODES);
          expect(new Set(live.map((r) => r.user_id)).size).toBe(live.length);
          const rows = (
            db.prepare('SELECT COUNT(*) AS n FROM pairing_codes WHERE approved_at IS NULL').get() as {
              n: number;
            }
          ).n;
          expect(rows).toBeLessThanOrEqual(MAX_PENDING_CODES); // expired rows go when the next code is issued
        }
        db.close();
      }),
      params(40),
    );
  });
});
