/**
 * Issue 14, OAuth2: the channel logs in to Dovecot (IMAP, oauth2 passdb asking our fake
 * provider's introspection endpoint) and to the SMTP sink with XOAUTH2, using access tokens it
 * gets from a refresh token, and refreshes them before they expire. Neither token is logged.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeOAuth } from '../fakes/oauth-provider.js';
import { dovecotMissing, dovecotVersion, startDovecot, type Dovecot } from '../helpers/dovecot.js';
import { AGENT, ANN, AUTHSERV, rawMail } from '../helpers/email-home.js';
import { makeHome, startDaemon, waitFor, type TestHome } from '../helpers/harness.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const missing =
  dovecotMissing() ??
  (/^2\.3/.test(dovecotVersion()) ? undefined : 'the oauth2 passdb config is written for Dovecot 2.3');
if (missing !== undefined) console.warn(`e-mail OAuth tests skipped: ${missing}`);

const REFRESH = 'rt-7f3a9c-secret';

describe.skipIf(missing !== undefined)('e-mail with OAuth2 (XOAUTH2, real Dovecot)', () => {
  let dc: Dovecot | undefined;
  let sink: SmtpSink | undefined;
  let h: TestHome | undefined;
  let oauth: FakeOAuth | undefined;
  afterEach(async () => {
    await h?.run(['daemon', 'stop']);
    await h?.cleanup();
    await sink?.stop();
    await dc?.stop();
    await oauth?.stop();
  });

  it('logs in to IMAP and SMTP with refreshed access tokens and answers mail', async () => {
    // Tokens live 60 s; the channel refreshes a minute before expiry, so every connection (IMAP,
    // then SMTP) fetches a new one: refreshing works, not just the first fetch.
    oauth = new FakeOAuth({ refreshToken: REFRESH, clientId: 'cid', username: AGENT, ttlS: 60 });
    await oauth.start();
    const users = { [AGENT]: 'unused', [ANN]: 'ann-pw' };
    dc = await startDovecot({ users, oauthIntrospectionUrl: `${oauth.url}/introspect` });
    sink = await startSmtpSink({ dovecot: dc, users, validToken: (u, t) => u === AGENT && oauth!.valid(t) });
    const owner = await startOwnerClient(dc, oauth);
    await owner.mailboxCreate('AgentForge');
    h = makeHome({ env: { AF_TEST_REFRESH: REFRESH } });
    await h.run(['init']);
    h.writeConfig(`[http]
port = 0

[channels.email]
enabled = true
auth = "oauth2"
from = "${AGENT}"
allowed_senders = ["${ANN}"]
authserv_id = "${AUTHSERV}"

[channels.email.oauth2]
token_url = "${oauth.url}/token"
client_id = "cid"
refresh_token = "env:AF_TEST_REFRESH"

[channels.email.imap]
host = "127.0.0.1"
port = ${dc.imapPort}
tls = "none"
user = "${AGENT}"

[channels.email.smtp]
host = "127.0.0.1"
port = ${sink.port}
tls = "none"
user = "${AGENT}"
`);
    await startDaemon(h);
    await waitFor(
      async () =>
        (await h!.json<{ channels: Array<{ name: string; connected: boolean }> }>(['status'])).channels.find(
          (c) => c.name === 'email',
        )?.connected,
      20_000,
      'an XOAUTH2 IMAP login',
    );
    await owner.append('AgentForge', rawMail({ body: 'echo via oauth' }));
    await owner.logout();
    await waitFor(
      () => sink!.received.find((m) => m.raw.toString().includes('via oauth')),
      30_000,
      'the reply',
    );
    expect(oauth.refreshes.length).toBeGreaterThanOrEqual(3); // ours, the daemon's IMAP and SMTP
    expect(oauth.refreshes.every((r) => r === REFRESH)).toBe(true);
    expect(oauth.introspections.length).toBeGreaterThanOrEqual(1);
    const log = (await h.run(['logs'])).stdout;
    expect(log).not.toContain(REFRESH);
    expect(log).not.toMatch(/at-\d+-/);
  });
});

/** The agent's own mailbox, logged in the same way (XOAUTH2 with a fresh token). */
async function startOwnerClient(dc: Dovecot, oauth: FakeOAuth) {
  const { ImapFlow } = await import('imapflow');
  const res = await fetch(`${oauth.url}/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: REFRESH, client_id: 'cid' }),
  });
  const { access_token } = (await res.json()) as { access_token: string };
  const c = new ImapFlow({
    host: '127.0.0.1',
    port: dc.imapPort,
    secure: false,
    doSTARTTLS: false,
    auth: { user: AGENT, accessToken: access_token },
    logger: false,
    disableAutoIdle: true,
  });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}
