/**
 * IMAP connections. One ImapFlow instance is one connection: a reconnect is a new client. The
 * `error` listener is attached before `connect()`, since an unhandled socket timeout would
 * otherwise take the daemon down. Short-lived clients serve the Sent mailbox (APPEND, and the
 * Message-ID lookup after a crash), so the watching connection never leaves its mailbox.
 */
import { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import type { Credentials, Endpoint } from './types.js';

export type ClientOptions = {
  readonly endpoint: Endpoint;
  readonly credentials: Credentials;
  readonly idleRestartMs?: number;
  readonly log: Logger;
};

export async function newClient(o: ClientOptions): Promise<ImapFlow> {
  const ep = o.endpoint;
  const auth =
    o.credentials.kind === 'password'
      ? { user: ep.user, pass: o.credentials.imap }
      : { user: ep.user, accessToken: await o.credentials.accessToken() };
  const client = new ImapFlow({
    host: ep.host,
    port: ep.port,
    secure: ep.tls === 'implicit',
    // STARTTLS on a plain port is required, never opportunistic: a stripped capability must not
    // make us send the password in clear text.
    doSTARTTLS: ep.tls === 'starttls' ? true : ep.tls === 'none' ? false : undefined,
    tls: { servername: ep.host, ...(ep.ca === undefined ? {} : { ca: ep.ca }) },
    auth,
    logger: false,
    connectionTimeout: 30_000,
    greetingTimeout: 16_000,
    socketTimeout: 5 * 60_000,
    // IDLE ends and restarts this often, so a silently dead IDLE is noticed within it.
    ...(o.idleRestartMs === undefined ? { disableAutoIdle: true } : { maxIdleTime: o.idleRestartMs }),
    // Between two syncs the connection is quiet; IDLE must start soon, since only IDLE is told of
    // new mail (a longer delay is a longer wait for the next mail).
    autoIdleDelay: 100,
  });
  return client;
}

/** A client for one job: connected, used, logged out (or closed) whatever happens. */
export async function withClient<T>(o: ClientOptions, fn: (c: ImapFlow) => Promise<T>): Promise<T> {
  const client = await newClient(o);
  client.on('error', (err: Error) => o.log.debug({ err: err.message }, 'imap helper connection error'));
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** Whether a message with this Message-ID is in the mailbox (false when the mailbox is missing). */
export async function hasMessageId(c: ImapFlow, mailbox: string, messageId: string): Promise<boolean> {
  let lock;
  try {
    lock = await c.getMailboxLock(mailbox);
  } catch {
    return false;
  }
  try {
    const found = await c.search({ header: { 'message-id': messageId } }, { uid: true });
    return Array.isArray(found) && found.length > 0;
  } finally {
    lock.release();
  }
}

/** APPEND to the mailbox, creating it when the server says it does not exist (TRYCREATE). */
export async function appendTo(c: ImapFlow, mailbox: string, raw: Buffer, flags: string[]): Promise<void> {
  try {
    const ok = await c.append(mailbox, raw, flags);
    if (ok !== false) return;
  } catch (err) {
    const e = err as { serverResponseCode?: unknown; responseText?: unknown };
    if (
      e.serverResponseCode !== 'TRYCREATE' &&
      !/TRYCREATE|not exist/i.test(typeof e.responseText === 'string' ? e.responseText : '')
    )
      throw err;
  }
  await c.mailboxCreate(mailbox).catch(() => undefined);
  const ok = await c.append(mailbox, raw, flags);
  if (ok === false) throw new Error(`APPEND to ${mailbox} failed`);
}
