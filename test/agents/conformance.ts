/**
 * The conformance cases every real adapter must pass under the daemon (issue: real agents). One
 * daemon per adapter; the model is the fake model API, scripted through the prompt. Real
 * processes throughout: the daemon, the adapter and whatever it spawns.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scriptPrompt, type Step } from '../fakes/model-api/script.js';
import { waitFor } from '../helpers/harness.js';
import {
  api,
  apiEvents,
  apiShow,
  newSession,
  waitForEvent,
  type SessionEventRow,
} from '../helpers/sessions.js';
import { fixture, OUR_TOOL, startAgentsHome, type Adapter, type AgentsHome, type Policy } from './harness.js';

type PromptResult = { status: number; reply?: string; stop_reason?: string; error?: { kind?: string } };

export function conformance(a: Adapter): void {
  let s: AgentsHome;
  const sessions = new Map<string, string>();
  const session = async (agent: string): Promise<string> => {
    const id = sessions.get(agent) ?? (await newSession(s.h, ['--agent', agent]));
    sessions.set(agent, id);
    return id;
  };
  const run = async (id: string, steps: readonly Step[]): Promise<PromptResult> => {
    const res = await api(s.h, 'POST', `/api/sessions/${id}/prompt`, { text: scriptPrompt(steps) });
    return { status: res.status, ...(res.json() as Omit<PromptResult, 'status'>) };
  };
  const permissions = (evs: readonly SessionEventRow[], from: number) =>
    evs.filter((e) => e.kind === 'permission' && e.seq > from).map((e) => e.data);
  const lastSeq = async (id: string): Promise<number> => (await apiEvents(s.h, id)).at(-1)?.seq ?? 0;
  const ourToolRan = async (id: string, from: number): Promise<boolean> =>
    (await apiEvents(s.h, id)).some(
      (e) =>
        e.seq > from && e.kind === 'tool_result' && e.data['name'] === 'list_groups' && e.data['ok'] === true,
    );

  beforeAll(async () => {
    s = await startAgentsHome(a);
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
  });

  it('agent test: handshake, the modes offered and the mode the policy uses', async () => {
    for (const policy of ['deny-all', 'approve-all'] as const) {
      const r = await s.h.json<{ ok: boolean; modes: string[]; mode: string | null; version: string }>([
        'agent',
        'test',
        s.agent(policy),
      ]);
      expect(r, JSON.stringify(r)).toMatchObject({ ok: true, mode: a.modes[policy] });
      expect(r.version).toMatch(new RegExp(`^${a.package}@\\d`));
      expect(r.modes).toContain(a.modes[policy]);
    }
  });

  it('doctor exits 0 on this healthy home, as root too, naming the adapter and its version', async () => {
    const r = await s.h.run(['doctor', '-o', 'json']);
    const report = JSON.parse(r.stdout) as {
      findings: Array<{ id: string; severity: string; message: string }>;
    };
    const bad = report.findings.filter((f) => f.severity !== 'ok' && f.severity !== 'info');
    expect(bad, JSON.stringify(bad)).toEqual([]);
    expect(r.code).toBe(0);
    const agents = report.findings.find((f) => f.id === 'agents.resolvable');
    expect(agents?.message).toContain(`${a.package}@`);
  });

  it('prompt → reply, in the mode the policy needs', async () => {
    const id = await session(s.agent('deny-all'));
    const r = await run(id, [{ text: ['Hello from the fake model.'] }]);
    expect(r, JSON.stringify(r)).toMatchObject({ status: 200, reply: 'Hello from the fake model.' });
    const started = (await apiEvents(s.h, id)).find(
      (e) => e.kind === 'process' && e.data['event'] === 'started',
    );
    expect(started?.data['mode']).toBe(a.modes['deny-all']);
  });

  describe('the policy matrix', () => {
    const file = (policy: Policy, what: string): string =>
      join(s.workspace(), `${a.name}-${policy}-${what}.txt`);

    it.each(['deny-all', 'approve-reads'] as const)(
      '%s: a shell write and a file edit leave no file, and the refusal is in the event log',
      async (policy) => {
        const id = await session(s.agent(policy));
        for (const [what, step] of [
          ['shell', a.shellWrite(file(policy, 'shell'))],
          ['edit', a.fileEdit(file(policy, 'edit'))],
        ] as const) {
          const from = await lastSeq(id);
          const r = await run(id, [{ text: [`Doing ${what}.`], tool: step }, { text: ['Done.'] }]);
          expect(r.status, JSON.stringify(r)).toBe(200);
          expect(existsSync(file(policy, what)), `${what} file`).toBe(false);
          const refused = permissions(await apiEvents(s.h, id), from);
          expect(refused, JSON.stringify(refused)).toContainEqual(
            expect.objectContaining({ allow: false, by: 'policy' }),
          );
        }
      },
    );

    it.each(['deny-all', 'approve-reads', 'approve-all'] as const)(
      "%s: a read and the daemon's list_groups work",
      async (policy) => {
        const id = await session(s.agent(policy));
        const readme = fixture(s.workspace(), `${a.name}-${policy}-readme.txt`, 'readme contents\n');
        const from = await lastSeq(id);
        const r = await run(id, [
          { text: ['Reading.'], tool: a.read(readme) },
          { text: ['Listing groups.'], tool: OUR_TOOL },
          { text: ['Both done.'] },
        ]);
        expect(r, JSON.stringify(r)).toMatchObject({ status: 200 });
        expect(r.reply).toContain('Both done.');
        expect(await ourToolRan(id, from)).toBe(true);
        expect(permissions(await apiEvents(s.h, id), from)).not.toContainEqual(
          expect.objectContaining({ allow: false }),
        );
      },
    );

    it('approve-all: the shell write and the file edit both happen', async () => {
      const id = await session(s.agent('approve-all'));
      const r = await run(id, [
        { text: ['Writing.'], tool: a.shellWrite(file('approve-all', 'shell')) },
        { text: ['Editing.'], tool: a.fileEdit(file('approve-all', 'edit')) },
        { text: ['Written and edited.'] },
      ]);
      expect(r, JSON.stringify(r)).toMatchObject({ status: 200 });
      expect(existsSync(file('approve-all', 'shell'))).toBe(true);
      expect(existsSync(file('approve-all', 'edit'))).toBe(true);
    });

    it('ask: the shell write waits for `session approve`, then happens', async () => {
      const id = await session(s.agent('ask'));
      const pending = run(id, [
        { text: ['Asking.'], tool: a.shellWrite(file('ask', 'shell')) },
        { text: ['Approved.'] },
      ]);
      const asked = await waitFor(
        async () => (await apiShow(s.h, id)).pending_permissions[0],
        60_000,
        'a pending permission request',
      );
      expect(existsSync(file('ask', 'shell'))).toBe(false);
      const approve = await s.h.run(['session', 'approve', id, asked.id]);
      expect(approve.code, approve.stderr).toBe(0);
      expect(await pending).toMatchObject({ status: 200 });
      expect(existsSync(file('ask', 'shell'))).toBe(true);
    });
  });

  it('cancel mid-turn ends the turn promptly; the session answers the next prompt', async () => {
    const id = await session(s.agent('approve-all'));
    const before = s.fake.requests.length;
    const pending = run(id, [{ text: ['never'], delayMs: 120_000 }]);
    await waitFor(
      () => s.fake.requests.slice(before).some((r) => JSON.stringify(r.body).includes('never')),
      30_000,
      'the model request',
    );
    const cancelled = await s.h.run(['session', 'cancel', id]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    const r = await pending;
    expect(r.stop_reason ?? r.error?.kind, JSON.stringify(r)).toBe('cancelled');
    expect(await run(id, [{ text: ['after cancel'] }])).toMatchObject({ reply: 'after cancel' });
  });

  it('turn_timeout kills a stuck turn; the next prompt starts the agent again', async () => {
    const id = await newSession(s.h, ['--agent', s.agent('limits')]);
    const r = await run(id, [{ text: ['stuck'], delayMs: 120_000 }]);
    expect(r.error?.kind, JSON.stringify(r)).toBe('timeout');
    expect(await run(id, [{ text: ['alive again'] }])).toMatchObject({ reply: 'alive again' });
  });

  it('idle release, then a prompt respawns the agent and resumes the ACP session', async () => {
    const id = await newSession(s.h, ['--agent', s.agent('limits')]);
    expect(await run(id, [{ text: ['first'] }])).toMatchObject({ reply: 'first' });
    await waitForEvent(
      s.h,
      id,
      (e) => e.kind === 'process' && e.data['event'] === 'exited',
      30_000,
      'idle release',
    );
    expect(await run(id, [{ text: ['second'] }])).toMatchObject({ reply: 'second' });
    const starts = (await apiEvents(s.h, id)).filter(
      (e) => e.kind === 'process' && e.data['event'] === 'started',
    );
    expect(starts).toHaveLength(2);
    expect(
      starts[1]!.data['resumed'] === true ||
        (await apiEvents(s.h, id)).some((e) => e.kind === 'resume_failed'),
    ).toBe(true);
  });

  it('stop → resume; and when the adapter lost the session, a fresh one with resume_failed', async () => {
    const id = await newSession(s.h, ['--agent', s.agent('approve-all')]);
    expect(await run(id, [{ text: ['before stop'] }])).toMatchObject({ reply: 'before stop' });
    expect((await s.h.run(['session', 'stop', id])).code).toBe(0);
    expect(await run(id, [{ text: ['after stop'] }])).toMatchObject({ reply: 'after stop' });
    const resumedOk = (await apiEvents(s.h, id)).filter(
      (e) => e.kind === 'process' && e.data['event'] === 'started' && e.data['resumed'] === true,
    );
    if (a.loadWorks) expect(resumedOk).toHaveLength(1);

    expect((await s.h.run(['session', 'stop', id])).code).toBe(0);
    const failedBefore = (await apiEvents(s.h, id)).filter((e) => e.kind === 'resume_failed').length;
    rmSync(s.setup.sessionsDir(s.h.home, s.agent('approve-all')), { recursive: true, force: true }); // the adapter forgets every session
    expect(await run(id, [{ text: ['after loss'] }])).toMatchObject({ reply: 'after loss' });
    const failed = (await apiEvents(s.h, id)).filter((e) => e.kind === 'resume_failed').slice(failedBefore);
    expect(failed, 'resume_failed events').toHaveLength(1);
    expect(String(failed[0]!.data['message']).length).toBeGreaterThan(0);
  });
}
