/**
 * Reads the prompt format the daemon gives chat turns (docs/agents.md, "Prompts"), the way any
 * agent could: lines beginning with `[agentforge] ` are the daemon's notes, lines beginning with
 * `>` quote chat text. The demo agent runs the addressed message as its command; a prompt not in
 * this format (the CLI's `session prompt`, a scheduled task) is the command itself.
 */
const NOTE = '[agentforge] ';
const ADDRESSED = `${NOTE}Message to answer `;

export type ChatPrompt = {
  /** The addressed message, unquoted: what the sender wrote. */
  readonly text: string;
  /** Everything after it (earlier messages, undelivered replies), as it stands in the prompt. */
  readonly rest: string;
};

/** `> text` → `text`, a bare `>` → an empty line; undefined for a line that is not a quote. */
function unquote(line: string): string | undefined {
  if (line === '>') return '';
  return line.startsWith('> ') ? line.slice(2) : undefined;
}

export function parseChatPrompt(prompt: string): ChatPrompt | undefined {
  if (!prompt.startsWith(NOTE)) return undefined;
  const lines = prompt.split('\n');
  const head = lines.findIndex((l) => l.startsWith(ADDRESSED));
  if (head < 0) return undefined;
  const text: string[] = [];
  let i = head + 1;
  for (; i < lines.length; i++) {
    const l = unquote(lines[i]!);
    if (l === undefined) break;
    text.push(l);
  }
  return { text: text.join('\n'), rest: lines.slice(i).join('\n').trim() };
}
