/**
 * Chat commands, answered by the daemon before any agent sees them: `/stop` cancels the group's
 * running turn, `/new` starts a fresh session (the old one is kept and listed; in a group only an
 * approver may), `/status` answers without starting an agent, `/help` lists them. A command is
 * stored like any message (so a redelivered copy is a duplicate) but never starts a turn.
 */
import type { GroupRow } from '../store/groups-repo.js';
import type { InboundMessage } from './ports.js';

export const COMMANDS = [
  { command: 'stop', description: 'Stop the running answer' },
  { command: 'new', description: 'Start a fresh conversation (the old one is kept)' },
  { command: 'status', description: 'Agent, session, queue and last error' },
  { command: 'help', description: 'What I understand' },
] as const;

export type CommandName = (typeof COMMANDS)[number]['command'];

/** `/stop`, `/stop@my_bot`, `/status now`; a command addressed to another bot is not ours. */
export function parseCommand(text: string, botMention: string | null): CommandName | undefined {
  const m = /^\/([a-z]+)(?:@([A-Za-z0-9_]+))?(?:\s|$)/.exec(text.trim());
  if (m === null) return undefined;
  if (m[2] !== undefined && (botMention === null || `@${m[2]}`.toLowerCase() !== botMention.toLowerCase()))
    return undefined;
  return COMMANDS.find((c) => c.command === m[1]!.toLowerCase())?.command;
}

export type CommandPort = {
  /** Cancels the group's running turn; false when none runs. */
  readonly stop: (folder: string) => boolean;
  /** A fresh session for the group; the ids of the new and the previous one. */
  readonly newSession: (group: GroupRow) => { readonly id: string; readonly previous: string | null };
  /** One short paragraph: agent, session, queue, last error. */
  readonly status: (group: GroupRow) => string;
};

export type Command = {
  readonly name: CommandName;
  readonly m: InboundMessage;
  readonly group: GroupRow;
  readonly approver: boolean;
};

/** The reply to a command; acting on it is the port's. */
export function runCommand(c: Command, port: CommandPort): string {
  switch (c.name) {
    case 'help':
      return [
        'Write to me and the agent answers. Commands:',
        ...COMMANDS.map((x) => `/${x.command} – ${x.description}`),
        'Permission questions have Approve / Deny buttons (approvers only).',
      ].join('\n');
    case 'status':
      return port.status(c.group);
    case 'stop':
      return port.stop(c.group.folder) ? 'Stopping the running answer.' : 'Nothing is running in this chat.';
    case 'new': {
      if (c.m.chatType !== 'private' && !c.approver)
        return "Not done: only the operator's approvers can start a new session in a group.";
      const s = port.newSession(c.group);
      return s.previous === null
        ? `Started a fresh session (${s.id}).`
        : `Started a fresh session (${s.id}). The previous one (${s.previous}) is kept: agentforge session list.`;
    }
  }
}
