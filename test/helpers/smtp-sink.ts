/**
 * The SMTP server the daemon sends its replies to in tests: the `smtp-server` package on loopback,
 * delivering every accepted mail into Dovecot over LMTP, so a test reads replies back over IMAP
 * like a person would. Replies can be made to fail (a 4xx or 5xx for the next mails), and, like
 * Gmail, it can file a copy in the sender's Sent mailbox before it answers 250.
 */
import { createTransport } from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import type { Dovecot } from './dovecot.js';
import { freePort } from './harness.js';

export type SmtpSink = {
  readonly port: number;
  /** Raw mails accepted, in order. */
  readonly received: Array<{ from: string; to: string[]; raw: Buffer }>;
  /** The next mails get these answers instead of being taken (e.g. [451, 451] or [550]). */
  failNext(codes: number[]): void;
  stop(): Promise<void>;
};

export async function startSmtpSink(opts: {
  dovecot: Dovecot;
  users: Record<string, string>;
  /** Gmail's way: file every mail in the sender's Sent mailbox (sent_copy = "server"). */
  fileInSent?: string;
  key?: Buffer;
  cert?: Buffer;
  /** Accept XOAUTH2 logins whose access token this says is good. */
  validToken?: (user: string, token: string) => boolean;
}): Promise<SmtpSink> {
  const received: SmtpSink['received'] = [];
  const failures: number[] = [];
  const lmtp = createTransport({
    host: '127.0.0.1',
    port: opts.dovecot.lmtpPort,
    lmtp: true,
    ignoreTLS: true,
    logger: false,
  } as Parameters<typeof createTransport>[0]);
  const server = new SMTPServer({
    logger: false,
    secure: opts.key !== undefined,
    ...(opts.key !== undefined ? { key: opts.key, cert: opts.cert } : {}),
    allowInsecureAuth: true,
    disabledCommands: opts.key !== undefined ? [] : ['STARTTLS'],
    authMethods: ['PLAIN', 'LOGIN', 'XOAUTH2'],
    onAuth(auth, _session, cb) {
      if (auth.method === 'XOAUTH2') {
        if (
          auth.username !== undefined &&
          auth.accessToken !== undefined &&
          opts.validToken?.(auth.username, auth.accessToken) === true
        )
          cb(null, { user: auth.username });
        else cb(null, { data: { status: '401', schemes: 'bearer' } });
        return;
      }
      if (auth.username !== undefined && opts.users[auth.username] === auth.password)
        cb(null, { user: auth.username });
      else cb(Object.assign(new Error('535 authentication failed'), { responseCode: 535 }));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const code = failures.shift();
        if (code !== undefined) {
          cb(
            Object.assign(new Error(code >= 500 ? 'mailbox unavailable (test)' : 'try again later (test)'), {
              responseCode: code,
            }),
          );
          return;
        }
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        const to = session.envelope.rcptTo.map((r) => r.address);
        const raw = Buffer.concat(chunks);
        void (async () => {
          try {
            if (opts.fileInSent !== undefined) {
              const c = await opts.dovecot.client(opts.fileInSent);
              try {
                await c.mailboxCreate('Sent').catch(() => undefined);
                await c.append('Sent', raw, ['\\Seen']);
              } finally {
                await c.logout().catch(() => c.close());
              }
            }
            const withPath = Buffer.concat([Buffer.from(`Return-Path: <${from}>\r\n`), raw]);
            await lmtp.sendMail({ envelope: { from, to }, raw: withPath });
            received.push({ from, to, raw });
            cb(null);
          } catch (err) {
            cb(Object.assign(new Error(`delivery failed: ${(err as Error).message}`), { responseCode: 451 }));
          }
        })();
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  server.on('error', () => undefined);
  return {
    port,
    received,
    failNext(codes) {
      failures.push(...codes);
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
