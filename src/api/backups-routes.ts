/**
 * /api/backups: list, create and verify backups from inside the running daemon (the dashboard's
 * Backups page). The same operations as `agentforge backup list|create|verify`, which run them
 * in the CLI's own process and also work with the daemon down. The work itself is ops', handed in.
 */
import type { Hono } from 'hono';
import { ApiError } from './errors.js';

export type BackupOps<Info, Report> = {
  list(): Info[];
  /** Takes a backup and prunes to [backup] keep. */
  create(): Promise<{ backup: Info; pruned: string[] }>;
  /** undefined when there is no backup of that name. */
  verify(name: string): Promise<Report | undefined>;
};

/** The directory names createBackup makes: no path can be smuggled in. */
const BACKUP_NAME = /^agentforge-[0-9A-Za-z.-]{1,64}$/;

export function backupRoutes<Info, Report>(api: Hono, ops: BackupOps<Info, Report>): void {
  let creating = false;
  api.get('/backups', (c) => c.json({ backups: ops.list() }));
  api.post('/backups', async (c) => {
    if (creating) throw new ApiError(409, 'backup_running', 'a backup is being taken; wait for it to finish');
    creating = true;
    try {
      return c.json(await ops.create(), 201);
    } finally {
      creating = false;
    }
  });
  api.post('/backups/:name/verify', async (c) => {
    const name = c.req.param('name');
    if (!BACKUP_NAME.test(name))
      throw new ApiError(
        400,
        'invalid_request',
        `"${name}" is not a backup name; see: agentforge backup list`,
      );
    const report = await ops.verify(name);
    if (report === undefined)
      throw new ApiError(404, 'backup_not_found', `no backup ${name}; see: agentforge backup list`);
    return c.json(report);
  });
}
