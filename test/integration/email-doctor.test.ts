/**
 * Issue 14, operations: a rejected login and a missing mailbox keep the channel not ready
 * (`email_disconnected`), and doctor names the cause and the key to change. The password is
 * never written to the log.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DoctorReport, Status } from '../../src/contract.js';
import { dovecotMissing } from '../helpers/dovecot.js';
import { startWithEmail, type EmailSetup } from '../helpers/email-home.js';
import { startDaemon, waitFor } from '../helpers/harness.js';

const missing = dovecotMissing();
if (missing !== undefined) console.warn(`e-mail tests skipped: ${missing}`);

let s: EmailSetup | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

async function imapFinding(x: EmailSetup, pattern: RegExp) {
  return waitFor(
    async () => {
      const d = await x.h.json<DoctorReport>(['doctor']);
      const f = d.findings.find((g) => g.id === 'email.imap');
      return f !== undefined && pattern.test(f.message) ? f : undefined;
    },
    20_000,
    `doctor email.imap ${pattern}`,
  );
}

describe.skipIf(missing !== undefined)('e-mail doctor and readiness (real Dovecot)', () => {
  it('reports a rejected login without ever logging the password', async () => {
    s = await startWithEmail({ startDaemon: false });
    s.h.env['AF_TEST_MAIL_PW'] = 'wrong-password-9c1e';
    s.pid = await startDaemon(s.h);
    const f = await imapFinding(s, /login failed/);
    expect(f.severity).toBe('error');
    expect(f.fix).toContain('channels.email.imap.user');
    const st = await s.h.json<Status>(['status']);
    expect(st.ready.reasons).toContain('email_disconnected');
    const log = await s.h.run(['logs']);
    expect(log.stdout).toContain('e-mail connect failed');
    expect(log.stdout).not.toContain('wrong-password-9c1e');
  });

  it('reports a watched mailbox that does not exist', async () => {
    s = await startWithEmail({ mailExtra: 'trigger_label = "NoSuchFolder"', startDaemon: false });
    s.pid = await startDaemon(s.h);
    const f = await imapFinding(s, /is not there/);
    expect(f).toMatchObject({ severity: 'error', message: expect.stringContaining('"NoSuchFolder"') });
    expect((await s.h.json<Status>(['status'])).ready.reasons).toContain('email_disconnected');
  });
});
