/**
 * Issue 14, against a real Dovecot: a mail from an allowed sender gets one threaded reply; a
 * follow-up in the thread continues the conversation; the loop and spoofing guards let nothing
 * through that must not be answered.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dovecotMissing } from '../helpers/dovecot.js';
import { ANN, AUTHSERV, EVE, startWithEmail, type EmailSetup } from '../helpers/email-home.js';

const missing = dovecotMissing();
if (missing !== undefined) console.warn(`e-mail tests skipped: ${missing}`);

let s: EmailSetup | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

describe.skipIf(missing !== undefined)('e-mail channel (real Dovecot)', () => {
  it('answers a mail in its thread, and a follow-up continues the conversation', async () => {
    s = await startWithEmail();
    const first = await s.deliver({ subject: 'Plans', body: 'echo hello from mail' });
    const reply = await s.waitForReply((m) => m.text?.includes('hello from mail') === true);
    expect(reply.subject).toBe('Re: Plans');
    expect(reply.inReplyTo).toBe(first);
    expect(reply.references).toContain(first);
    expect(reply.from?.address).toBe('agent@example.test');
    expect(reply.headers.find((h) => h.key === 'auto-submitted')?.value).toBe('auto-replied');
    expect(reply.messageId).toMatch(/^<af\.\d+\.0\.[0-9a-f]+@example\.test>$/);

    // The follow-up quotes the reply; the agent gets only the new text, and the same session.
    const follow = await s.deliver({
      subject: 'Re: Plans',
      inReplyTo: reply.messageId!,
      references: [first, reply.messageId!],
      body: `prompt\n\nOn Mon, AgentForge wrote:\n> hello from mail\n`,
    });
    const second = await s.waitForReply((m) => m.inReplyTo === follow);
    expect(second.subject).toBe('Re: Plans');
    expect(second.references).toEqual(expect.stringContaining(first));
    expect(second.text).toContain('untrusted input');
    expect(second.text).toContain('[agentforge] Subject: "Re: Plans"');
    expect(second.text).not.toContain('hello from mail');
    const groups = await s.h.json<{ groups: Array<{ folder: string; channel: string }> }>(['group', 'list']);
    expect(groups.groups.filter((g) => g.channel === 'email').map((g) => g.folder)).toEqual([
      'mail-ann_example_test',
    ]);
    const sessions = await s.h.json<{ sessions: unknown[] }>(['session', 'list']);
    expect(sessions.sessions).toHaveLength(1);
    expect(await s.inbox()).toHaveLength(2);
  });

  it('answers none of: unknown sender, forged From, auto-reply, bounce, list mail, report', async () => {
    s = await startWithEmail();
    await s.deliver({ from: EVE, body: 'echo stranger' });
    await s.deliver({ body: 'echo forged-no-header', auth: null });
    await s.deliver({
      body: 'echo forged-fail',
      auth: `${AUTHSERV}; dmarc=fail header.from=example.test; spf=fail smtp.mailfrom=evil.test`,
    });
    await s.deliver({
      body: 'echo forged-other-server',
      auth: `mx.evil.test; dmarc=pass header.from=example.test`,
    });
    await s.deliver({ body: 'echo auto', headers: ['Auto-Submitted: auto-replied'] });
    await s.deliver({ body: 'echo bounce', headers: ['Return-Path: <>'] });
    await s.deliver({ body: 'echo list', headers: ['List-Id: <team.lists.example.test>'] });
    await s.deliver({ body: 'echo bulk', headers: ['Precedence: bulk'] });
    await s.deliver({
      raw: [
        `Authentication-Results: ${AUTHSERV}; dmarc=pass header.from=example.test`,
        `From: <${ANN}>`,
        'Subject: Delivery report',
        'Message-ID: <report1@example.test>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'echo report',
        '--b--',
        '',
      ].join('\r\n'),
    });
    // A good mail after them all: replies to a sender leave in order, so when it is answered,
    // any reply to the mails before it would have been delivered already.
    await s.deliver({ body: 'echo marker' });
    await s.waitForReply((m) => m.text?.includes('marker') === true);
    const texts = (await s.inbox()).map((m) => m.text?.trim());
    expect(texts).toEqual(['marker']);
    expect((await s.inbox(EVE)).length).toBe(0);
    const log = await s.h.run(['logs']);
    for (const why of [
      'is not allowed',
      'no Authentication-Results header',
      'did not vouch',
      'Auto-Submitted',
      'empty Return-Path',
      'List-Id',
      'Precedence',
      'multipart/report',
    ])
      expect(log.stdout).toContain(why);
  });
});
