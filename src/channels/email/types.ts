/** What the e-mail channel is given: endpoints, credentials and the durable state it keeps. */
import type { Logger } from 'pino';

export type TlsMode = 'implicit' | 'starttls' | 'none';

export type Endpoint = {
  readonly host: string;
  readonly port: number;
  readonly tls: TlsMode;
  /** PEM of a custom CA (a self-hosted server's own certificate authority). */
  readonly ca: string | undefined;
  readonly user: string;
};

/** A password, or an OAuth2 access token that is fetched (and refreshed) when needed. */
export type Credentials =
  | { readonly kind: 'password'; readonly imap: string; readonly smtp: string }
  | { readonly kind: 'oauth2'; readonly accessToken: () => Promise<string> };

export type CursorState = {
  readonly uidvalidity: string;
  readonly last_uid: number;
  readonly synced_at: number;
};

export type InboxRecord = {
  readonly account: string;
  readonly mailbox: string;
  readonly uidvalidity: string;
  readonly uid: number;
  readonly message_id: string | null;
  readonly sender: string | null;
  readonly subject: string | null;
  readonly refs: string | null;
  readonly status: 'accepted' | 'skipped' | 'quarantined' | 'baseline';
  readonly reason: string | null;
  readonly received_at: number;
};

/** The channel's durable state; store/email-repo.ts implements it (channels never see store/). */
export type EmailStore = {
  transaction<T>(fn: () => T): T;
  cursor(account: string, mailbox: string): CursorState | undefined;
  setCursor(account: string, mailbox: string, c: CursorState): void;
  record(r: InboxRecord, acked: boolean): boolean;
  knowsMessageId(account: string, messageId: string): boolean;
  byMessageId(account: string, messageId: string): InboxRecord | undefined;
  acceptedFrom(account: string, sender: string, since: number): number;
  unacked(account: string, mailbox: string, uidvalidity: string): number[];
  markAcked(account: string, mailbox: string, uidvalidity: string, uids: readonly number[]): void;
  sentState(messageId: string): 'sending' | 'sent' | undefined;
  setSentState(
    messageId: string,
    outboxKey: string,
    recipient: string,
    state: 'sending' | 'sent',
    now: number,
  ): void;
  clearSending(messageId: string): void;
  isOurMessageId(messageId: string): boolean;
};

export type EmailOptions = {
  readonly imap: Endpoint;
  readonly smtp: Endpoint;
  readonly credentials: Credentials;
  readonly from: string;
  readonly fromName: string;
  readonly mailbox: string;
  readonly subjectPrefix: string | undefined;
  readonly allowedSenders: readonly string[];
  readonly authservId: string | undefined;
  readonly requireAuthentication: boolean;
  readonly ack: 'seen' | 'move' | 'label';
  readonly ackMailbox: string;
  readonly sentMailbox: string;
  readonly sentCopy: 'append' | 'server';
  readonly pollIntervalMs: number;
  readonly idleRestartMs: number;
  readonly maxMessageBytes: number;
  readonly maxAttachmentBytes: number;
  readonly maxRepliesPerHour: number;
  readonly store: EmailStore;
  /** A random string of this installation, in every Message-ID we assign. */
  readonly idSalt: string;
  /**
   * The group folder of a sender, registering the group on first contact (the channel has
   * already checked the sender against allowed_senders).
   */
  readonly groupFor: (address: string, name: string | null) => string;
  /** The group's workspace, where attachments are saved. */
  readonly workspace: (folder: string) => string;
  readonly quarantine: ((source: string, reason: string, payload: unknown) => void) | undefined;
  readonly log: Logger;
  readonly metrics?: EmailMetrics | undefined;
};

export type EmailMetrics = {
  readonly received: (outcome: 'accepted' | 'skipped' | 'quarantined') => void;
  readonly sent: (outcome: 'sent' | 'retry' | 'failed' | 'found_in_sent') => void;
  readonly syncSeconds: (s: number) => void;
};
