/** The router's TurnPort over the session supervisor: each group has one current session. */
import { SessionRequestError } from '../sessions/errors.js';
import type { Supervisor } from '../sessions/supervisor.js';
import type { Session } from '../sessions/session.js';
import type { PromptImage, TurnPort } from '../router/ports.js';
import type { GroupsRepo } from '../store/groups-repo.js';
import type { SessionsRepo } from '../store/sessions-repo.js';

/** The TurnPort, plus the task a turn runs for (its usage is counted per task). */
export type GroupTurns = TurnPort & {
  readonly run: (
    group: { folder: string; agent: string | null },
    prompt: string,
    images?: readonly PromptImage[],
    taskId?: string | null,
  ) => Promise<string>;
};

export function groupTurns(supervisor: Supervisor, groups: GroupsRepo, sessions: SessionsRepo): GroupTurns {
  const sessionFor = (folder: string, agent: string | null): Session => {
    // A registered group remembers its session; an unregistered folder (the local CLI's) reuses its
    // newest active one, so scheduled runs there do not start a new session each time. A group
    // registered anew on an old folder starts fresh: it must not inherit an earlier chat's session.
    const group = groups.get(folder);
    const current = group !== undefined ? group.session_id : sessions.latestActive(folder)?.id;
    if (current !== null && current !== undefined) {
      try {
        return supervisor.get(current);
      } catch (err) {
        // Only a session that is gone is replaced; any other error must not silently start a
        // new conversation (the group's context would be lost).
        if (!(err instanceof SessionRequestError && err.code === 'session_not_found')) throw err;
      }
    }
    const s = supervisor.create({ agent: agent ?? undefined, group: folder });
    groups.setSession(folder, s.id);
    return s;
  };
  return {
    cancel(folder) {
      const id = groups.get(folder)?.session_id;
      if (id === null || id === undefined) return false;
      try {
        return supervisor.get(id).stopTurn();
      } catch {
        return false;
      }
    },
    async run(group, prompt, images = [], taskId: string | null = null) {
      // A failed turn rejects with a SessionError, which is a Failure with its kind (failures.ts).
      const result = await sessionFor(group.folder, group.agent).prompt(prompt, 'queue', images, taskId);
      return result.reply;
    },
  };
}
