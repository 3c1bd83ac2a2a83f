/**
 * An e-mail end-to-end setup: a real Dovecot (the agent's mailbox and a person's), the SMTP sink
 * delivering replies into Dovecot, and the real daemon with [channels.email] pointed at both.
 * Mails "arrive" the way an MTA stores them: APPEND into the watched mailbox, with the receiving
 * server's Authentication-Results header on top.
 */
import PostalMime, { type Email } from 'postal-mime';
import { startDovecot, type Dovecot } from './dovecot.js';
import { makeHome, startDaemon, waitFor, type TestHome } from './harness.js';
import { startSmtpSink, type SmtpSink } from './smtp-sink.js';

export const AGENT = 'agent@example.test';
export const ANN = 'ann@example.test';
export const EVE = 'eve@elsewhere.test';
export const AUTHSERV = 'mx.example.test';
const USERS = { [AGENT]: 'agent-pw', [ANN]: 'ann-pw', [EVE]: 'eve-pw' };

export type EmailSetup = {
  h: TestHome;
  dc: Dovecot;
  sink: SmtpSink;
  pid: number;
  /** Puts a mail into the agent's watched mailbox; returns its Message-ID. */
  deliver(m: MailSpec): Promise<string>;
  /** The replies in a person's INBOX, parsed, oldest first. */
  inbox(user?: string): Promise<Email[]>;
  waitForReply(predicate: (m: Email) => boolean, timeoutMs?: number, user?: string): Promise<Email>;
  stop(): Promise<void>;
};

export type MailSpec = {
  from?: string;
  fromName?: string;
  subject?: string;
  body?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  /** Extra header lines, e.g. "Auto-Submitted: auto-replied". */
  headers?: string[];
  /** The trusted server's verdict; null leaves the header out. Default: dmarc=pass for From. */
  auth?: string | null;
  /** A whole raw mail instead (headers and all). */
  raw?: string | Buffer;
};

let seq = 0;

export function rawMail(m: MailSpec): string {
  const from = m.from ?? ANN;
  const id =
    m.messageId ?? `<t${Date.now()}.${++seq}.${Math.random().toString(36).slice(2, 8)}@example.test>`;
  const domain = from.slice(from.indexOf('@') + 1);
  const auth =
    m.auth === undefined ? `${AUTHSERV}; dmarc=pass (p=none dis=none) header.from=${domain}` : m.auth;
  const lines = [
    ...(auth === null ? [] : [`Authentication-Results: ${auth}`]),
    `From: ${m.fromName ?? 'Ann Example'} <${from}>`,
    `To: AgentForge <${AGENT}>`,
    `Subject: ${m.subject ?? 'Hello'}`,
    `Message-ID: ${id}`,
    `Date: ${new Date().toUTCString()}`,
    ...(m.inReplyTo === undefined ? [] : [`In-Reply-To: ${m.inReplyTo}`]),
    ...(m.references === undefined ? [] : [`References: ${m.references.join(' ')}`]),
    ...(m.headers ?? []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    m.body ?? 'echo hello',
    '',
  ];
  return lines.join('\r\n');
}

export function emailConfig(dc: Dovecot, smtpPort: number, extra = '', mailExtra = ''): string {
  return `[http]
port = 0

[daemon]
shutdown_timeout = "5s"

[limits]
turn_timeout = "20s"

[channels.email]
enabled = true
from = "${AGENT}"
allowed_senders = ["${ANN}"]
authserv_id = "${AUTHSERV}"
poll_interval = "10m"
${mailExtra}

[channels.email.imap]
host = "127.0.0.1"
port = ${dc.imapPort}
tls = "none"
user = "${AGENT}"
password = "env:AF_TEST_MAIL_PW"

[channels.email.smtp]
host = "127.0.0.1"
port = ${smtpPort}
tls = "none"
user = "${AGENT}"
password = "env:AF_TEST_MAIL_PW"
${extra}`;
}

export async function startWithEmail(
  opts: { mailExtra?: string; extra?: string; fileInSent?: boolean; startDaemon?: boolean } = {},
): Promise<EmailSetup> {
  const dc = await startDovecot({ users: USERS });
  const sink = await startSmtpSink({
    dovecot: dc,
    users: USERS,
    ...(opts.fileInSent ? { fileInSent: AGENT } : {}),
  });
  const setup = await dc.client(AGENT);
  await setup.mailboxCreate('AgentForge');
  await setup.logout();
  const h = makeHome({ env: { AF_TEST_MAIL_PW: USERS[AGENT] } });
  await h.run(['init']);
  h.writeConfig(emailConfig(dc, sink.port, opts.extra ?? '', opts.mailExtra ?? ''));
  const pid = opts.startDaemon === false ? 0 : await startDaemon(h);
  if (pid !== 0) await waitConnected(h);
  const inbox = async (user = ANN): Promise<Email[]> => {
    const c = await dc.client(user);
    try {
      const lock = await c.getMailboxLock('INBOX');
      try {
        const all = await c.fetchAll('1:*', { uid: true, source: true });
        return Promise.all(all.filter((m) => m.source !== undefined).map((m) => PostalMime.parse(m.source!)));
      } catch {
        return [];
      } finally {
        lock.release();
      }
    } finally {
      await c.logout().catch(() => c.close());
    }
  };
  return {
    h,
    dc,
    sink,
    pid,
    async deliver(m) {
      const raw = m.raw ?? rawMail(m);
      const id = /^Message-ID: (.+)$/im.exec(raw.toString().slice(0, 10_000))?.[1]?.trim() ?? '';
      const c = await dc.client(AGENT);
      try {
        await c.append('AgentForge', raw);
      } finally {
        await c.logout().catch(() => c.close());
      }
      return id;
    },
    inbox,
    waitForReply: (predicate, timeoutMs = 30_000, user = ANN) =>
      waitFor(async () => (await inbox(user)).find(predicate), timeoutMs, `a reply in ${user}'s inbox`),
    async stop() {
      await h.run(['daemon', 'stop']);
      await h.cleanup();
      await sink.stop();
      await dc.stop();
    },
  };
}

/** Until `status` says the e-mail channel is connected and has synced once. */
export async function waitConnected(h: TestHome, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    async () => {
      const s = await h.json<{
        channels: Array<{ name: string; connected: boolean; last_poll_at: string | null }>;
      }>(['status']);
      const e = s.channels.find((c) => c.name === 'email');
      return e?.connected === true && e.last_poll_at !== null;
    },
    timeoutMs,
    'the e-mail channel to connect',
  );
}
