/**
 * Usage with the real Claude adapter: the fake model API reports tokens in its Anthropic answers,
 * Claude Code prices them and reports the session's cumulative cost over ACP (`usage_update`).
 * What the daemon records per turn equals what was reported; a resume (a new adapter process that
 * loads the session) and a daemon restart do not count the same cost twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageReport } from '../../src/contract.js';
import { scriptPrompt, type Usage } from '../fakes/model-api/script.js';
import { startDaemon } from '../helpers/harness.js';
import { api, apiEvents, newSession, type SessionEventRow } from '../helpers/sessions.js';
import { claude } from './adapters.js';
import { startAgentsHome, type AgentsHome } from './harness.js';

let s: AgentsHome;
beforeAll(async () => {
  s = await startAgentsHome(claude);
}, 90_000);
afterAll(async () => {
  await s?.stop();
});

/** The cumulative costs Claude reported in a session's usage_update events, in order. */
const reportedCosts = (evs: readonly SessionEventRow[]): number[] =>
  evs.flatMap((e) => {
    const cost = (e.data as { sessionUpdate?: string; cost?: { amount?: number } }).cost?.amount;
    return e.kind === 'update' && e.data['sessionUpdate'] === 'usage_update' && typeof cost === 'number'
      ? [cost]
      : [];
  });

/** The daemon's usage rows of the agent, summed. */
async function recorded(
  agent: string,
): Promise<{ cost: number; input: number; output: number; turns: number }> {
  const r = await s.h.json<UsageReport>(['usage', '--agent', agent]);
  return r.rows.reduce(
    (t, row) => ({
      cost: t.cost + row.cost,
      input: t.input + row.input_tokens,
      output: t.output + row.output_tokens,
      turns: t.turns + row.turns,
    }),
    { cost: 0, input: 0, output: 0, turns: 0 },
  );
}

describe('claude-agent-acp usage', () => {
  it('records the tokens the fake reported and the cost Claude priced them at, once across a resume and a restart', async () => {
    const agent = s.agent('approve-all');
    const id = await newSession(s.h, ['--agent', agent]);
    /** Runs one turn; returns the tokens the fake reported during it and the cost the daemon recorded for it. */
    const turn = async (
      text: string,
      usage: Usage,
    ): Promise<{ input: number; output: number; cost: number }> => {
      const from = s.fake.usage.length;
      const before = await recorded(agent);
      const res = await api(s.h, 'POST', `/api/sessions/${id}/prompt`, {
        text: scriptPrompt([{ text: [text], usage }]),
      });
      expect(res.status, res.body).toBe(200);
      const reported = s.fake.usage.slice(from);
      // The scripted answer's tokens are the turn's own (side requests are Claude Code's, priced too).
      expect(reported.filter((u) => !u.side).map((u) => [u.input_tokens, u.output_tokens])).toEqual([
        [usage.input_tokens, usage.output_tokens],
      ]);
      const after = await recorded(agent);
      expect(after.input - before.input).toBe(usage.input_tokens);
      expect(after.output - before.output).toBe(usage.output_tokens);
      expect(after.turns - before.turns).toBe(1);
      return {
        input: reported.reduce((n, u) => n + u.input_tokens, 0),
        output: reported.reduce((n, u) => n + u.output_tokens, 0),
        cost: after.cost - before.cost,
      };
    };

    const t1 = await turn('first', { input_tokens: 12_000, output_tokens: 3_000 });
    // A resume: the adapter process is stopped, the next prompt starts a new one with session/load.
    expect((await s.h.run(['session', 'stop', id])).code).toBe(0);
    const t2 = await turn('second', { input_tokens: 2_000, output_tokens: 1_000 });
    const evs = await apiEvents(s.h, id);
    expect(
      evs.some((e) => e.kind === 'process' && e.data['event'] === 'started' && e.data['resumed'] === true),
    ).toBe(true);
    // A daemon restart, then a third turn.
    expect((await s.h.run(['daemon', 'stop'])).code).toBe(0);
    await startDaemon(s.h);
    // Cheaper than turn 2 and than turn 1 (and priced in another mix): whichever earlier total
    // Claude restores (the newest, an older one, or none: it varies from run to run), the daemon
    // can tell (src/usage/recorder.ts).
    const t3 = await turn('third', { input_tokens: 2_000, output_tokens: 400 });

    // Claude Code prices tokens linearly (one model here): the price per input and output token
    // follows from turns 2 and 3, and turn 1 must cost exactly that. A cost counted twice (the
    // restored total of an earlier process taken as new spend) would break it.
    const det = t2.input * t3.output - t3.input * t2.output;
    const perIn = (t2.cost * t3.output - t3.cost * t2.output) / det;
    const perOut = (t2.input * t3.cost - t3.input * t2.cost) / det;
    expect(perIn).toBeGreaterThan(0);
    expect(perOut).toBeGreaterThan(0);
    expect(t1.cost).toBeCloseTo(t1.input * perIn + t1.output * perOut, 9);
    // The total equals Claude's own figure for everything it priced: its last reported total
    // after the restart is a restored one, so the sum is checked turn by turn above instead.
    expect(reportedCosts(evs).length).toBeGreaterThan(0);
    // The per-turn figures are in the session's event log too.
    const usageEvents = (await apiEvents(s.h, id)).filter((e) => e.kind === 'usage');
    expect(usageEvents.map((e) => [e.turn, e.data['inputTokens'], e.data['outputTokens']])).toEqual([
      [1, 12_000, 3_000],
      [2, 2_000, 1_000],
      [3, 2_000, 400],
    ]);
  });
});
