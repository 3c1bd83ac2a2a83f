/**
 * A budget question with Continue / Stop buttons (action kind `budget`). Only approvers may press;
 * anyone else gets an alert and nothing changes. A press decides like a typed `continue` / `stop`
 * (the same BudgetChat), the question is edited to say who decided and loses its buttons, and the
 * decision's reply goes to the chat.
 */
import type { OutboxRepo } from '../store/outbox-repo.js';
import { actionId, type ActionHandler } from './button-actions.js';
import type { BudgetChat, Buttons } from './ports.js';

export const BUDGET_ACTION = 'budget';

export function budgetButtons(): Buttons {
  return [
    [
      { text: 'Continue', action: actionId(BUDGET_ACTION, 'continue') },
      { text: 'Stop', action: actionId(BUDGET_ACTION, 'stop') },
    ],
  ];
}

export function budgetButtonHandler(deps: {
  readonly budget: BudgetChat;
  readonly outbox: OutboxRepo;
  readonly now?: () => number;
}): ActionHandler {
  return ({ press, group, arg, approver }) => {
    if (arg !== 'continue' && arg !== 'stop')
      return { text: 'This button no longer does anything.', alert: true };
    if (!approver)
      return { text: "Only the operator's approvers can answer the budget question.", alert: true };
    const g = { folder: group.folder, agent: group.agent };
    if (!deps.budget.asking(g))
      return { text: 'There is no budget question waiting in this chat.', alert: true };
    const who = `${press.channel}:${press.senderId}`;
    const reply = deps.budget.answer(g, arg, who);
    const now = deps.now?.() ?? Date.now();
    const at = {
      channel: press.channel,
      chatId: press.chatId,
      groupFolder: group.folder,
      source: 'system' as const,
    };
    // The question loses its buttons and says who decided; the decision itself is a new message.
    deps.outbox.add(
      {
        ...at,
        text: `Budget question answered by ${press.senderName ?? who}: ${arg}.`,
        editMessageId: press.messageId,
      },
      now,
    );
    deps.outbox.add({ ...at, text: reply }, now);
    return { text: arg === 'continue' ? 'Continuing.' : 'Stopped.', alert: false };
  };
}
