/** Whether a group folder is taken: by a workspace on disk or by a session of an earlier group. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SessionsRepo } from '../store/sessions-repo.js';

export function folderInUse(groupsDir: string, sessions: SessionsRepo): (folder: string) => boolean {
  return (folder) => existsSync(join(groupsDir, folder)) || sessions.latestActive(folder) !== undefined;
}
