/**
 * SPEC §6: session/request_permission is answered by the agent's permission_mode (`ask` waits for
 * `agentforge session approve`), and fs/read_text_file / fs/write_text_file are served only inside
 * the group workspace: `..`, absolute paths elsewhere and symlinks out are refused.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHome, startDaemon, testConfig, waitFor, type TestHome } from '../helpers/harness.js';
import {
  apiEvents,
  apiReply,
  apiShow,
  newSession,
  prompt,
  reply,
  show,
  turnReply,
  waitForEvent,
} from '../helpers/sessions.js';

const AGENTS = `
[limits]
turn_timeout = "10s"
agent_memory_mb = 200

[agents.plain]
preset = "demo"
default = true

[agents.asker]
preset = "demo"
permission_mode = "ask"
`;

describe('permissions and the workspace', () => {
  let h: TestHome;
  beforeAll(async () => {
    h = makeHome();
    h.writeConfig(testConfig(0, AGENTS));
    await startDaemon(h);
  });
  afterAll(() => h.cleanup());

  it('approve-reads (the default mode) allows reads and rejects edits', async () => {
    const id = await newSession(h);
    expect((await show(h, id)).agent).toBe('plain');
    expect(await reply(h, id, 'ask read x')).toBe('permission: allow');
    expect(await reply(h, id, 'ask edit x')).toBe('permission: reject');
    expect(await reply(h, id, 'ask execute rm -rf')).toBe('permission: reject');
    const decisions = (await apiEvents(h, id)).filter((e) => e.kind === 'permission').map((e) => e.data);
    expect(decisions).toMatchObject([
      { kind: 'read', allow: true, by: 'policy', decided_by: null },
      { kind: 'edit', allow: false, by: 'policy' },
      { kind: 'execute', allow: false, by: 'policy' },
    ]);
  });

  /** Prompts with --no-wait and waits until the daemon holds the permission request. */
  async function pendingRequest(
    id: string,
    text: string,
  ): Promise<{ id: string; title: string; kind: string }> {
    const queued = await prompt(h, id, text, ['--no-wait']);
    expect(queued.code, queued.stderr).toBe(0);
    return waitFor(async () => (await apiShow(h, id)).pending_permissions[0], 10_000, 'a pending permission');
  }

  it('ask mode waits for `session approve` and the agent gets allow', async () => {
    const id = await newSession(h, ['--agent', 'asker']);
    const req = await pendingRequest(id, 'ask edit thing');
    expect(req).toMatchObject({ kind: 'edit', title: 'thing' });
    expect((await show(h, id)).live).toBe('busy'); // the turn waits for the operator

    const ok = await h.run(['session', 'approve', id]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`approved ${req.id}`);
    await waitForEvent(h, id, (e) => e.kind === 'turn_end' && e.turn === 1, 10_000, 'turn 1 to end');
    const evs = await apiEvents(h, id);
    expect(turnReply(evs, 1)).toBe('permission: allow');
    expect(evs.filter((e) => e.kind.startsWith('permission')).map((e) => [e.kind, e.data])).toMatchObject([
      ['permission_asked', { id: req.id, kind: 'edit', title: 'thing' }],
      ['permission', { id: req.id, allow: true, by: 'operator', decided_by: 'cli' }],
    ]);
    expect((await show(h, id)).pending_permissions).toEqual([]);

    // Nothing left to approve: a clear failure, not a silent success.
    const none = await h.run(['session', 'approve', id]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no pending permission');
  });

  it('ask mode with `session approve --deny` gives the agent reject', async () => {
    const id = await newSession(h, ['--agent', 'asker']);
    const req = await pendingRequest(id, 'ask edit other');
    const no = await h.run(['session', 'approve', id, req.id, '--deny']);
    expect(no.code, no.stderr).toBe(0);
    expect(no.stdout).toContain(`denied ${req.id}`);
    await waitForEvent(h, id, (e) => e.kind === 'turn_end' && e.turn === 1, 10_000, 'turn 1 to end');
    expect(turnReply(await apiEvents(h, id), 1)).toBe('permission: reject');
  });

  it('serves fs writes and reads inside the workspace', async () => {
    const id = await newSession(h);
    expect(await reply(h, id, 'write notes.txt hello')).toBe('wrote notes.txt');
    expect(readFileSync(join(h.home, 'groups', 'cli', 'notes.txt'), 'utf8')).toBe('hello');
    expect(await reply(h, id, 'read notes.txt')).toBe('hello');
    expect(await reply(h, id, 'write sub/dir/deep.txt nested')).toBe('wrote sub/dir/deep.txt');
    expect(await reply(h, id, `read ${join(h.home, 'groups', 'cli', 'sub', 'dir', 'deep.txt')}`)).toBe(
      'nested',
    );
    const writes = (await apiEvents(h, id)).filter((e) => e.kind === 'fs_write').map((e) => e.data);
    expect(writes).toMatchObject([{ path: 'notes.txt', bytes: 5 }, { path: 'sub/dir/deep.txt' }]);
  });

  it('refuses .., absolute paths elsewhere and symlinks out of the workspace', async () => {
    const id = await newSession(h);
    const workspace = join(h.home, 'groups', 'cli');
    const outside = join(h.home, 'outside');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'secret.txt'), 'outside-secret');
    symlinkSync('/etc', join(workspace, 'link'));
    symlinkSync(outside, join(workspace, 'out'));
    symlinkSync(join(outside, 'secret.txt'), join(workspace, 'secret-link.txt'));
    symlinkSync(join(outside, 'created-by-agent.txt'), join(workspace, 'dangling.txt'));

    for (const path of [
      '../../config.toml',
      '/etc/hostname',
      'link/hostname',
      'out/secret.txt',
      'secret-link.txt',
      'sub/../../../outside/secret.txt',
    ]) {
      const got = await apiReply(h, id, `read ${path}`);
      // The agent's invalid params (-32602), not our internal error (-32603).
      expect({ path, refused: got.startsWith('read refused (-32602)') }).toEqual({ path, refused: true });
      expect(got).not.toContain('outside-secret');
      expect(got).not.toContain('[http]');
    }

    for (const path of [
      '../escape.txt',
      'out/planted.txt',
      `${outside}/planted2.txt`,
      'secret-link.txt',
      'dangling.txt',
    ]) {
      const got = await apiReply(h, id, `write ${path} pwned`);
      expect({ path, refused: got.startsWith('write refused (-32602)') }).toEqual({ path, refused: true });
    }
    // A file that is not there is "resource not found" (-32002).
    expect(await apiReply(h, id, 'read no-such-file.txt')).toMatch(/^read refused \(-32002\)/);
    expect(existsSync(join(h.home, 'groups', 'escape.txt'))).toBe(false);
    expect(existsSync(join(outside, 'planted.txt'))).toBe(false);
    expect(existsSync(join(outside, 'planted2.txt'))).toBe(false);
    expect(existsSync(join(outside, 'created-by-agent.txt'))).toBe(false);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('outside-secret');

    // Refusals are answers to the agent, not failures of the turn or the session.
    expect(await show(h, id)).toMatchObject({ last_error_kind: null, live: 'idle' });
  });
});
