/**
 * Issue 14, the receiving side against a real Dovecot: IDLE wakes the channel (the timer is set to
 * 10 minutes, so only IDLE can explain a quick answer); first start begins at the newest mail;
 * Dovecot restarted mid-IDLE → reconnect, nothing missed; a UIDVALIDITY change re-baselines by
 * Message-ID instead of answering old mail again; status and /readyz show the channel.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DoctorReport, Status } from '../../src/contract.js';
import { dovecotMissing } from '../helpers/dovecot.js';
import { startWithEmail, waitConnected, type EmailSetup } from '../helpers/email-home.js';
import { startDaemon, waitFor } from '../helpers/harness.js';
import { api } from '../helpers/sessions.js';

const missing = dovecotMissing();
if (missing !== undefined) console.warn(`e-mail tests skipped: ${missing}`);

let s: EmailSetup | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

const emailStatus = async (x: EmailSetup) => {
  const st = await x.h.json<Status>(['status']);
  return { st, email: st.channels.find((c) => c.name === 'email')! };
};

describe.skipIf(missing !== undefined)('e-mail receiving (real Dovecot)', () => {
  it('is woken by IDLE and shows connected, IDLE, cursor in status and /readyz', async () => {
    s = await startWithEmail({ extra: '\n[metrics]\nenabled = true\n' });
    const { st, email } = await emailStatus(s);
    expect(st.ready).toEqual({ ready: true, reasons: [] });
    expect(email.connected).toBe(true);
    await waitFor(async () => (await emailStatus(s!)).email.details?.['idle'] === true, 15_000, 'IDLE');
    expect(email.details).toMatchObject({ mailbox: 'AgentForge', account: 'agent@example.test@127.0.0.1' });
    const t0 = Date.now();
    await s.deliver({ body: 'echo idle wake' });
    await s.waitForReply((m) => m.text?.includes('idle wake') === true, 30_000);
    // poll_interval is 10 minutes: only the IDLE wake-up can have fetched it this soon.
    expect(Date.now() - t0).toBeLessThan(30_000);
    const after = (await emailStatus(s)).email;
    expect(after.details?.['cursor_uid']).toBe(1);
    const ready = await api(s.h, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    const metrics = await api(s.h, 'GET', '/metrics');
    expect(metrics.body).toContain('agentforge_email_connected{state="connected"} 1');
    expect(metrics.body).toMatch(/agentforge_email_messages_total\{event="received_accepted"\} 1/);
    expect(metrics.body).toMatch(/agentforge_email_messages_total\{event="sent_sent"\} 1/);
    const doctor = await s.h.json<DoctorReport>(['doctor']);
    const imap = doctor.findings.find((f) => f.id === 'email.imap');
    expect(imap).toMatchObject({
      severity: 'ok',
      message: expect.stringContaining('IMAP connected to "AgentForge"'),
    });
  });

  it('starts at the newest mail on first start: history is not answered', async () => {
    s = await startWithEmail({ startDaemon: false });
    await s.deliver({ body: 'echo old history' });
    s.pid = await startDaemon(s.h);
    await waitConnected(s.h);
    await s.deliver({ body: 'echo new mail' });
    await s.waitForReply((m) => m.text?.includes('new mail') === true);
    expect((await s.inbox()).map((m) => m.text?.trim())).toEqual(['new mail']);
  });

  it('reconnects after Dovecot restarts mid-IDLE and misses nothing', async () => {
    s = await startWithEmail();
    await s.deliver({ body: 'echo before restart' });
    await s.waitForReply((m) => m.text?.includes('before restart') === true);
    await waitFor(async () => (await emailStatus(s!)).email.details?.['idle'] === true, 15_000, 'IDLE');
    await s.dc.halt();
    await waitFor(async () => !(await emailStatus(s!)).email.connected, 15_000, 'the channel to notice');
    const down = await emailStatus(s);
    expect(down.st.ready.ready).toBe(false);
    expect(down.st.ready.reasons).toContain('email_disconnected');
    const readyz = await api(s.h, 'GET', '/readyz');
    expect(readyz.status).toBe(503);
    expect(readyz.body).toContain('email_disconnected');
    await s.dc.start();
    // Mail that arrives before the channel is back is found by the sync on reconnect.
    await s.deliver({ body: 'echo during reconnect 1' });
    await s.deliver({ body: 'echo during reconnect 2' });
    await s.waitForReply((m) => m.text?.includes('during reconnect 2') === true, 60_000);
    await s.waitForReply((m) => m.text?.includes('during reconnect 1') === true, 10_000);
    expect((await emailStatus(s)).st.ready.ready).toBe(true);
    expect((await s.inbox()).length).toBe(3);
  });

  it('re-baselines by Message-ID when UIDVALIDITY changes, answering only new mail', async () => {
    s = await startWithEmail();
    await s.deliver({ body: 'echo first generation' });
    await s.waitForReply((m) => m.text?.includes('first generation') === true);
    const before = (await emailStatus(s)).email.details?.['uidvalidity'];
    await s.dc.renumber('agent@example.test', 'AgentForge');
    await waitFor(
      async () => {
        const e = (await emailStatus(s!)).email;
        return e.connected && e.details?.['uidvalidity'] !== before;
      },
      60_000,
      'the new UIDVALIDITY',
    );
    await s.deliver({ body: 'echo second generation' });
    await s.waitForReply((m) => m.text?.includes('second generation') === true);
    // The old mail now has UID 1 again under the new UIDVALIDITY: it was not answered twice.
    expect((await s.inbox()).map((m) => m.text?.trim())).toEqual(['first generation', 'second generation']);
    const log = await s.h.run(['logs']);
    expect(log.stdout).toContain('UIDVALIDITY changed; re-baselining by Message-ID');
  });
});
