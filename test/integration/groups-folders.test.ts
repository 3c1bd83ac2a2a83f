/**
 * Group folders the daemon owns cannot be registered by anyone (security audit, finding 4): `cli`
 * would give a chat main powers and the operator's own session, `dm-…` another user's direct
 * chat. A folder left behind by `group rm` is handed to a new chat only when the operator says so.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeHome, startDaemon, testConfig, type TestHome } from '../helpers/harness.js';
import { newSession } from '../helpers/sessions.js';

let h: TestHome;

beforeAll(async () => {
  h = makeHome();
  expect((await h.run(['init'])).code).toBe(0);
  h.writeConfig(testConfig(await freePort()));
  await startDaemon(h);
});
afterAll(async () => {
  await h.run(['daemon', 'stop']);
  await h.cleanup();
});

describe('group folders', () => {
  it('refuses the reserved folder cli and the dm- prefix, and registers nothing', async () => {
    const cli = await h.run(['group', 'add', '-100400', '--folder', 'cli']);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain('the folder "cli" is reserved');
    const dm = await h.run(['group', 'add', '-100401', '--folder', 'dm-77']);
    expect(dm.code).not.toBe(0);
    expect(dm.stderr).toContain('reserved');
    const { groups } = await h.json<{ groups: unknown[] }>(['group', 'list']);
    expect(groups).toEqual([]);
  });

  it('hands an old folder to a new chat only with --reuse-folder', async () => {
    expect((await h.run(['group', 'add', '-100500', '--folder', 'team'])).code).toBe(0);
    await newSession(h, ['--group', 'team']); // the old chat's session and workspace
    expect(existsSync(join(h.home, 'groups', 'team', 'AGENTS.md'))).toBe(true);
    expect((await h.run(['group', 'rm', 'team'])).code).toBe(0);

    const refused = await h.run(['group', 'add', '-100501', '--folder', 'team']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('--reuse-folder');
    expect((await h.json<{ groups: unknown[] }>(['group', 'list'])).groups).toEqual([]);

    const reused = await h.json<{ folder: string; chat_id: string; session_id: string | null }>([
      'group',
      'add',
      '-100501',
      '--folder',
      'team',
      '--reuse-folder',
    ]);
    // The workspace is handed over; the old chat's conversation is not.
    expect(reused).toMatchObject({ folder: 'team', chat_id: '-100501', session_id: null });
  });
});
