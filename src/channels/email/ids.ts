/** Message-IDs we assign and thread keys: pure functions, so a restart derives the same ones. */
import { createHash } from 'node:crypto';

/**
 * The Message-ID of one part of one outbox row, known before the first send: a send retried
 * after a crash uses the same id, which is what lets us find it in the Sent mailbox.
 */
export function ourMessageId(key: string, salt: string, from: string): string {
  const domain = from.slice(from.lastIndexOf('@') + 1);
  return `<af.${key}.${salt}@${domain}>`;
}

export function looksOurs(messageId: string, salt: string): boolean {
  return messageId.startsWith('<af.') && messageId.includes(`.${salt}@`);
}

/** A thread is named by its first message: the first References entry, else In-Reply-To, else itself. */
export function threadKey(
  m: {
    readonly references: readonly string[];
    readonly inReplyTo: string | null;
    readonly messageId: string | null;
  },
  fallback: string,
): string {
  const root = m.references[0] ?? m.inReplyTo ?? m.messageId ?? fallback;
  return createHash('sha256').update(root).digest('hex').slice(0, 16);
}

/** "Re: " once, however many the subject already has. */
export function replySubject(subject: string): string {
  const bare = subject.replace(/^\s*((re|aw|sv)\s*:\s*)+/i, '').trim();
  return `Re: ${bare === '' ? '(no subject)' : bare}`;
}
