/**
 * SPEC §6/§11: an agent child gets an environment allowlist plus exactly its own resolved
 * credentials; nothing else of the daemon's environment leaks into it, and no secret value ends
 * up in the log, the event log or any other file in the home.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV_ALLOWLIST } from '../../src/sessions/acp/env.js';
import { isAlive, makeHome, startDaemon, testConfig, waitFor, type TestHome } from '../helpers/harness.js';
import {
  apiShow,
  filesUnder,
  newSession,
  procEnviron,
  prompt,
  reply,
  show,
  waitForEvent,
} from '../helpers/sessions.js';

const CANARY = `canary-${randomBytes(12).toString('hex')}`;
const TOKEN = `tok-${randomBytes(12).toString('hex')}`;

const AGENTS = `
[limits]
turn_timeout = "10s"
agent_memory_mb = 200

[agents.demo2]
preset = "demo"
credentials = { DEMO_TOKEN = "env:AF_DEMO_TOKEN" }
default = true
`;

describe('secrets and the agent environment', () => {
  let h: TestHome;
  let daemonPid: number;
  let id: string;
  beforeAll(async () => {
    h = makeHome({ env: { AF_CANARY_SECRET: CANARY, AF_DEMO_TOKEN: TOKEN } });
    h.writeConfig(testConfig(0, AGENTS));
    daemonPid = await startDaemon(h);
    id = await newSession(h);
  });
  afterAll(() => h.cleanup());

  it('gives the agent its credential and none of the daemon environment beyond the allowlist', async () => {
    // The daemon really holds both values: the test below is not vacuous.
    const daemonEnv = procEnviron(daemonPid);
    expect(daemonEnv.get('AF_CANARY_SECRET')).toBe(CANARY);
    expect(daemonEnv.get('AF_DEMO_TOKEN')).toBe(TOKEN);
    expect(daemonEnv.has('AGENTFORGE_HOME')).toBe(true);

    expect((await show(h, id)).agent).toBe('demo2');
    const queued = await prompt(h, id, 'sleep 3000', ['--no-wait']);
    expect(queued.code, queued.stderr).toBe(0);
    const agentPid = await waitFor(async () => (await apiShow(h, id)).pid ?? undefined, 10_000, 'agent pid');
    h.track(agentPid);
    expect(isAlive(agentPid)).toBe(true);

    const env = procEnviron(agentPid);
    expect(env.get('DEMO_TOKEN')).toBe(TOKEN);
    expect([...env.values()].filter((v) => v.includes(CANARY))).toEqual([]);
    expect(env.has('AF_CANARY_SECRET')).toBe(false);
    expect(env.has('AF_DEMO_TOKEN')).toBe(false); // the reference's source is not passed on
    expect(env.has('AGENTFORGE_HOME')).toBe(false);
    const allowed = new Set<string>([...ENV_ALLOWLIST, 'DEMO_TOKEN']);
    expect([...env.keys()].filter((k) => !allowed.has(k))).toEqual([]);
    expect(env.get('PATH')).toBe(daemonEnv.get('PATH'));

    await waitForEvent(h, id, (e) => e.kind === 'turn_end', 10_000, 'the sleep turn to end');
  });

  it('the agent itself sees its credential and not the canary', async () => {
    expect(await reply(h, id, 'env DEMO_TOKEN')).toBe('DEMO_TOKEN is set');
    expect(await reply(h, id, 'env AF_CANARY_SECRET')).toBe('AF_CANARY_SECRET is unset');
    expect(await reply(h, id, 'env AF_DEMO_TOKEN')).toBe('AF_DEMO_TOKEN is unset');
  });

  it('writes neither value into the log, the event log or any other file in the home', async () => {
    const stop = await h.run(['daemon', 'stop']);
    expect(stop.code, stop.stderr).toBe(0);
    await waitFor(() => !isAlive(daemonPid), 10_000, 'the daemon to stop');

    const files = filesUnder(h.home);
    const log = join(h.home, 'logs', 'agentforge.log');
    const eventsDb = join(h.home, 'sessions', id, 'events.db');
    expect(files).toContain(log);
    expect(files).toContain(eventsDb);
    // The log and the event log did record the agent's run: the search below looks at real content.
    expect(readFileSync(log, 'utf8')).toContain('agent started');
    expect(readFileSync(eventsDb).includes('DEMO_TOKEN is set')).toBe(true);

    const leaks = files.filter((f) => {
      const bytes = readFileSync(f);
      return bytes.includes(CANARY) || bytes.includes(TOKEN);
    });
    expect(leaks).toEqual([]);
  });
});
