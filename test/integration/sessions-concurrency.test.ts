/**
 * SPEC §6 concurrency: at most max_concurrent_agents live agent processes; further work waits in a
 * fair queue and still gets done. Counted from /proc, not from what the daemon says about itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHome, startDaemon, testConfig, type TestHome } from '../helpers/harness.js';
import { api, childrenMatching, DEMO_AGENT_MAIN } from '../helpers/sessions.js';

const MAX = 2;
const SESSIONS = 5;
const SLEEP_MS = 800;

describe('max_concurrent_agents', () => {
  let h: TestHome;
  let daemonPid: number;
  beforeAll(async () => {
    h = makeHome();
    h.writeConfig(
      testConfig(
        0,
        `\n[limits]\nmax_concurrent_agents = ${MAX}\nturn_timeout = "20s"\nagent_memory_mb = 200\n`,
      ),
    );
    daemonPid = await startDaemon(h);
  });
  afterAll(() => h.cleanup());

  it(`runs ${SESSIONS} sessions prompted at once with never more than ${MAX} agents alive`, async () => {
    const ids: string[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      const res = await api(h, 'POST', '/api/sessions', {});
      expect(res.status).toBe(201);
      ids.push((res.json() as { id: string }).id);
    }
    expect(childrenMatching(daemonPid, DEMO_AGENT_MAIN)).toEqual([]);

    const samples: number[] = [];
    const sampler = setInterval(() => {
      samples.push(childrenMatching(daemonPid, DEMO_AGENT_MAIN).length);
    }, 50);
    const t0 = Date.now();
    let results;
    try {
      results = await Promise.all(
        ids.map((id) => api(h, 'POST', `/api/sessions/${id}/prompt`, { text: `sleep ${SLEEP_MS}` })),
      );
    } finally {
      clearInterval(sampler);
    }
    const took = Date.now() - t0;

    expect(results.map((r) => r.status)).toEqual(ids.map(() => 200));
    expect(results.map((r) => (r.json() as { reply: string }).reply)).toEqual(
      ids.map(() => `slept ${SLEEP_MS} ms`),
    );
    expect(samples.length).toBeGreaterThan(20);
    expect(Math.max(...samples)).toBe(MAX); // the limit was reached, and never exceeded
    // Five turns through two slots need at least three rounds.
    expect(took).toBeGreaterThanOrEqual(Math.ceil(SESSIONS / MAX) * SLEEP_MS);

    const status = await api(h, 'GET', '/api/status');
    expect(status.status).toBe(200);
    const sessions = (await api(h, 'GET', '/api/sessions')).json() as {
      sessions: Array<{ id: string; turns: number; last_error_kind: string | null }>;
    };
    for (const id of ids)
      expect(sessions.sessions.find((s) => s.id === id)).toMatchObject({ turns: 1, last_error_kind: null });
  });
});
