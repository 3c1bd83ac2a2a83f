/**
 * Audit finding 12: a credential the agent prints (to stderr, then fails the turn) must not reach
 * disk: not the per-turn log in groups/<folder>/logs/, not the daemon log's `agent stderr` debug
 * line, not quarantine, not the event log. And a secret pasted into `[agents.X] env` is a config
 * error (exit 6, file:line) instead of something `config show` prints.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, makeHome, startDaemon, testConfig, waitFor, type TestHome } from '../helpers/harness.js';
import { filesUnder, newSession, prompt, reply } from '../helpers/sessions.js';

const TOKEN = `tok-${randomBytes(12).toString('hex')}`;

const AGENTS = `
[log]
level = "debug"

[limits]
turn_timeout = "10s"

[agents.demo2]
preset = "demo"
credentials = { DEMO_TOKEN = "env:AF_DEMO_TOKEN" }
default = true
`;

describe('credential values are scrubbed from what the daemon writes', () => {
  let h: TestHome;
  let daemonPid: number;
  let id: string;
  beforeAll(async () => {
    h = makeHome({ env: { AF_DEMO_TOKEN: TOKEN } });
    h.writeConfig(testConfig(0, AGENTS));
    daemonPid = await startDaemon(h);
    id = await newSession(h);
  });
  afterAll(() => h.cleanup());

  it('an agent that prints its key to stderr and fails leaves only [redacted] on disk', async () => {
    expect(await reply(h, id, 'stderr auth failed with key=$DEMO_TOKEN (check it)')).toMatch(
      /^wrote \d+ bytes to stderr$/,
    );
    const crash = await prompt(h, id, 'crash');
    expect(crash.code).toBe(1);
    expect(crash.stderr + crash.stdout).not.toContain(TOKEN);

    const logsDir = join(h.home, 'groups', 'cli', 'logs');
    const turnLogs = await waitFor(
      () => {
        const names = readdirSync(logsDir).filter((n) => n.endsWith('.log'));
        return names.length > 0 ? names : undefined;
      },
      10_000,
      'a per-turn error log',
    );
    const turnLog = readFileSync(join(logsDir, turnLogs[0]!), 'utf8');
    // The log is there with the agent's stderr: the search for the key looks at real content.
    expect(turnLog).toContain('auth failed with key=[redacted] (check it)');

    const stop = await h.run(['daemon', 'stop']);
    expect(stop.code, stop.stderr).toBe(0);
    await waitFor(() => !isAlive(daemonPid), 10_000, 'the daemon to stop');
    const daemonLog = readFileSync(join(h.home, 'logs', 'agentforge.log'), 'utf8');
    expect(daemonLog).toMatch(/"msg":"agent stderr"/);
    expect(daemonLog).toContain('key=[redacted]');

    const leaks = filesUnder(h.home).filter((f) => readFileSync(f).includes(TOKEN));
    expect(leaks).toEqual([]);
  });
});

describe('a secret pasted into [agents.X] env', () => {
  let h: TestHome;
  beforeAll(() => {
    h = makeHome();
  });
  afterAll(() => h.cleanup());

  it('is a config error at its line that points to credentials and never echoes the value', async () => {
    const secret = `sk-${randomBytes(12).toString('hex')}`;
    h.writeConfig(
      `[http]\nport = 0\n\n[agents.helper]\npreset = "demo"\nenv = { MY_AGENT_LOG = "warn", API_KEY = "${secret}" }\n`,
    );
    for (const args of [
      ['config', 'validate'],
      ['config', 'show'],
      ['daemon', 'start'],
    ]) {
      const r = await h.run(args);
      expect({ args, code: r.code }).toEqual({ args, code: 6 });
      expect(r.stderr).toContain('config.toml:6: agents.helper.env.API_KEY: API_KEY names a secret');
      expect(r.stderr).toContain('credentials = { API_KEY = "env:NAME" }');
      expect(r.stdout + r.stderr).not.toContain(secret);
    }
    // A harmless name in env is still fine.
    h.writeConfig(`[http]\nport = 0\n\n[agents.helper]\npreset = "demo"\nenv = { MY_AGENT_LOG = "warn" }\n`);
    expect((await h.run(['config', 'validate'])).code).toBe(0);
  });
});
