/**
 * One raw mail → what the channel needs: addresses, threading headers, the new text without the
 * quoted history (HTML converted to text), attachments. postal-mime does the MIME work; what is
 * here is the part about replies and threads.
 */
import { convert } from 'html-to-text';
import PostalMime, { type Email } from 'postal-mime';

export type ParsedAttachment = {
  readonly filename: string;
  readonly type: string;
  readonly content: Uint8Array;
};

export type ParsedMail = {
  readonly messageId: string | null;
  readonly from: { readonly address: string; readonly name: string | null } | null;
  readonly subject: string;
  readonly inReplyTo: string | null;
  readonly references: readonly string[];
  /** Every header, names lower-cased, in order (topmost first). */
  readonly headers: ReadonlyArray<{ readonly key: string; readonly value: string }>;
  readonly contentType: string;
  /** The new text: quoted history and signatures of replies cut off. */
  readonly text: string;
  readonly attachments: readonly ParsedAttachment[];
};

export class MalformedMail extends Error {
  override readonly name = 'MalformedMail';
}

const MSGID_RE = /<[^<>\s]+>/g;

/** `<a@b> <c@d>` → ['<a@b>', '<c@d>']; a bare id gets its brackets. */
export function messageIds(value: string | undefined): string[] {
  if (value === undefined) return [];
  const found = value.match(MSGID_RE);
  if (found !== null) return found;
  const bare = value.trim();
  return bare === '' || /\s/.test(bare) ? [] : [`<${bare}>`];
}

export async function parseMail(source: Uint8Array): Promise<ParsedMail> {
  const head = Buffer.from(source.subarray(0, Math.min(source.length, 64 * 1024))).toString('latin1');
  // A mail must at least have a header block ended by an empty line and a From; postal-mime
  // accepts nearly anything, so the checks that make a mail unusable are ours.
  if (!/\r?\n\r?\n/.test(head) && source.length > 0 && !/^[\x21-\x39\x3b-\x7e]+:/m.test(head))
    throw new MalformedMail('no header block');
  let mail: Email;
  try {
    mail = await PostalMime.parse(source, { attachmentEncoding: 'arraybuffer', maxNestingDepth: 50 });
  } catch (err) {
    throw new MalformedMail(`MIME parse failed: ${(err as Error).message}`);
  }
  const from = mail.from?.address !== undefined ? mail.from : mail.from?.group?.[0];
  if (from?.address === undefined || !/^[^\s@]+@[^\s@]+$/.test(from.address))
    throw new MalformedMail('no valid From address');
  const headers = mail.headers.map((h) => ({ key: h.key.toLowerCase(), value: h.value }));
  const contentType = headers.find((h) => h.key === 'content-type')?.value.toLowerCase() ?? 'text/plain';
  const body =
    mail.text !== undefined && mail.text.trim() !== ''
      ? mail.text
      : mail.html !== undefined
        ? convert(mail.html, { wordwrap: false, selectors: [{ selector: 'img', format: 'skip' }] })
        : '';
  return {
    messageId: messageIds(mail.messageId)[0] ?? null,
    from: { address: from.address.toLowerCase(), name: from.name === '' ? null : from.name },
    subject: mail.subject ?? '',
    inReplyTo: messageIds(mail.inReplyTo)[0] ?? null,
    references: messageIds(mail.references),
    headers,
    contentType,
    text: newText(body),
    attachments: mail.attachments
      .filter((a) => a.disposition !== 'inline' || a.filename !== null)
      .map((a) => ({
        filename: a.filename ?? 'attachment',
        type: a.mimeType,
        content: typeof a.content === 'string' ? Buffer.from(a.content) : new Uint8Array(a.content),
      })),
  };
}

/** Where quoted history begins in a reply: "On … wrote:", Outlook's separator lines. */
const QUOTE_START = [
  /^On .{1,300}wrote:\s*$/,
  /^Am .{1,300}schrieb .{0,100}:\s*$/,
  /^Le .{1,300}a écrit\s*:\s*$/,
  /^-{2,}\s*Original Message\s*-{2,}\s*$/i,
  /^_{20,}\s*$/,
];

/**
 * The text the sender wrote now: everything before the quoted history of a reply and before a
 * signature ("-- "). Inline answers between quotes keep their own lines; quoted lines are dropped.
 */
export function newText(body: string): string {
  const lines = body.replace(/\r\n/g, '\n').split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const next = lines[i + 1] ?? '';
    if (l === '-- ' || l === '--') break;
    if (QUOTE_START.some((re) => re.test(l))) break;
    // "On Mon, Ann wrote:" wrapped onto two lines by the sender's client.
    if (/^On .{1,300}$/.test(l) && /^.{0,200}wrote:\s*$/.test(next)) break;
    // Outlook's header block: "From: …" followed by Sent/Date/To/Subject lines.
    if (/^From: /.test(l) && /^(Sent|Date|To|Subject): /m.test(lines.slice(i + 1, i + 4).join('\n'))) break;
    if (/^\s*>/.test(l)) continue;
    out.push(l);
  }
  return out.join('\n').trim();
}
