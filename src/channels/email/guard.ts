/**
 * Which mails the agent may see and answer. Loop guards first (auto-replies, bounces, lists, our
 * own mail: answering them makes mail loops), then the allowlist, which trusts the From address
 * only as far as the receiving server vouches for it in its Authentication-Results header.
 */
import type { ParsedMail } from './mime.js';

export type GuardOptions = {
  /** Our own address (replies are sent from it): never answered. */
  readonly ourAddress: string;
  /** Addresses, or `@domain` for a whole domain, lower-cased. */
  readonly allowedSenders: readonly string[];
  /** The server id whose Authentication-Results header is trusted, e.g. `mx.google.com`. */
  readonly authservId: string | undefined;
  readonly requireAuthentication: boolean;
  readonly subjectPrefix: string | undefined;
  readonly isOurMessageId: (id: string) => boolean;
};

export type Verdict =
  | { readonly ok: true }
  /** `quiet`: not for us at all (no subject prefix); logged at debug, not at info. */
  | { readonly ok: false; readonly reason: string; readonly quiet?: boolean };

const header = (m: ParsedMail, key: string): string | undefined =>
  m.headers.find((h) => h.key === key)?.value;

/** Why this mail must never get an automatic answer, or undefined. RFC 3834 and friends. */
export function loopReason(
  m: ParsedMail,
  opts: Pick<GuardOptions, 'ourAddress' | 'isOurMessageId'>,
): string | undefined {
  const auto = header(m, 'auto-submitted')?.trim().toLowerCase();
  if (auto !== undefined && auto !== '' && !auto.startsWith('no')) return `Auto-Submitted: ${auto}`;
  const precedence = header(m, 'precedence')?.trim().toLowerCase();
  if (precedence !== undefined && /^(bulk|list|junk)\b/.test(precedence)) return `Precedence: ${precedence}`;
  if (header(m, 'list-id') !== undefined) return 'a mailing list mail (List-Id)';
  if (header(m, 'list-unsubscribe') !== undefined) return 'a mailing list mail (List-Unsubscribe)';
  const returnPath = header(m, 'return-path');
  if (returnPath !== undefined && /^\s*<?\s*>?\s*$/.test(returnPath)) return 'a bounce (empty Return-Path)';
  if (returnPath !== undefined && /mailer-daemon/i.test(returnPath))
    return 'a bounce (Return-Path MAILER-DAEMON)';
  const local = m.from?.address.split('@')[0] ?? '';
  if (/^(mailer-daemon|postmaster)$/i.test(local)) return `a bounce (From ${local})`;
  if (m.contentType.startsWith('multipart/report')) return 'a delivery or read report (multipart/report)';
  if (m.messageId !== null && opts.isOurMessageId(m.messageId)) return 'our own message';
  if (m.from?.address === opts.ourAddress.toLowerCase()) return 'from our own address';
  return undefined;
}

export function allowedSender(address: string, allowed: readonly string[]): boolean {
  const a = address.toLowerCase();
  const domain = a.slice(a.lastIndexOf('@') + 1);
  return allowed.some((s) => {
    const rule = s.toLowerCase();
    return rule.startsWith('@') ? domain === rule.slice(1) : a === rule;
  });
}

type ResInfo = { method: string; result: string; props: Map<string, string> };
type AuthResults = { authservId: string; results: ResInfo[] };

/** RFC 8601 Authentication-Results, leniently: comments dropped, `;`-separated resinfo. */
export function parseAuthResults(value: string): AuthResults | undefined {
  const text = value
    .replace(/\([^()]*\)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const [head, ...rest] = text.split(';');
  const authservId = head?.trim().split(' ')[0]?.toLowerCase();
  if (authservId === undefined || authservId === '') return undefined;
  const results: ResInfo[] = [];
  for (const part of rest) {
    const tokens = part.trim().split(' ').filter(Boolean);
    const first = /^([a-z0-9_-]+)=([a-z0-9_-]+)$/i.exec(tokens[0] ?? '');
    if (first === null) continue;
    const props = new Map<string, string>();
    for (const t of tokens.slice(1)) {
      const kv = /^([a-z0-9_-]+\.[a-z0-9_-]+)=(.+)$/i.exec(t);
      if (kv !== null) props.set(kv[1]!.toLowerCase(), kv[2]!.replace(/^"|"$/g, '').toLowerCase());
    }
    results.push({ method: first[1]!.toLowerCase(), result: first[2]!.toLowerCase(), props });
  }
  return { authservId, results };
}

/** Relaxed alignment without a public-suffix list: the same domain or one inside the other. */
function aligned(a: string, b: string): boolean {
  return a === b || a.endsWith(`.${b}`) || b.endsWith(`.${a}`);
}

const domainOf = (v: string): string => v.slice(v.lastIndexOf('@') + 1).toLowerCase();

/**
 * Whether the trusted server vouches for the From domain: its topmost Authentication-Results
 * header (a sender can add headers of that name below it, never above it) says dmarc=pass, or a
 * DKIM or SPF pass for a domain aligned with From.
 */
export function authenticated(m: ParsedMail, authservId: string): string | undefined {
  const id = authservId.toLowerCase();
  const ours = m.headers
    .filter((h) => h.key === 'authentication-results')
    .map((h) => parseAuthResults(h.value))
    .find((r) => r?.authservId === id);
  if (ours === undefined) return `no Authentication-Results header from ${authservId}`;
  const fromDomain = domainOf(m.from?.address ?? '');
  for (const r of ours.results) {
    if (r.result !== 'pass') continue;
    if (r.method === 'dmarc') {
      const hf = r.props.get('header.from');
      if (hf === undefined || aligned(domainOf(hf), fromDomain)) return undefined;
    }
    if (r.method === 'dkim') {
      const d = r.props.get('header.d') ?? r.props.get('header.i');
      if (d !== undefined && aligned(domainOf(d), fromDomain)) return undefined;
    }
    if (r.method === 'spf') {
      const d = r.props.get('smtp.mailfrom') ?? r.props.get('smtp.helo');
      if (d !== undefined && aligned(domainOf(d), fromDomain)) return undefined;
    }
  }
  return `${authservId} did not vouch for ${fromDomain} (no dmarc=pass, no aligned dkim or spf pass)`;
}

export function screen(m: ParsedMail, opts: GuardOptions): Verdict {
  const loop = loopReason(m, opts);
  if (loop !== undefined) return { ok: false, reason: loop };
  if (opts.subjectPrefix !== undefined && !m.subject.trimStart().startsWith(opts.subjectPrefix)) {
    // A reply in a thread keeps the prefix behind "Re: ".
    const bare = m.subject.replace(/^\s*((re|aw|fwd?|sv)\s*:\s*)+/i, '');
    if (!bare.startsWith(opts.subjectPrefix))
      return { ok: false, reason: `subject does not start with ${opts.subjectPrefix}`, quiet: true };
  }
  const from = m.from?.address ?? '';
  if (!allowedSender(from, opts.allowedSenders))
    return { ok: false, reason: `sender ${from} is not allowed` };
  if (opts.requireAuthentication) {
    const why =
      opts.authservId === undefined ? 'no authserv_id configured' : authenticated(m, opts.authservId);
    if (why !== undefined) return { ok: false, reason: `From not authenticated: ${why}` };
  }
  return { ok: true };
}
