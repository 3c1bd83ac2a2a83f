/**
 * Routes a button press to the handler of its action. A button carries an action id
 * `<kind>:<argument>` (at most 64 bytes: Telegram's callback_data limit); the handler registered
 * for `<kind>` decides what the press does and what the presser is told. Generic on purpose:
 * permission answers are one kind, a budget question's Continue/Stop another.
 */
import type { Logger } from 'pino';
import type { GroupRow, GroupsRepo } from '../store/groups-repo.js';
import type { ButtonPress, PressAnswer } from './ports.js';

/** Telegram's limit for callback_data, in bytes. */
export const MAX_ACTION_BYTES = 64;

export type ActionContext = {
  readonly press: ButtonPress;
  /** The registered group of the chat the button is in. */
  readonly group: GroupRow;
  /** What follows `<kind>:` in the action id. */
  readonly arg: string;
  /** Whether the presser is one of the operator's approvers on this channel. */
  readonly approver: boolean;
};

export type ActionHandler = (ctx: ActionContext) => PressAnswer;

/** `kind:arg` for a button; throws on an id Telegram would refuse (a defect, not user input). */
export function actionId(kind: string, arg: string): string {
  const id = `${kind}:${arg}`;
  if (!/^[a-z][a-z0-9_-]*$/.test(kind) || Buffer.byteLength(id) > MAX_ACTION_BYTES)
    throw new Error(`action id ${JSON.stringify(id)} is not a valid button action`);
  return id;
}

export type PressRouterDeps = {
  readonly groups: GroupsRepo;
  readonly actions: ReadonlyMap<string, ActionHandler>;
  readonly isApprover: (channel: string, senderId: string) => boolean;
  readonly log: Logger;
};

export function routePress(p: ButtonPress, deps: PressRouterDeps): PressAnswer {
  const group = deps.groups.byChat(p.channel, p.chatId);
  if (group === undefined) return { text: 'This chat is not registered with AgentForge.', alert: true };
  const sep = p.action.indexOf(':');
  const kind = sep < 0 ? p.action : p.action.slice(0, sep);
  const handler = deps.actions.get(kind);
  if (handler === undefined) {
    deps.log.warn(
      { chat: p.chatId, action: p.action.slice(0, MAX_ACTION_BYTES) },
      'button press for an unknown action',
    );
    return { text: 'This button no longer does anything.', alert: true };
  }
  try {
    return handler({
      press: p,
      group,
      arg: sep < 0 ? '' : p.action.slice(sep + 1),
      approver: deps.isApprover(p.channel, p.senderId),
    });
  } catch (err) {
    deps.log.error({ err, chat: p.chatId, action: p.action }, 'button action failed');
    return { text: 'That did not work; the operator can see why in the daemon log.', alert: true };
  }
}
