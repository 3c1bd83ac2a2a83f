/**
 * Mail in → reply sent, on loopback, IDLE path: a real Dovecot and the SMTP sink, the daemon's
 * poll timer at 10 minutes, so every mail is found through IDLE. The clock starts before the APPEND
 * that delivers the mail and stops when the SMTP sink has accepted the reply. About 500 ms of it is
 * Dovecot's own: it batches IDLE notifications for half a second after a change (measured here:
 * APPEND to EXISTS 500-520 ms for a bare imapflow client in IDLE).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { dovecotMissing, startDovecot } from '../test/helpers/dovecot.js';
import { AGENT, ANN, emailConfig, rawMail } from '../test/helpers/email-home.js';
import { startSmtpSink } from '../test/helpers/smtp-sink.js';
import { benchHome, percentile, round, startForeground, stop, waitReady } from './lib.js';

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error('timed out waiting for the e-mail reply');
    await sleep(2);
  }
}

export async function emailLatency(
  mails: number,
): Promise<{ p50: number; p90: number; max: number; n: number } | null> {
  if (dovecotMissing() !== undefined) return null;
  const users = { [AGENT]: 'agent-pw', [ANN]: 'ann-pw' };
  const dc = await startDovecot({ users });
  const sink = await startSmtpSink({ dovecot: dc, users });
  const setup = await dc.client(AGENT);
  await setup.mailboxCreate('AgentForge');
  const h = benchHome(emailConfig(dc, sink.port, '', 'max_replies_per_hour = 100000'), {
    AF_TEST_MAIL_PW: users[AGENT],
  });
  const d = startForeground(h);
  try {
    await waitReady(h, 30_000);
    // Warm-up: the first mail also starts the agent process.
    await setup.append('AgentForge', rawMail({ body: 'echo warm' }));
    await until(() => sink.received.length === 1, 30_000);
    const times: number[] = [];
    for (let i = 0; i < mails; i++) {
      const before = sink.received.length;
      const t0 = performance.now();
      await setup.append('AgentForge', rawMail({ subject: `Bench ${i}`, body: `echo b${i}` }));
      await until(() => sink.received.length > before, 30_000);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return {
      p50: round(percentile(times, 50), 1),
      p90: round(percentile(times, 90), 1),
      max: round(times[times.length - 1] ?? NaN, 1),
      n: times.length,
    };
  } finally {
    await stop(d);
    h.cleanup();
    await setup.logout().catch(() => setup.close());
    await sink.stop();
    await dc.stop();
  }
}
