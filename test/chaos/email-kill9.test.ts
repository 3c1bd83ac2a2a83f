/**
 * kill -9 of the daemon under a stream of mails (issue 14), against a real Dovecot and the SMTP
 * sink. Mails arrive in their own threads while the daemon is killed with SIGKILL at random
 * moments (quick: 20 kills, CHAOS_LONG: 60) and started again. The sink files every mail in the
 * agent's Sent mailbox before it answers 250, as Gmail does (sent_copy = "server"), so a send that
 * was in flight at a crash is looked up there before it is sent again. At the end:
 *   - every mail got a reply in its thread (0 lost);
 *   - duplicates (two replies to one mail) are counted; only a send in flight at a crash may
 *     repeat, so there are at most as many as kills.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { dovecotMissing } from '../helpers/dovecot.js';
import { startWithEmail, waitConnected, type EmailSetup } from '../helpers/email-home.js';
import { isAlive, startDaemon, waitFor } from '../helpers/harness.js';
import { rng, scaled } from '../helpers/chaos.js';

const missing = dovecotMissing();
if (missing !== undefined) console.warn(`e-mail chaos test skipped: ${missing}`);

const KILLS = scaled(20, 60);
const MAILS = scaled(40, 120);

let s: EmailSetup | undefined;
afterAll(async () => {
  await s?.stop();
});

describe.skipIf(missing !== undefined)('e-mail: kill -9 under a stream of mails', () => {
  it(
    `loses no mail across ${KILLS} SIGKILLs and repeats only sends in flight`,
    async () => {
      const r = rng('email-kill9');
      s = await startWithEmail({
        fileInSent: true,
        mailExtra: 'sent_copy = "server"\nmax_replies_per_hour = 100000',
      });
      const setup = s;
      const ids = new Map<string, number>();
      let delivering = true;
      const stream = (async () => {
        for (let i = 0; i < MAILS; i++) {
          const id = await setup.deliver({ subject: `Job ${i}`, body: `echo m${i}` });
          ids.set(id, i);
          await sleep(r.int(50, 400));
        }
        delivering = false;
      })();
      let pid = s.pid;
      let kills = 0;
      while (kills < KILLS) {
        await sleep(r.int(150, 1_500));
        process.kill(pid, 'SIGKILL');
        kills++;
        await waitFor(() => !isAlive(pid), 10_000, `pid ${pid} to die`);
        pid = await startDaemon(s.h);
        if (r.next() < 0.5) await waitConnected(s.h, 30_000);
      }
      await stream;
      expect(delivering).toBe(false);
      await waitConnected(s.h, 30_000);
      const replies = await waitFor(
        async () => {
          const inbox = await setup.inbox();
          const answered = new Set(
            inbox.map((m) => ids.get(m.inReplyTo ?? '')).filter((n) => n !== undefined),
          );
          return answered.size === MAILS ? inbox : undefined;
        },
        180_000,
        `a reply to each of the ${MAILS} mails`,
      );
      const perMail = new Map<number, number>();
      for (const m of replies) {
        const n = ids.get(m.inReplyTo ?? '');
        expect(n).toBeDefined();
        expect(m.text?.trim()).toBe(`m${n}`);
        expect(m.subject).toBe(`Re: Job ${n}`);
        perMail.set(n!, (perMail.get(n!) ?? 0) + 1);
      }
      const duplicates = [...perMail.values()].reduce((a, c) => a + c - 1, 0);
      const log = (await setup.h.run(['logs'])).stdout;
      const foundInSent = log.split('\n').filter((l) => l.includes('found in the Sent mailbox')).length;
      const resent = log.split('\n').filter((l) => l.includes('resending an e-mail reply')).length;
      console.log(
        `email-kill9: ${KILLS} kills, ${MAILS} mails, 0 lost, ${duplicates} duplicate replies; ${foundInSent} in-flight sends found in Sent, ${resent} resent`,
      );
      expect(perMail.size).toBe(MAILS);
      expect(duplicates).toBeLessThanOrEqual(KILLS);
    },
    scaled(5 * 60_000, 20 * 60_000),
  );
});
