/**
 * A turn's reply as a person reads it: the agent's messages kept apart. Adapters stream every
 * message of a turn as `agent_message_chunk`s on one channel; without boundaries, the narration
 * before a tool call and the answer after it run together mid-sentence ("…tool call 1.FINAL…").
 * A message ends where its `messageId` changes or any other update (a tool call, a thought, a
 * plan) comes between chunks. What goes to the chat is every message, in order, separated by a
 * blank line (docs/agents.md, "Replies").
 */
import type { SessionNotification } from '@agentclientprotocol/sdk';

type Update = SessionNotification['update'];

/** Updates that describe the session, not the conversation: they do not end a message. */
const METADATA_UPDATES = new Set<string>([
  'usage_update',
  'available_commands_update',
  'current_mode_update',
  'config_option_update',
  'session_info_update',
]);

export type NoticeFilter = (text: string) => boolean;

export class ReplyAssembler {
  readonly #messages: string[] = [];
  #open = false;
  #messageId: string | null = null;

  /** `isNotice`: an adapter's own notice (not the model's words) is kept out of the reply. */
  constructor(private readonly isNotice: NoticeFilter = () => false) {}

  add(u: Update): void {
    if (u.sessionUpdate === 'agent_message_chunk') {
      if (u.content.type !== 'text') return;
      const id = u.messageId ?? null;
      if (!this.#open || (id !== null && id !== this.#messageId)) {
        this.#messages.push('');
        this.#open = true;
      }
      this.#messageId = id;
      this.#messages[this.#messages.length - 1] += u.content.text;
      return;
    }
    if (!METADATA_UPDATES.has(u.sessionUpdate)) this.#open = false;
  }

  /**
   * The turn's messages as the agent wrote them (empty ones dropped, adapter notices set apart),
   * and the reply text: the messages joined by one blank line, with the blank lines at the seams
   * trimmed. A single message is returned unchanged.
   */
  finish(): { messages: string[]; notices: string[]; text: string } {
    const messages: string[] = [];
    const notices: string[] = [];
    for (const m of this.#messages) {
      if (m.trim() === '') continue;
      (this.isNotice(m.trim()) ? notices : messages).push(m);
    }
    const last = messages.length - 1;
    const text = messages
      // Leading indentation may be a code block's: only whole blank lines go.
      .map((m, i) => (i < last ? m.trimEnd() : m))
      .map((m, i) => (i > 0 ? m.replace(/^(?:[ \t]*\n)+/, '') : m))
      .join('\n\n');
    return { messages, notices: notices.map((n) => n.trim()), text };
  }
}
