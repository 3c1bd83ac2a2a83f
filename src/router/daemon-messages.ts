/**
 * Chat messages that are for the daemon, not the agent: an approver's `approve <id>` / `deny <id>`
 * to a permission request, a typed `continue` / `stop` to a waiting budget question, and the chat
 * commands (chat-commands.ts). The inbox stores them like any message but starts no turn for them;
 * they act only once the batch has committed, so a redelivered copy is a duplicate that does
 * nothing, and an agent told "allow" cannot be told otherwise by a rolled-back transaction.
 */
import type { Logger } from 'pino';
import type { GroupRow } from '../store/groups-repo.js';
import type { OutboxRepo } from '../store/outbox-repo.js';
import {
  parseCommand,
  runCommand,
  type Command,
  type CommandName,
  type CommandPort,
} from './chat-commands.js';
import type { BudgetChat, InboundMessage } from './ports.js';

/** `approve pk7m2qx` / `deny pk7m2qx`; the id's shape is REQUEST_ID_RE (sessions/request-ids.ts). */
const APPROVAL_RE = /^\s*(approve|deny)\s+(p[a-km-np-z2-9]{6})\s*$/i;
/** An approver's answer to a budget question (only while one waits in the chat). */
const BUDGET_ANSWER_RE = /^\s*(continue|stop)\s*[.!]?\s*$/i;
/** Refusals told to non-approvers, remembered so a flood of answers is not a flood of replies. */
const TOLD_REFUSED_MAX = 1_000;

/** What a message asks of the daemon, recognised before it is stored. */
export type DaemonRequest =
  | { readonly kind: 'budget'; readonly decision: 'continue' | 'stop' }
  | { readonly kind: 'command'; readonly name: CommandName }
  | { readonly kind: 'approval'; readonly id: string; readonly allow: boolean };

/** An approval message that was stored. */
type Answer = {
  readonly m: InboundMessage;
  readonly group: GroupRow;
  readonly id: string;
  readonly allow: boolean;
};

type BudgetAnswer = {
  readonly m: InboundMessage;
  readonly group: GroupRow;
  readonly decision: 'continue' | 'stop';
};

/** What stored messages ask the daemon to do once the batch is committed. */
export type Deferred = {
  readonly answers: Answer[];
  readonly commands: Command[];
  readonly budget: BudgetAnswer[];
};

/** The part of InboxDeps these messages use. */
export type DaemonMessagesDeps = {
  readonly outbox: OutboxRepo;
  readonly log: Logger;
  readonly now?: () => number;
  /**
   * Answers a pending permission request of the group's agent for `decidedBy` (e.g.
   * `telegram:12345`); false when none of this group's requests matches.
   */
  readonly approvals?: (groupFolder: string, requestId: string, allow: boolean, decidedBy: string) => boolean;
  /** Whether this sender may answer permission requests (`[channels.telegram] approvers`). */
  readonly isApprover?: (channel: string, senderId: string) => boolean;
  /** `/stop`, `/new`, `/status` (chat-commands.ts); without it they are ordinary messages. */
  readonly commands?: CommandPort;
  /** The bot's own @name, so `/stop@other_bot` is left to the other bot. */
  readonly botMention?: () => string | null;
  /** Budget questions answered by a typed `continue` / `stop`; with none, both are ordinary messages. */
  readonly budget?: BudgetChat;
};

export class DaemonMessages {
  readonly #toldRefused = new Set<string>();
  constructor(private readonly deps: DaemonMessagesDeps) {}

  /** What `m` asks of the daemon; undefined for an ordinary message. */
  requestOf(m: InboundMessage, group: GroupRow): DaemonRequest | undefined {
    const approval = APPROVAL_RE.exec(m.text);
    const command =
      this.deps.commands === undefined ? undefined : parseCommand(m.text, this.deps.botMention?.() ?? null);
    // `continue` / `stop` answer a budget question only while one waits; else they are for the agent.
    const budget = this.#budgetDecisionOf(m.text, group);
    if (budget !== undefined) return { kind: 'budget', decision: budget };
    if (command !== undefined) return { kind: 'command', name: command };
    if (approval !== null)
      return {
        kind: 'approval',
        id: approval[2]!.toLowerCase(),
        allow: approval[1]!.toLowerCase() === 'approve',
      };
    return undefined;
  }

  /** Keeps the request of a message that was stored, to act on after the commit. */
  defer(later: Deferred, m: InboundMessage, group: GroupRow, request: DaemonRequest): void {
    switch (request.kind) {
      case 'budget':
        later.budget.push({ m, group, decision: request.decision });
        return;
      case 'command': {
        const approver = this.deps.isApprover?.(m.channel, m.senderId) === true;
        later.commands.push({ name: request.name, m, group, approver });
        return;
      }
      case 'approval':
        later.answers.push({ m, group, id: request.id, allow: request.allow });
        return;
    }
  }

  /** Acts on what the committed batch asked: approvals, then commands, then budget answers. */
  act(later: Deferred): void {
    for (const a of later.answers) this.#answer(a);
    for (const c of later.commands) this.#command(c);
    for (const b of later.budget) this.#budgetAnswer(b);
  }

  #now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  #budgetDecisionOf(text: string, group: GroupRow): 'continue' | 'stop' | undefined {
    const answer = BUDGET_ANSWER_RE.exec(text);
    if (answer === null || this.deps.budget?.asking({ folder: group.folder, agent: group.agent }) !== true)
      return undefined;
    return answer[1]!.toLowerCase() as 'continue' | 'stop';
  }

  /** Acts on a stored `continue` / `stop` (approvers only) and replies in the chat. */
  #budgetAnswer({ m, group, decision }: BudgetAnswer): void {
    const budget = this.deps.budget;
    if (budget === undefined) return;
    let text: string;
    if (this.deps.isApprover?.(m.channel, m.senderId) !== true) {
      this.deps.log.warn(
        { group: group.folder, user: m.senderId, decision },
        'budget answer from someone who is not an approver; ignored',
      );
      text =
        "Not done: only the operator's approvers can answer the budget question; the messages still wait.";
    } else {
      text = budget.answer(
        { folder: group.folder, agent: group.agent },
        decision,
        `${m.channel}:${m.senderId}`,
      );
      this.deps.log.info(
        { group: group.folder, decision, by: m.senderId },
        'budget question answered in the chat',
      );
    }
    try {
      this.deps.outbox.add(
        { channel: m.channel, chatId: m.chatId, groupFolder: group.folder, source: 'system', text },
        this.#now(),
      );
    } catch (err) {
      this.deps.log.error({ err, group: group.folder }, 'could not queue the budget reply');
    }
  }

  /** Runs one stored command and queues its reply (in a group, as a reply to the command). */
  #command(c: Command): void {
    const port = this.deps.commands;
    if (port === undefined) return;
    try {
      const text = runCommand(c, port);
      this.deps.log.info({ group: c.group.folder, command: c.name, user: c.m.senderId }, 'chat command');
      this.deps.outbox.add(
        {
          channel: c.m.channel,
          chatId: c.m.chatId,
          groupFolder: c.group.folder,
          source: 'system',
          text,
          replyTo: c.m.chatType === 'private' ? null : c.m.messageId,
        },
        this.#now(),
      );
    } catch (err) {
      this.deps.log.error({ err, group: c.group.folder, command: c.name }, 'chat command failed');
    }
  }

  /** Acts on one stored approval message; true when it put a reply in the outbox. */
  #answer({ m, group, id, allow }: Answer): boolean {
    const who = `${m.channel}:${m.senderId}`;
    let text: string;
    if (this.deps.isApprover?.(m.channel, m.senderId) !== true) {
      this.deps.log.warn(
        { group: group.folder, user: m.senderId, request: id },
        'permission answer from someone who is not an approver; ignored',
      );
      // One reply per sender and request: enough to explain, too little to spam the chat with.
      const key = `${m.channel}\n${m.chatId}\n${m.senderId}\n${id}`;
      if (this.#toldRefused.has(key)) return false;
      if (this.#toldRefused.size >= TOLD_REFUSED_MAX) this.#toldRefused.clear();
      this.#toldRefused.add(key);
      text = `Not done: only the operator's approvers can answer permission requests, and ${id} is unchanged.`;
    } else if (this.deps.approvals?.(group.folder, id, allow, who) === true) {
      this.deps.log.info(
        { group: group.folder, request: id, allow, by: who },
        'permission answered in the chat',
      );
      text = `${allow ? 'Approved' : 'Denied'} ${id}.`;
    } else {
      text = `There is no pending request ${id} in this chat: it was answered, it expired, or it is not this chat's.`;
    }
    try {
      this.deps.outbox.add(
        { channel: m.channel, chatId: m.chatId, groupFolder: group.folder, source: 'system', text },
        this.#now(),
      );
      return true;
    } catch (err) {
      // The answer itself is done and recorded in the session's event log; only the notice is lost.
      this.deps.log.error({ err, group: group.folder, request: id }, 'could not queue the answer notice');
      return false;
    }
  }
}
