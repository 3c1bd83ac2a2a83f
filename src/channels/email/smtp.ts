/**
 * Sending one reply over SMTP with nodemailer. One connection per send and never a pool: the pool
 * resends a message on its own when its connection drops, and a resend is ours to decide (after
 * looking in the Sent mailbox). The message is composed once, so the bytes we send are the bytes
 * we file in Sent.
 */
import { createTransport } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Credentials, Endpoint } from './types.js';

export type OutgoingMail = {
  readonly from: { readonly name: string; readonly address: string };
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly messageId: string;
  readonly inReplyTo: string | null;
  readonly references: readonly string[];
};

export type SmtpResult =
  | { readonly ok: true }
  /** `certain`: the server answered with an error, so the mail was not taken. */
  | { readonly ok: false; readonly permanent: boolean; readonly certain: boolean; readonly error: string };

const TIMEOUT_MS = 30_000;

export async function compose(m: OutgoingMail): Promise<Buffer> {
  const composer = new MailComposer({
    from: m.from,
    to: m.to,
    subject: m.subject,
    text: m.text,
    messageId: m.messageId,
    ...(m.inReplyTo === null ? {} : { inReplyTo: m.inReplyTo }),
    ...(m.references.length === 0 ? {} : { references: [...m.references] }),
    // RFC 3834: tells other robots (vacation responders, ticket systems) not to answer us.
    headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' },
    date: new Date(),
  });
  return composer.compile().build();
}

export function tlsOptions(ep: Endpoint): { servername?: string; ca?: string } {
  return { ...(ep.ca === undefined ? {} : { ca: ep.ca }), servername: ep.host };
}

export async function sendRaw(
  ep: Endpoint,
  creds: Credentials,
  envelope: { from: string; to: string },
  raw: Buffer,
): Promise<SmtpResult> {
  const auth =
    creds.kind === 'password'
      ? { user: ep.user, pass: creds.smtp }
      : { type: 'OAuth2', user: ep.user, accessToken: await creds.accessToken() };
  const transport = createTransport({
    host: ep.host,
    port: ep.port,
    secure: ep.tls === 'implicit',
    requireTLS: ep.tls === 'starttls',
    ignoreTLS: ep.tls === 'none',
    tls: tlsOptions(ep),
    auth,
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
    logger: false,
  });
  try {
    await transport.sendMail({ envelope, raw });
    return { ok: true };
  } catch (err) {
    return classify(err);
  } finally {
    transport.close();
  }
}

/** 5xx: permanent (told to the agent); 4xx: try again later; no answer: we cannot know. */
export function classify(err: unknown): SmtpResult & { ok: false } {
  const e = err as { responseCode?: unknown; response?: unknown; code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (typeof e.responseCode === 'number') {
    const text = typeof e.response === 'string' ? e.response : message;
    return {
      ok: false,
      permanent: e.responseCode >= 500,
      certain: true,
      error: `SMTP ${e.responseCode}: ${text.slice(0, 300)}`,
    };
  }
  const code = typeof e.code === 'string' ? e.code : 'ERROR';
  // Failing before DATA (connect, TLS, login) means the server never took the mail.
  const before = ['ECONNECTION', 'ETLS', 'EAUTH', 'EDNS', 'ECONNREFUSED', 'ENOTFOUND'].includes(code);
  return {
    ok: false,
    permanent: false,
    certain: before,
    error: `SMTP ${code}: ${message.slice(0, 300)}`,
  };
}
