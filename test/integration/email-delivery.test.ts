/**
 * Issue 14, the sending side: SMTP 4xx is retried with backoff until it goes through (one reply,
 * not two); a 5xx fails for good, shows in status and is told to the agent on its next turn;
 * `agentforge send` reaches a mail group; the reply is filed in the Sent mailbox.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Status } from '../../src/contract.js';
import { dovecotMissing } from '../helpers/dovecot.js';
import { AGENT, startWithEmail, type EmailSetup } from '../helpers/email-home.js';
import { waitFor } from '../helpers/harness.js';

const missing = dovecotMissing();
if (missing !== undefined) console.warn(`e-mail tests skipped: ${missing}`);

let s: EmailSetup | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

describe.skipIf(missing !== undefined)('e-mail sending (real Dovecot, smtp-server)', () => {
  it('retries SMTP 4xx with backoff and then sends exactly one reply, filed in Sent', async () => {
    s = await startWithEmail();
    s.sink.failNext([451, 451]);
    const id = await s.deliver({ subject: 'Retry me', body: 'echo after two 451s' });
    const reply = await s.waitForReply((m) => m.inReplyTo === id, 40_000);
    expect(reply.text?.trim()).toBe('after two 451s');
    const log = await s.h.run(['logs']);
    expect(log.stdout).toContain('SMTP 451');
    // Filed in the agent's Sent mailbox (sent_copy = "append"), the same Message-ID.
    await waitFor(
      async () => {
        const c = await s!.dc.client(AGENT);
        try {
          const lock = await c.getMailboxLock('Sent');
          try {
            const found = await c.search({ header: { 'message-id': reply.messageId! } }, { uid: true });
            return Array.isArray(found) && found.length === 1;
          } finally {
            lock.release();
          }
        } catch {
          return false;
        } finally {
          await c.logout().catch(() => c.close());
        }
      },
      15_000,
      'the reply in Sent',
    );
    expect((await s.inbox()).length).toBe(1);
  });

  it('shows an SMTP 5xx in status and tells the agent on its next turn', async () => {
    s = await startWithEmail();
    s.sink.failNext([550]);
    await s.deliver({ subject: 'Bounce me', body: 'echo rejected reply' });
    const st = await waitFor(
      async () => {
        const x = await s!.h.json<Status>(['status']);
        return x.deliveries.failed === 1 ? x : undefined;
      },
      30_000,
      'a failed delivery in status',
    );
    const email = st.channels.find((c) => c.name === 'email')!;
    expect(email.error).toContain('SMTP 550');
    expect(email.details?.['smtp_error']).toContain('550');
    const id = await s.deliver({ subject: 'Bounce me', body: 'prompt' });
    const reply = await s.waitForReply((m) => m.inReplyTo === id);
    expect(reply.text).toContain('could not be delivered');
    expect(reply.text).toContain('SMTP 550');
  });

  it('delivers `agentforge send` to a mail group as a new mail', async () => {
    s = await startWithEmail();
    await s.deliver({ body: 'echo hi' });
    await s.waitForReply((m) => m.text?.includes('hi') === true);
    const r = await s.h.run(['send', 'mail-ann_example_test', 'a note from the operator']);
    expect(r.code).toBe(0);
    const note = await s.waitForReply((m) => m.text?.includes('a note from the operator') === true);
    expect(note.subject).toBe('Message from AgentForge');
    expect(note.inReplyTo).toBeUndefined();
  });
});
