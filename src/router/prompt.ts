/**
 * Builds a turn's prompt from the inbox batch. The newest addressed message comes first, verbatim,
 * so the agent (and the scripted demo agent) sees the request itself; earlier messages follow as
 * labelled context, and undelivered replies are reported so the agent can act on them.
 */
import type { MessageRow } from '../store/messages-repo.js';
import type { OutboxRow } from '../store/outbox-repo.js';

export function buildPrompt(batch: readonly MessageRow[], undelivered: readonly OutboxRow[] = []): string {
  const lastTriggered = [...batch].reverse().find((m) => m.triggered === 1) ?? batch[batch.length - 1];
  if (lastTriggered === undefined) return '';
  const others = batch.filter((m) => m.id !== lastTriggered.id);
  const lines = [lastTriggered.text];
  if (others.length > 0) {
    lines.push('', '[Earlier messages in this chat, oldest first]');
    for (const m of others)
      lines.push(
        `${new Date(m.ts).toISOString().slice(11, 16)} ${m.sender_name ?? m.sender_id ?? '?'}: ${m.text}`,
      );
  }
  if (undelivered.length > 0) {
    lines.push(
      '',
      `[System: ${undelivered.length} earlier repl${undelivered.length === 1 ? 'y' : 'ies'} could not be delivered to this chat]`,
    );
    for (const o of undelivered)
      lines.push(`- "${o.text.slice(0, 200)}" (${o.last_error ?? 'unknown error'})`);
  }
  return lines.join('\n');
}
