/**
 * One sync of the watched mailbox by UID cursor: run on every wake-up (IDLE's EXISTS is only a
 * hint), on every (re)connect and on a timer. Each mail is stored (inbox message + its row + the
 * cursor) in one transaction before anything is acknowledged on the server; acknowledgement
 * (flag, move or Gmail label removal) is a later step, retried on every sync until it is done.
 * The mailbox lock is released at the end, or auto-IDLE never starts again.
 */
import type { FetchMessageObject, ImapFlow, MailboxObject } from 'imapflow';
import type { InboundMessage, InboundSink } from '../../router/ports.js';
import { saveAttachments } from './attachments.js';
import { screen } from './guard.js';
import { looksOurs, threadKey } from './ids.js';
import { MalformedMail, parseMail, type ParsedMail } from './mime.js';
import type { EmailOptions, InboxRecord } from './types.js';

export type SyncResult = { readonly fetched: number; readonly accepted: number; readonly acked: number };

/** How many of the newest mails a UIDVALIDITY change looks at again (by Message-ID). */
const REBASELINE_MAX = 5_000;
/** Mails fetched per round trip; each is committed on its own. */
const CHUNK = 25;
const HOUR_MS = 3_600_000;

export class MailboxSync {
  readonly account: string;

  constructor(
    private readonly opts: EmailOptions,
    private readonly sink: Pick<InboundSink, 'accept'>,
  ) {
    this.account = `${opts.imap.user}@${opts.imap.host}`;
  }

  cursor() {
    return this.opts.store.cursor(this.account, this.opts.mailbox);
  }

  async run(client: ImapFlow): Promise<SyncResult> {
    const { store, mailbox, log } = this.opts;
    const lock = await client.getMailboxLock(mailbox);
    try {
      const mb = client.mailbox as MailboxObject;
      const validity = String(mb.uidValidity);
      const cursor = store.cursor(this.account, mailbox);
      const now = Date.now();
      if (cursor === undefined) {
        // First start: from the newest mail on, not the whole history.
        store.setCursor(this.account, mailbox, {
          uidvalidity: validity,
          last_uid: mb.uidNext - 1,
          synced_at: now,
        });
        log.info(
          { mailbox, uidvalidity: validity, from_uid: mb.uidNext },
          'e-mail: first sync; starting at the newest mail',
        );
        return { fetched: 0, accepted: 0, acked: 0 };
      }
      let fetched = 0;
      let accepted = 0;
      if (cursor.uidvalidity !== validity) {
        const r = await this.#rebaseline(client, validity, cursor.synced_at);
        fetched += r.fetched;
        accepted += r.accepted;
      } else {
        const found = await client.search({ uid: `${cursor.last_uid + 1}:*` }, { uid: true });
        // `n:*` matches the last mail even when n is past it: keep only the new ones.
        const uids = (Array.isArray(found) ? found : [])
          .filter((u) => u > cursor.last_uid)
          .sort((a, b) => a - b);
        for (let i = 0; i < uids.length; i += CHUNK) {
          const r = await this.#fetchAndStore(client, validity, uids.slice(i, i + CHUNK), () => true);
          fetched += r.fetched;
          accepted += r.accepted;
        }
        if (uids.length === 0) store.setCursor(this.account, mailbox, { ...cursor, synced_at: now });
      }
      const acked = await this.#ack(client, validity);
      return { fetched, accepted, acked };
    } finally {
      lock.release();
    }
  }

  /**
   * UIDVALIDITY changed (the mailbox was recreated or renumbered): every UID is new, so replaying
   * by UID would answer old mail again. Mails whose Message-ID we know are recorded as seen; the
   * others are taken only if they arrived after our last sync.
   */
  async #rebaseline(
    client: ImapFlow,
    validity: string,
    lastSyncAt: number,
  ): Promise<{ fetched: number; accepted: number }> {
    const { store, mailbox, log } = this.opts;
    const all = await client.search({ all: true }, { uid: true });
    const uids = (Array.isArray(all) ? all : []).sort((a, b) => a - b).slice(-REBASELINE_MAX);
    log.warn(
      { mailbox, uidvalidity: validity, mails: uids.length },
      'e-mail: UIDVALIDITY changed; re-baselining by Message-ID',
    );
    let fetched = 0;
    let accepted = 0;
    for (let i = 0; i < uids.length; i += CHUNK) {
      const r = await this.#fetchAndStore(client, validity, uids.slice(i, i + CHUNK), (meta) => {
        const id = meta.envelope?.messageId;
        if (id !== undefined && store.knowsMessageId(this.account, id)) return false;
        return (meta.internalDate instanceof Date ? meta.internalDate.getTime() : 0) >= lastSyncAt - 60_000;
      });
      fetched += r.fetched;
      accepted += r.accepted;
    }
    if (uids.length === 0)
      store.setCursor(this.account, mailbox, { uidvalidity: validity, last_uid: 0, synced_at: Date.now() });
    return { fetched, accepted };
  }

  async #fetchAndStore(
    client: ImapFlow,
    validity: string,
    uids: number[],
    wanted: (meta: FetchMessageObject) => boolean,
  ): Promise<{ fetched: number; accepted: number }> {
    const { opts } = this;
    // fetchAll, not `for await`: no command may be sent while a FETCH is still streaming.
    const metas = (
      await client.fetchAll(
        uids,
        { uid: true, size: true, envelope: true, internalDate: true },
        { uid: true },
      )
    ).sort((a, b) => a.uid - b.uid);
    let accepted = 0;
    for (const meta of metas) {
      const base = {
        account: this.account,
        mailbox: opts.mailbox,
        uidvalidity: validity,
        uid: meta.uid,
        message_id: meta.envelope?.messageId ?? null,
        sender: meta.envelope?.from?.[0]?.address?.toLowerCase() ?? null,
        subject: meta.envelope?.subject ?? null,
        refs: null,
        received_at: Date.now(),
      };
      if (!wanted(meta)) {
        this.#commit(null, { ...base, status: 'baseline', reason: 'known or older than the last sync' });
        continue;
      }
      if ((meta.size ?? 0) > opts.maxMessageBytes) {
        const reason = `mail of ${meta.size} bytes is over max_message_bytes (${opts.maxMessageBytes})`;
        opts.quarantine?.('email', reason, { ...base, size: meta.size });
        opts.log.warn({ uid: meta.uid, size: meta.size, from: base.sender }, 'e-mail quarantined: too large');
        opts.metrics?.received('quarantined');
        this.#commit(null, { ...base, status: 'quarantined', reason });
        continue;
      }
      const one = await client.fetchOne(String(meta.uid), { uid: true, source: true }, { uid: true });
      const source = one === false ? undefined : one.source;
      if (source === undefined) {
        // Gone between SEARCH and FETCH (moved or expunged elsewhere): nothing to answer.
        this.#commit(null, { ...base, status: 'skipped', reason: 'vanished before it was fetched' });
        continue;
      }
      if (await this.#one(meta, source, base)) accepted++;
    }
    return { fetched: metas.length, accepted };
  }

  async #one(
    meta: FetchMessageObject,
    source: Buffer,
    base: Omit<InboxRecord, 'status' | 'reason'>,
  ): Promise<boolean> {
    const { opts } = this;
    let mail: ParsedMail;
    try {
      mail = await parseMail(source);
    } catch (err) {
      if (!(err instanceof MalformedMail)) throw err;
      opts.quarantine?.('email', err.message, {
        ...base,
        source: source.subarray(0, 32 * 1024).toString('latin1'),
      });
      opts.log.warn({ uid: meta.uid, why: err.message }, 'e-mail quarantined: malformed');
      opts.metrics?.received('quarantined');
      this.#commit(null, { ...base, status: 'quarantined', reason: err.message });
      return false;
    }
    const row = {
      ...base,
      message_id: mail.messageId,
      sender: mail.from?.address ?? null,
      subject: mail.subject,
      refs:
        [
          ...mail.references,
          ...(mail.inReplyTo !== null && !mail.references.includes(mail.inReplyTo) ? [mail.inReplyTo] : []),
        ].join(' ') || null,
    };
    const verdict = screen(mail, {
      ourAddress: opts.from,
      allowedSenders: opts.allowedSenders,
      authservId: opts.authservId,
      requireAuthentication: opts.requireAuthentication,
      subjectPrefix: opts.subjectPrefix,
      isOurMessageId: (id) => looksOurs(id, opts.idSalt) || opts.store.isOurMessageId(id),
    });
    let reason = verdict.ok ? undefined : verdict.reason;
    if (
      reason === undefined &&
      opts.store.acceptedFrom(this.account, row.sender ?? '', Date.now() - HOUR_MS) >= opts.maxRepliesPerHour
    )
      reason = `reply cap: ${opts.maxRepliesPerHour} mails from this sender in the last hour (max_replies_per_hour)`;
    if (reason !== undefined) {
      const quiet = !verdict.ok && verdict.quiet === true;
      opts.log[quiet ? 'debug' : 'info']({ uid: meta.uid, from: row.sender, why: reason }, 'e-mail ignored');
      opts.metrics?.received('skipped');
      this.#commit(null, { ...row, status: 'skipped', reason });
      return false;
    }
    const address = mail.from!.address;
    let folder: string;
    try {
      folder = opts.groupFor(address, mail.from!.name);
    } catch (err) {
      // Skipped, not retried: retrying would stop every mail behind this one.
      const why = `no group for ${address}: ${(err as Error).message}`;
      opts.log.error({ uid: meta.uid, why }, 'e-mail skipped');
      opts.quarantine?.('email', why, { ...row });
      this.#commit(null, { ...row, status: 'skipped', reason: why });
      return false;
    }
    const details = saveAttachments(
      mail,
      opts.workspace(folder),
      `${base.uidvalidity}-${meta.uid}`,
      opts.maxAttachmentBytes,
    );
    const inbound: InboundMessage = {
      channel: 'email',
      chatId: address,
      chatType: 'private',
      chatTitle: null,
      messageId: mail.messageId ?? `<uid.${base.uidvalidity}.${meta.uid}@${this.account}>`,
      senderId: address,
      senderName: mail.from!.name,
      senderUsername: null,
      text: mail.text === '' ? '(no text)' : mail.text,
      ts: meta.internalDate instanceof Date ? meta.internalDate.getTime() : Date.now(),
      mentionsBot: false,
      replyToBot: false,
      thread: threadKey(mail, `${base.uidvalidity}.${meta.uid}`),
      details,
    };
    this.#commit(inbound, { ...row, status: 'accepted', reason: null });
    opts.metrics?.received('accepted');
    return true;
  }

  /** The inbox message, the mail's row and the cursor: one transaction, or none of them. */
  #commit(inbound: InboundMessage | null, row: InboxRecord): void {
    const { store, mailbox } = this.opts;
    store.transaction(() => {
      if (inbound !== null) this.sink.accept([inbound]);
      store.record(row, false);
      const c = store.cursor(this.account, mailbox);
      if (c === undefined || c.uidvalidity !== row.uidvalidity || c.last_uid < row.uid)
        store.setCursor(this.account, mailbox, {
          uidvalidity: row.uidvalidity,
          last_uid: row.uid,
          synced_at: Date.now(),
        });
    });
  }

  /** The server-side acknowledgement of stored mail; idempotent, retried until it succeeds. */
  async #ack(client: ImapFlow, validity: string): Promise<number> {
    const { store, mailbox, ack, ackMailbox } = this.opts;
    const uids = store.unacked(this.account, mailbox, validity);
    if (uids.length === 0) return 0;
    const range = uids.join(',');
    if (ack === 'seen') await client.messageFlagsAdd(range, ['\\Seen'], { uid: true });
    else if (ack === 'label')
      await client.messageFlagsRemove(range, [mailbox], { uid: true, useLabels: true });
    else {
      await client.mailboxCreate(ackMailbox).catch(() => undefined);
      await client.messageMove(range, ackMailbox, { uid: true });
    }
    store.markAcked(this.account, mailbox, validity, uids);
    return uids.length;
  }
}
