/**
 * Agent fault matrix (SPEC §6 supervision): crash, hang (turn_timeout), garbage on stdout, memory
 * blow-up (agent_memory_mb), an output flood (max_output_bytes) and a slow reader (an agent that
 * stops reading its stdin while the daemon writes a large prompt to it). While each fault is in
 * effect the daemon's /healthz and status answer within 1 s; afterwards the failure kind is
 * recorded as expected, the daemon is healthy and the next prompt in the same session is answered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, makeHome, startDaemon, testConfig, type TestHome } from '../helpers/harness.js';
import { probe, probeWhile } from '../helpers/chaos.js';
import { api, apiEvents, apiReply, apiShow } from '../helpers/sessions.js';

const TURN_TIMEOUT_MS = 3_000;
const CONFIG = testConfig(
  0,
  `
[limits]
turn_timeout = "3s"
agent_memory_mb = 150
max_output_bytes = 1048576

[agents.demo]
preset = "demo"
default = true

# The slow reader gets room: a long turn and a large prompt echoed back.
[agents.slow]
preset = "demo"
limits = { turn_timeout = "30s", agent_memory_mb = 1024, max_output_bytes = 8388608 }
`,
);

type Row = {
  readonly name: string;
  readonly prompt: string;
  readonly kind: string;
  readonly message: RegExp;
};

const MATRIX: readonly Row[] = [
  { name: 'crash', prompt: 'crash', kind: 'exited', message: /exited mid-turn|agent exited/ },
  { name: 'hang', prompt: 'hang', kind: 'timeout', message: /turn_timeout/ },
  { name: 'garbage', prompt: 'garbage', kind: 'protocol', message: /non-JSON/ },
  { name: 'memory blow-up', prompt: 'memory 400', kind: 'memory', message: /over its 150 MB cap/ },
  { name: 'output flood', prompt: 'flood 3000000', kind: 'protocol', message: /max_output_bytes/ },
];

let h: TestHome;
let daemonPid: number;

beforeAll(async () => {
  h = makeHome();
  expect((await h.run(['init'])).code).toBe(0);
  h.writeConfig(CONFIG);
  daemonPid = await startDaemon(h);
});
afterAll(async () => {
  await h?.run(['daemon', 'stop']);
  await h?.cleanup();
});

async function newSession(agent?: string): Promise<string> {
  const r = await api(h, 'POST', '/api/sessions', agent === undefined ? {} : { agent });
  expect(r.status, r.body).toBe(201);
  return (r.json() as { id: string }).id;
}

describe('agent fault matrix', () => {
  it.each(MATRIX)(
    '$name: fails as `$kind`, the daemon stays responsive, the session recovers',
    async (row) => {
      const id = await newSession();
      expect(await apiReply(h, id, 'echo warm')).toBe('warm');
      const t0 = Date.now();
      const turn = api(h, 'POST', `/api/sessions/${id}/prompt`, { text: row.prompt });
      const during = await probeWhile(h, turn);
      const res = await turn;
      const took = Date.now() - t0;

      expect(res.status, res.body).toBe(502);
      const error = (res.json() as { error: { code: string; kind: string; message: string } }).error;
      expect(error).toMatchObject({ code: 'turn_failed', kind: row.kind });
      expect(error.message).toMatch(row.message);
      if (row.kind === 'timeout') expect(took).toBeGreaterThanOrEqual(TURN_TIMEOUT_MS);
      else expect(took).toBeLessThan(TURN_TIMEOUT_MS + 2_000); // classified when it happens, not at the timeout

      expect(during.failures).toEqual([]);
      expect(during.samples).toBeGreaterThan(0);
      expect(during.healthz).toBeLessThan(1_000);
      expect(during.status).toBeLessThan(1_000);

      expect(await apiShow(h, id)).toMatchObject({ last_error_kind: row.kind, pid: null });
      const failures = (await apiEvents(h, id)).filter((e) => e.kind === 'failure');
      expect(failures.map((e) => e.data['kind'])).toEqual([row.kind]);
      expect((await probe(h, '/healthz')).status).toBe(200);
      // The next prompt in the same session: a fresh agent, answered.
      expect(await apiReply(h, id, `echo after ${row.name}`)).toBe(`after ${row.name}`);
      expect(isAlive(daemonPid)).toBe(true);
    },
  );

  it('slow reader: a 900 KB prompt waits for the agent to read again; the daemon stays responsive', async () => {
    const PAUSE_MS = 4_000;
    const id = await newSession('slow');
    expect(await apiReply(h, id, 'echo warm')).toBe('warm');
    expect(await apiReply(h, id, `slowread ${PAUSE_MS}`)).toBe(`not reading stdin for ${PAUSE_MS} ms`);
    const pausedAt = Date.now();

    // Far more than a pipe buffer (64 KB): the daemon's write to the agent's stdin blocks.
    const big = Array.from(
      { length: 9_000 },
      (_, i) => `line-${String(i).padStart(5, '0')} ${'x'.repeat(88)}`,
    ).join(' ');
    expect(big.length).toBeGreaterThan(899_000);
    const turn = api(h, 'POST', `/api/sessions/${id}/prompt`, { text: `echo ${big}` });
    const during = await probeWhile(h, turn);
    const cli = await h.run(['status', '-o', 'json']);
    const res = await turn;
    const answeredAt = Date.now();

    expect(res.status, res.body.slice(0, 300)).toBe(200);
    expect((res.json() as { reply: string }).reply).toBe(big);
    // It could not have been answered before the agent read again.
    expect(answeredAt - pausedAt).toBeGreaterThanOrEqual(PAUSE_MS - 100);
    expect(during.failures).toEqual([]);
    expect(during.samples).toBeGreaterThanOrEqual(5);
    expect(during.healthz).toBeLessThan(1_000);
    expect(during.status).toBeLessThan(1_000);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ running: true, pid: daemonPid });

    expect(await apiReply(h, id, 'echo after slow reader')).toBe('after slow reader');
    expect(await apiShow(h, id)).toMatchObject({ last_error_kind: null, live: 'idle' });
  });

  it('the daemon is healthy after the whole matrix', async () => {
    expect(isAlive(daemonPid)).toBe(true);
    expect((await probe(h, '/healthz')).status).toBe(200);
    expect((await probe(h, '/readyz')).status).toBe(200);
    const st = await h.json<{ running: boolean; sessions: { active: number } }>(['status']);
    expect(st).toMatchObject({ running: true, sessions: { active: 0 } });
  });
});
