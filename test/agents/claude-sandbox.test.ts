/**
 * The real Claude adapter inside bubblewrap (sandbox = "bwrap"): it answers a prompt and calls
 * the daemon's list_groups over MCP from inside the sandbox against the fake model API; its Bash
 * tool, approved under approve-all, finds neither the daemon's api.token nor the operator's ~/.ssh
 * but writes into its own workspace; and its state directory (settings, transcripts) survives a
 * daemon restart, so the conversation resumes.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scriptPrompt, type Step } from '../fakes/model-api/script.js';
import { startFakeModelApi, type FakeModelApi } from '../fakes/model-api/server.js';
import { makeHome, startDaemon, testConfig, type TestHome } from '../helpers/harness.js';
import { api, apiEvents, cmdline, newSession } from '../helpers/sessions.js';
import { probeSandbox } from '../../src/sessions/sandbox-probe.js';
import { claude } from './adapters.js';
import { adapterInstalled, OUR_TOOL } from './harness.js';

const bwrap = probeSandbox();
if (!bwrap.ok) console.warn(`claude-sandbox skipped: ${bwrap.reason}`);

let fake: FakeModelApi;
let h: TestHome;
let userHome: string;

beforeAll(async () => {
  if (!bwrap.ok || !adapterInstalled()) return;
  fake = await startFakeModelApi();
  userHome = mkdtempSync(join(tmpdir(), 'af-user-'));
  mkdirSync(join(userHome, '.ssh'), { mode: 0o700 });
  writeFileSync(join(userHome, '.ssh', 'id_ed25519'), 'canary-ssh-key\n', { mode: 0o600 });
  const setup = claude.setup(fake.url, '');
  h = makeHome({ env: { HOME: userHome, ...setup.daemonEnv } });
  await h.run(['init']);
  h.writeConfig(
    testConfig(
      0,
      `
[limits]
turn_timeout = "90s"

[agents.claude]
preset = "claude"
command = ${JSON.stringify(process.execPath)}
args = ${JSON.stringify([claude.entry])}
permission_mode = "approve-all"
sandbox = "bwrap"
default = true
${setup.agentToml}
`,
    ),
  );
  await startDaemon(h);
}, 60_000);

afterAll(async () => {
  await h?.run(['daemon', 'stop']);
  await h?.cleanup();
  await fake?.close();
  if (userHome !== undefined) rmSync(userHome, { recursive: true, force: true });
});

async function run(id: string, steps: readonly Step[]): Promise<{ status: number; reply?: string }> {
  const res = await api(h, 'POST', `/api/sessions/${id}/prompt`, { text: scriptPrompt(steps) });
  return { status: res.status, ...(res.json() as { reply?: string }) };
}

describe.runIf(bwrap.ok && adapterInstalled())('claude-agent-acp in a bubblewrap sandbox', () => {
  let id: string;

  it('answers and calls our tool from inside the sandbox', async () => {
    id = await newSession(h);
    const r = await run(id, [{ text: ['Looking.'], tool: OUR_TOOL }, { text: ['FINAL after the tool.'] }]);
    expect(r, JSON.stringify(r)).toMatchObject({ status: 200, reply: expect.stringContaining('FINAL') });
    const evs = await apiEvents(h, id);
    const started = evs.find((e) => e.kind === 'process' && e.data['event'] === 'started')!;
    // The process the daemon runs is bwrap; the adapter is inside it.
    expect(cmdline(started.data['pid'] as number).split('\0')[0]).toBe(bwrap.ok ? bwrap.bwrap : '');
    expect(
      evs.some((e) => e.kind === 'tool_result' && e.data['name'] === 'list_groups' && e.data['ok'] === true),
    ).toBe(true);
  });

  it("its Bash tool finds neither api.token nor the operator's ~/.ssh, and writes its workspace", async () => {
    const token = readFileSync(join(h.home, 'api.token'), 'utf8').trim();
    const before = fake.requests.length;
    const command = `cat ${join(h.home, 'api.token')}; cat ${join(userHome, '.ssh', 'id_ed25519')}; echo inside > bash-wrote.txt`;
    const r = await run(id, [
      { text: ['Trying.'], tool: { name: 'Bash', input: { command, description: 'Read secrets' } } },
      { text: ['FINAL tried.'] },
    ]);
    expect(r, JSON.stringify(r)).toMatchObject({ status: 200 });
    const sent = JSON.stringify(fake.requests.slice(before).map((q) => q.body));
    expect(sent).toContain('No such file or directory');
    expect(sent).not.toContain(token);
    expect(sent).not.toContain('canary-ssh-key');
    expect(readFileSync(join(h.home, 'groups', 'cli', 'bash-wrote.txt'), 'utf8')).toBe('inside\n');
  });

  it('keeps its state directory across a daemon restart and resumes the conversation', async () => {
    const state = join(h.home, 'agents', 'claude');
    const files = readdirSync(state).sort();
    expect(files).toContain('settings.json');
    expect(existsSync(join(state, 'projects'))).toBe(true);
    expect((await h.run(['daemon', 'stop'])).code).toBe(0);
    await startDaemon(h);
    expect(readdirSync(state).sort()).toEqual(expect.arrayContaining(files));
    const r = await run(id, [{ text: ['FINAL after restart.'] }]);
    expect(r, JSON.stringify(r)).toMatchObject({ status: 200, reply: 'FINAL after restart.' });
    const starts = (await apiEvents(h, id)).filter(
      (e) => e.kind === 'process' && e.data['event'] === 'started',
    );
    expect(starts.at(-1)?.data['resumed']).toBe(true);
  });
});
