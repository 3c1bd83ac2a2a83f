/**
 * A turn's reply as a person reads it: the agent's messages kept apart. Adapters stream every
 * message of a turn as `agent_message_chunk`s on one channel; without boundaries, the narration
 * before a tool call and the answer after it run together mid-sentence ("…tool call 1.FINAL…").
 *
 * Where the agent gives chunks a `messageId` (claude-agent-acp, codex-acp), a message is its id:
 * a tool call may arrive between two chunks of one message without splitting it. Without ids
 * (the demo agent), a message ends where any other update (a tool call, a thought, a plan) comes
 * between chunks. What goes to the chat is every message, in order, separated by a blank line
 * (docs/agents.md, "Replies").
 *
 * Adapter notices are not the model's words: chunks marked informational, and, from an agent
 * that gives its messages ids, chunks without one (both adapters send warnings that way).
 */
import type { SessionNotification } from '@agentclientprotocol/sdk';

type Update = SessionNotification['update'];
type Chunk = Extract<Update, { sessionUpdate: 'agent_message_chunk' }>;

/** Updates that describe the session, not the conversation: they do not end a message. */
const METADATA_UPDATES = new Set<string>([
  'usage_update',
  'available_commands_update',
  'current_mode_update',
  'config_option_update',
  'session_info_update',
]);

type Block = { text: string; id: string | null; notice: boolean };

function markedInformational(u: Chunk): boolean {
  const cc = (u._meta as { claudeCode?: { kind?: unknown } } | null | undefined)?.claudeCode;
  return cc?.kind === 'informational';
}

export class ReplyAssembler {
  readonly #blocks: Block[] = [];
  /** The id-less block still open for more chunks, if the last update was one of its chunks. */
  #open: Block | undefined;

  add(u: Update): void {
    if (u.sessionUpdate !== 'agent_message_chunk') {
      if (!METADATA_UPDATES.has(u.sessionUpdate)) this.#open = undefined;
      return;
    }
    if (u.content.type !== 'text') return;
    const id = u.messageId ?? null;
    const notice = markedInformational(u);
    let block: Block | undefined;
    if (id !== null) block = this.#blocks.findLast((b) => b.id === id);
    else if (this.#open !== undefined && this.#open.notice === notice) block = this.#open;
    if (block === undefined) {
      block = { text: '', id, notice };
      this.#blocks.push(block);
    }
    block.text += u.content.text;
    this.#open = id === null ? block : undefined;
  }

  /**
   * Something happened between chunks that is not an update: a permission request. Gemini sends
   * no tool_call before one, so without this a refused call's narration and the answer after it
   * would be one message.
   */
  break(): void {
    this.#open = undefined;
  }

  /**
   * The turn's messages as the agent wrote them (empty ones dropped, notices set apart), and the
   * reply text: the messages joined by one blank line, with the blank lines at the seams trimmed.
   * A single message is returned unchanged.
   */
  finish(): { messages: string[]; notices: string[]; text: string } {
    const withIds = this.#blocks.some((b) => b.id !== null);
    const messages: string[] = [];
    const notices: string[] = [];
    for (const b of this.#blocks) {
      if (b.text.trim() === '') continue;
      if (b.notice || (withIds && b.id === null)) notices.push(b.text.trim());
      else messages.push(b.text);
    }
    const last = messages.length - 1;
    const text = messages
      // Leading indentation may be a code block's: only whole blank lines go.
      .map((m, i) => (i < last ? m.trimEnd() : m))
      .map((m, i) => (i > 0 ? m.replace(/^(?:[ \t]*\n)+/, '') : m))
      .join('\n\n');
    return { messages, notices, text };
  }
}
