/**
 * Property-based fuzzing (fast-check) of group folder names (audit finding 4: `group add --folder
 * cli` handed a chat main powers). Arbitrary folder strings go through the real group routes
 * (Hono `app.request()`, no port) on a migrated SQLite file: a folder the daemon owns (`cli`,
 * `dm-…`, `mail-…`) or a malformed one is never registered and answers 400; a folder an earlier
 * group left behind is refused without `reuse_folder`; nothing else changes. Runs are bounded
 * (quick for CI; CHAOS_LONG=1 multiplies them); a failure prints its seed (replay: CHAOS_SEED).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import { groupRoutes } from '../../src/api/groups-routes.js';
import { ApiError } from '../../src/api/errors.js';
import { GROUP_FOLDER_RE, reservedFolder } from '../../src/config/paths.js';
import { openDatabase } from '../../src/store/db.js';
import { GroupsRepo } from '../../src/store/groups-repo.js';
import { migrate } from '../../src/store/migrate.js';
import { GLOBAL_MIGRATIONS } from '../../src/store/migrations/index.js';
import { OutboxRepo } from '../../src/store/outbox-repo.js';
import { PairingRepo } from '../../src/store/pairing-repo.js';
import { fuzzParams } from '../helpers/chaos.js';

let runs = 0;
afterAll(() => console.log(`fuzz-folders: ${runs} runs`));

const scratch = mkdtempSync(join(tmpdir(), 'af-fuzz-fold-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const db = openDatabase(join(scratch, 'agentforge.db'));
migrate(db, GLOBAL_MIGRATIONS, 'agentforge.db');
const groups = new GroupsRepo(db);
/** Folders "left behind" by an earlier group: their workspace is still on disk. */
const leftBehind = new Set(['team', 'old-chat']);
const app = new Hono();
app.onError((err, c) =>
  err instanceof ApiError
    ? c.json({ error: { code: err.code } }, err.status as 400)
    : c.json({ error: { code: 'internal' } }, 500),
);
groupRoutes(app, {
  groups,
  pairing: new PairingRepo(db),
  outbox: new OutboxRepo(db),
  agentExists: () => true,
  folderInUse: (f) => leftBehind.has(f),
});

const folder = fc.oneof(
  fc.string({ maxLength: 70 }),
  fc.constantFrom('cli', 'CLI', 'dm-1', 'dm-', 'mail-x', 'team', 'old-chat', '../x', 'a/b', '.hidden'),
  fc.stringMatching(/^(dm-|mail-|cli)[a-z0-9_-]{0,8}$/),
);

describe('group folders, fuzzed', () => {
  it('registers exactly the valid, free, non-reserved folders', async () => {
    let chat = 1_000_000;
    await fc.assert(
      fc.asyncProperty(folder, fc.boolean(), async (f, reuse) => {
        runs++;
        const before = groups.list().length;
        const taken = groups.get(f) !== undefined;
        const res = await app.request('/groups', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ chat: String(-chat++), folder: f, reuse_folder: reuse }),
        });
        const ok =
          GROUP_FOLDER_RE.test(f) && reservedFolder(f) === undefined && (reuse || !leftBehind.has(f));
        if (res.status === 201) {
          expect(ok && !taken).toBe(true);
          expect(groups.list().length).toBe(before + 1);
          groups.remove(f); // keep the next run's view the same
        } else {
          expect([400, 409]).toContain(res.status);
          expect(groups.list().length).toBe(before);
          if (reservedFolder(f) !== undefined && GROUP_FOLDER_RE.test(f)) expect(res.status).toBe(400);
        }
      }),
      fuzzParams(300),
    );
  });
});
