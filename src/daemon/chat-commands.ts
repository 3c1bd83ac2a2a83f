/** The chat commands' port over the supervisor, the group queue and the stores (router/chat-commands.ts). */
import type { CommandPort } from '../router/chat-commands.js';
import type { GroupQueue } from '../router/group-queue.js';
import type { Supervisor } from '../sessions/supervisor.js';
import type { Stores } from '../store/store.js';

export function chatCommands(deps: {
  stores: Stores;
  supervisor: Supervisor;
  queue: GroupQueue;
  /** Extra lines for /status (e.g. the bot pool's assignments). */
  extraStatus?: (folder: string) => string[];
}): CommandPort {
  const { stores, supervisor, queue } = deps;
  return {
    stop: (folder) => queue.stopTurn(folder),
    newSession(group) {
      const previous = group.session_id;
      const s = supervisor.create({ agent: group.agent ?? undefined, group: group.folder });
      stores.groups.setSession(group.folder, s.id);
      return { id: s.id, previous };
    },
    status(group) {
      // From the rows alone: /status must answer while no agent runs, or while one hangs.
      let agent = group.agent;
      if (agent === null) {
        try {
          agent = supervisor.agent(undefined).name;
        } catch {
          agent = '(no default agent)';
        }
      }
      const row = group.session_id === null ? undefined : stores.sessions.get(group.session_id);
      const session =
        row === undefined
          ? 'none yet'
          : `${row.id} (${supervisor.liveState(row.id)}, ${row.turns} turn${row.turns === 1 ? '' : 's'})`;
      const lastError =
        row?.last_error_kind == null
          ? 'none'
          : `${row.last_error_kind}: ${(row.last_error ?? '').slice(0, 200)}`;
      return [
        `Agent: ${agent}`,
        `Session: ${session}`,
        `Queue: ${stores.messages.waitingFor(group.folder)} message(s) waiting or in a turn`,
        `Last error: ${lastError}`,
        ...(deps.extraStatus?.(group.folder) ?? []),
      ].join('\n');
    },
  };
}
