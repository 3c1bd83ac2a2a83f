/**
 * Issue 14, what arrives: malformed MIME and a 30 MB mail are quarantined (and answered by no
 * one), HTML becomes text, attachments land in the group's workspace; and the channel over TLS
 * with a self-signed certificate trusted through ca_file.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dovecotMissing, startDovecot, type Dovecot } from '../helpers/dovecot.js';
import { AGENT, ANN, AUTHSERV, rawMail, startWithEmail, type EmailSetup } from '../helpers/email-home.js';
import { makeHome, startDaemon, waitFor, type TestHome } from '../helpers/harness.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const missing = dovecotMissing();
if (missing !== undefined) console.warn(`e-mail tests skipped: ${missing}`);

let s: EmailSetup | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

const quarantined = (home: string): Array<{ source: string; reason: string }> => {
  const dir = join(home, 'logs', 'quarantine');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map(
    (f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { source: string; reason: string },
  );
};

describe.skipIf(missing !== undefined)('e-mail content (real Dovecot)', () => {
  it('quarantines malformed MIME and a 30 MB mail; answers the next good mail', async () => {
    s = await startWithEmail();
    await s.deliver({
      raw: 'Subject: no sender at all\r\nMessage-ID: <nofrom@example.test>\r\n\r\necho malformed\r\n',
    });
    const big = rawMail({
      body: `echo big\r\n${'x'.repeat(76)}\r\n`.repeat(1) + `${'y'.repeat(998)}\r\n`.repeat(31 * 1024),
    });
    expect(big.length).toBeGreaterThan(30 * 1024 * 1024);
    await s.deliver({ raw: big });
    await s.deliver({ body: 'echo after the bad ones' });
    await s.waitForReply((m) => m.text?.includes('after the bad ones') === true, 60_000);
    expect((await s.inbox()).map((m) => m.text?.trim())).toEqual(['after the bad ones']);
    const q = await waitFor(() => {
      const x = quarantined(s!.h.home).filter((e) => e.source === 'email');
      return x.length >= 2 ? x : undefined;
    });
    expect(q.map((e) => e.reason).sort()).toEqual([
      expect.stringMatching(/^mail of \d+ bytes is over max_message_bytes/),
      'no valid From address',
    ]);
  });

  it('converts HTML to text and saves attachments into the workspace', async () => {
    s = await startWithEmail();
    const raw = [
      `Authentication-Results: ${AUTHSERV}; dkim=pass header.d=example.test`,
      `From: Ann <${ANN}>`,
      `To: <${AGENT}>`,
      'Subject: Report attached',
      'Message-ID: <html1@example.test>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="mix"',
      '',
      '--mix',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<html><body><p>prompt</p><blockquote>old stuff</blockquote></body></html>',
      '--mix',
      'Content-Type: text/csv; name="numbers.csv"',
      'Content-Disposition: attachment; filename="../../numbers.csv"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('a,b\n1,2\n').toString('base64'),
      '--mix--',
      '',
    ].join('\r\n');
    await s.deliver({ raw });
    const reply = await s.waitForReply((m) => m.inReplyTo === '<html1@example.test>');
    expect(reply.text).toContain('[agentforge] Subject: "Report attached"');
    // The sender's "../../" cannot leave the directory: the separators are gone from the name.
    expect(reply.text).toMatch(
      /Attachment saved in the workspace: "mail\/\d+-1\/__\.\._numbers\.csv" \(8 bytes/,
    );
    const dir = join(s.h.home, 'groups', 'mail-ann_example_test', 'mail');
    const [sub] = readdirSync(dir);
    const files = readdirSync(join(dir, sub!));
    expect(files).toHaveLength(1);
    expect(readFileSync(join(dir, sub!, files[0]!), 'utf8')).toBe('a,b\n1,2\n');
  });
});

describe.skipIf(missing !== undefined)('e-mail over TLS with a custom CA (real Dovecot)', () => {
  let dc: Dovecot | undefined;
  let sink: SmtpSink | undefined;
  let h: TestHome | undefined;
  afterEach(async () => {
    await h?.run(['daemon', 'stop']);
    await h?.cleanup();
    await sink?.stop();
    await dc?.stop();
  });

  it('connects with implicit TLS to IMAP and SMTP and trusts the server through ca_file', async () => {
    const users = { [AGENT]: 'agent-pw', [ANN]: 'ann-pw' };
    dc = await startDovecot({ users, tls: true });
    const key = readFileSync(join(dc.dir, 'key.pem'));
    const cert = readFileSync(join(dc.dir, 'cert.pem'));
    sink = await startSmtpSink({ dovecot: dc, users, key, cert });
    const c = await dc.client(AGENT);
    await c.mailboxCreate('AgentForge');
    await c.logout();
    h = makeHome({ env: { AF_TEST_MAIL_PW: users[AGENT] } });
    await h.run(['init']);
    const ca = join(h.home, 'ca.pem');
    execFileSync('cp', [dc.caFile!, ca]);
    h.writeConfig(`[http]
port = 0

[channels.email]
enabled = true
from = "${AGENT}"
allowed_senders = ["${ANN}"]
authserv_id = "${AUTHSERV}"

[channels.email.imap]
host = "localhost"
port = ${dc.imapsPort}
tls = "implicit"
ca_file = "${ca}"
user = "${AGENT}"
password = "env:AF_TEST_MAIL_PW"

[channels.email.smtp]
host = "localhost"
port = ${sink.port}
tls = "implicit"
ca_file = "${ca}"
user = "${AGENT}"
password = "env:AF_TEST_MAIL_PW"
`);
    await startDaemon(h);
    await waitFor(
      async () =>
        (await h!.json<{ channels: Array<{ name: string; connected: boolean }> }>(['status'])).channels.find(
          (x) => x.name === 'email',
        )?.connected,
      20_000,
      'TLS connection',
    );
    const a = await dc.client(AGENT);
    await a.append('AgentForge', rawMail({ body: 'echo over tls' }));
    await a.logout();
    await waitFor(
      () => sink!.received.find((m) => m.raw.toString().includes('over tls')),
      30_000,
      'reply over TLS',
    );
  });
});
