/**
 * Permission requests as a chat question with Approve / Deny buttons (action kind `perm`). Only
 * approvers may press; anyone else is told so in an alert and nothing changes. When a request is
 * decided — by a button, a typed `approve <id>`, the CLI or its timeout — the question is edited
 * to say so, by whom, and loses its buttons. A press on a request the daemon no longer knows
 * (expired, or lost with a restart) edits the question to say it expired.
 */
import type { OutboxRepo } from '../store/outbox-repo.js';
import { actionId, type ActionHandler } from './button-actions.js';
import type { Buttons } from './ports.js';

export const PERMISSION_ACTION = 'perm';
const NAMES_MAX = 1_000;

export type PermissionQuestion = { readonly id: string; readonly title: string; readonly kind: string };
export type PermissionOutcome = {
  readonly allow: boolean;
  readonly by: 'policy' | 'tool_server' | 'operator' | 'timeout';
  readonly decidedBy: string | null;
};

/** The outbox ref of the question about request `id`: how its decision finds it to edit. */
export const questionRef = (id: string): string => `${PERMISSION_ACTION}:${id}`;

export function questionButtons(id: string): Buttons {
  return [
    [
      { text: 'Approve', action: actionId(PERMISSION_ACTION, `allow:${id}`) },
      { text: 'Deny', action: actionId(PERMISSION_ACTION, `deny:${id}`) },
    ],
  ];
}

export function questionText(q: PermissionQuestion, timeout: string): string {
  return `The agent asks permission to ${q.kind}: "${q.title}". An approver may press a button, or reply "approve ${q.id}" or "deny ${q.id}" (it is denied if nobody answers within ${timeout}).`;
}

export type PermissionButtonsDeps = {
  readonly outbox: OutboxRepo;
  /** Answers a pending request of the group's agent; false when none matches (see Supervisor). */
  readonly answer: (groupFolder: string, id: string, allow: boolean, decidedBy: string) => boolean;
  readonly now?: () => number;
};

export class PermissionButtons {
  /** Names of recent pressers by `channel:id`, so the edited question names a person. */
  readonly #names = new Map<string, string>();

  constructor(private readonly deps: PermissionButtonsDeps) {}

  readonly handler: ActionHandler = ({ press, group, arg, approver }) => {
    const m = /^(allow|deny):(p[a-z0-9]{6})$/.exec(arg);
    if (m === null) return { text: 'This button no longer does anything.', alert: true };
    const allow = m[1] === 'allow';
    const id = m[2]!;
    if (!approver)
      return {
        text: `Only the operator's approvers can answer permission requests; ${id} is unchanged.`,
        alert: true,
      };
    const who = `${press.channel}:${press.senderId}`;
    if (press.senderName !== null) {
      if (this.#names.size >= NAMES_MAX) this.#names.clear();
      this.#names.set(who, press.senderName);
    }
    if (this.deps.answer(group.folder, id, allow, who))
      return { text: `${allow ? 'Approved' : 'Denied'} ${id}.`, alert: false };
    // Decided already (its question is edited by then), or unknown to this daemon: say expired.
    const question = this.deps.outbox.byRef(questionRef(id));
    if (question === undefined || !this.#editQueued(question.id))
      this.#queueEdit(
        { channel: press.channel, chatId: press.chatId, folder: group.folder },
        { editMessageId: press.messageId },
        `Expired: permission request ${id} is no longer pending; it was denied. Nothing was changed.`,
      );
    return { text: `${id} is no longer pending: it was answered or it expired.`, alert: true };
  };

  /** A request was decided: its question says how, by whom, and loses its buttons. */
  decided(q: PermissionQuestion, d: PermissionOutcome): void {
    const question = this.deps.outbox.byRef(questionRef(q.id));
    if (question === undefined) return;
    const name = d.decidedBy === null ? undefined : this.#names.get(d.decidedBy);
    const who = d.decidedBy === null ? null : name === undefined ? d.decidedBy : `${name} (${d.decidedBy})`;
    const text =
      d.by === 'timeout'
        ? `Expired: nobody answered permission request ${q.id} to ${q.kind} "${q.title}" in time; it was denied.`
        : `${d.allow ? 'Approved' : 'Denied'}${who === null ? '' : ` by ${who}`}: ${q.kind} "${q.title}" (${q.id}).`;
    this.#queueEdit(
      { channel: question.channel, chatId: question.chat_id, folder: question.group_folder },
      { editOf: question.id },
      text,
    );
  }

  #editQueued(questionRow: number): boolean {
    return this.deps.outbox.editsOf(questionRow) > 0;
  }

  #queueEdit(
    at: { channel: string; chatId: string; folder: string | null },
    target: { editOf?: number; editMessageId?: string },
    text: string,
  ): void {
    this.deps.outbox.add(
      {
        channel: at.channel,
        chatId: at.chatId,
        groupFolder: at.folder,
        source: 'system',
        text,
        editOf: target.editOf ?? null,
        editMessageId: target.editMessageId ?? null,
      },
      this.deps.now?.() ?? Date.now(),
    );
  }
}
