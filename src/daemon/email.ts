/**
 * Wires the e-mail channel: endpoints and secrets from the config (resolved now, never logged),
 * its durable state over the global database, and the groups its senders become. Part of the
 * composition root; the channel itself is src/channels/email/.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  createEmailChannel,
  oauthTokens,
  type Credentials,
  type EmailChannel,
  type Endpoint,
} from '../channels/email/index.js';
import type { Config } from '../config/load.js';
import { resolveSecret } from '../config/secrets.js';
import type { Quarantine } from '../ops/quarantine.js';
import type { Db } from '../store/db.js';
import { EmailRepo } from '../store/email-repo.js';
import type { GroupsRepo } from '../store/groups-repo.js';
import { KvRepo } from '../store/kv-repo.js';

type MailEndpointConfig = NonNullable<Config['channels']['email']['imap']>;

export type EmailCounters = Record<string, number>;

/** auto: implicit TLS on the TLS ports, STARTTLS (required) anywhere else. */
export function tlsMode(ep: MailEndpointConfig): Endpoint['tls'] {
  if (ep.tls !== 'auto') return ep.tls;
  return ep.port === 993 || ep.port === 465 ? 'implicit' : 'starttls';
}

function endpoint(ep: MailEndpointConfig): Endpoint {
  let ca: string | undefined;
  if (ep.ca_file !== undefined) {
    try {
      ca = readFileSync(ep.ca_file, 'utf8');
    } catch (err) {
      throw new Error(
        `channels.email: cannot read ca_file ${ep.ca_file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        { cause: err },
      );
    }
  }
  return { host: ep.host, port: ep.port, tls: tlsMode(ep), ca, user: ep.user };
}

/** `mail-<address>` as a folder name (GROUP_FOLDER_RE), with a suffix if another chat has it. */
export function mailFolder(address: string, taken: (folder: string) => boolean): string {
  const base = `mail-${address}`
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '_')
    .slice(0, 64);
  if (!taken(base)) return base;
  for (let i = 2; i < 100; i++) {
    const folder = `${base.slice(0, 64 - String(i).length - 1)}-${i}`;
    if (!taken(folder)) return folder;
  }
  throw new Error(`no free group folder for ${address}`);
}

export function createEmail(deps: {
  db: Db;
  config: Config;
  groups: GroupsRepo;
  env: NodeJS.ProcessEnv;
  log: Logger;
  quarantine?: Quarantine | undefined;
  counters: EmailCounters;
}): EmailChannel {
  const mail = deps.config.channels.email;
  const imap = mail.imap!;
  const smtp = mail.smtp!;
  const credentials: Credentials =
    mail.auth === 'oauth2'
      ? {
          kind: 'oauth2',
          accessToken: oauthTokens({
            tokenUrl: mail.oauth2!.token_url,
            clientId: mail.oauth2!.client_id,
            clientSecret:
              mail.oauth2!.client_secret === undefined
                ? undefined
                : resolveSecret(mail.oauth2!.client_secret, deps.env),
            refreshToken: resolveSecret(mail.oauth2!.refresh_token, deps.env),
          }),
        }
      : {
          kind: 'password',
          imap: resolveSecret(imap.password!, deps.env),
          smtp: resolveSecret(smtp.password!, deps.env),
        };
  const kv = new KvRepo(deps.db);
  let salt = kv.get('email.id_salt');
  if (salt === undefined) {
    salt = randomBytes(6).toString('hex');
    kv.set('email.id_salt', salt);
  }
  const count = (name: string) => (): void => {
    deps.counters[name] = (deps.counters[name] ?? 0) + 1;
  };
  const { groups } = deps;
  return createEmailChannel({
    imap: endpoint(imap),
    smtp: endpoint(smtp),
    credentials,
    from: mail.from!,
    fromName: mail.from_name,
    mailbox: mail.trigger_label,
    subjectPrefix: mail.subject_prefix,
    allowedSenders: mail.allowed_senders.map((s) => s.toLowerCase()),
    authservId: mail.authserv_id,
    requireAuthentication: mail.require_authentication,
    ack: mail.ack,
    ackMailbox: mail.ack_mailbox,
    sentMailbox: mail.sent_mailbox,
    sentCopy: mail.sent_copy,
    pollIntervalMs: mail.poll_interval,
    idleRestartMs: mail.idle_restart,
    maxMessageBytes: mail.max_message_bytes,
    maxAttachmentBytes: mail.max_attachment_bytes,
    maxRepliesPerHour: mail.max_replies_per_hour,
    store: new EmailRepo(deps.db),
    idSalt: salt,
    groupFor: (address, name) => {
      const existing = groups.byChat('email', address);
      if (existing !== undefined) return existing.folder;
      const folder = mailFolder(address, (f) => groups.get(f) !== undefined);
      groups.add({ folder, channel: 'email', chatId: address, name, isDm: true }, Date.now());
      deps.log.info({ group: folder, sender: address }, 'e-mail sender became a group');
      return folder;
    },
    workspace: (folder) => join(deps.config.paths.groups, folder),
    quarantine: deps.quarantine,
    log: deps.log,
    metrics: {
      received: (outcome) => count(`received_${outcome}`)(),
      sent: (outcome) => count(`sent_${outcome}`)(),
      syncSeconds: () => count('syncs')(),
    },
  });
}
