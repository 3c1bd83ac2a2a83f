/**
 * Our text → Telegram HTML. Agents write Markdown-ish text; we escape everything and translate
 * only code blocks, inline code and bold, which covers what agents use and cannot produce broken
 * entities on its own. If Telegram still rejects the entities, the sender falls back to plain text.
 */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function toTelegramHtml(text: string): string {
  const out: string[] = [];
  const fence = /```[^\n]*\n?([\s\S]*?)```/g;
  let last = 0;
  for (let m = fence.exec(text); m !== null; m = fence.exec(text)) {
    out.push(inline(text.slice(last, m.index)));
    out.push(`<pre>${escapeHtml(m[1] ?? '')}</pre>`);
    last = m.index + m[0].length;
  }
  out.push(inline(text.slice(last)));
  return out.join('');
}

/**
 * One left-to-right pass, so a span already taken as code is never formatted again: Telegram
 * rejects entities nested inside code, and markers inside code or bold stay literal text.
 */
function inline(text: string): string {
  return escapeHtml(text).replace(/`([^`\n]+)`|\*\*([^*\n]+)\*\*/g, (_m, code?: string, bold?: string) =>
    code !== undefined ? `<code>${code}</code>` : `<b>${bold ?? ''}</b>`,
  );
}
