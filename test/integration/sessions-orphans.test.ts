/**
 * SPEC §5 recovery: agent process groups a killed daemon left behind are found at the next boot
 * (by the recorded pgid + start time) and killed. Two shapes of orphan:
 *  - the agent leader itself still runs (an agent that ignores stdin EOF; here: a stopped one);
 *  - the leader exited when its stdin closed, but what it spawned (the `hang` grandchild, think
 *    of a tool's shell) still runs in its process group.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAlive, makeHome, startDaemon, testConfig, waitFor, type TestHome } from '../helpers/harness.js';
import { chunkText, newSession, procStat, prompt, reply, show, waitForEvent } from '../helpers/sessions.js';

// Unsandboxed: these orphans exist only without bubblewrap, whose --die-with-parent ends a
// sandboxed agent's whole tree with the daemon (test/integration/sandbox.test.ts proves that).
const CONFIG = testConfig(
  0,
  '\n[limits]\nturn_timeout = "60s"\nagent_memory_mb = 200\n\n[agents.demo]\npreset = "demo"\nsandbox = "none"\n',
);

describe('orphaned agents after a daemon crash', () => {
  let h: TestHome;
  beforeEach(() => {
    h = makeHome();
    h.writeConfig(CONFIG);
  });
  afterEach(() => h.cleanup());

  /** Starts the daemon and a hanging turn; returns the daemon, agent and grandchild pids. */
  async function hangingAgent(): Promise<{ daemon: number; id: string; agent: number; grandchild: number }> {
    const daemon = await startDaemon(h);
    const id = await newSession(h);
    const queued = await prompt(h, id, 'hang', ['--no-wait']);
    expect(queued.code, queued.stderr).toBe(0);
    const hanging = await waitForEvent(h, id, (e) => chunkText(e)?.startsWith('hanging') === true);
    const grandchild = Number(/grandchild pid (\d+)/.exec(chunkText(hanging)!)?.[1]);
    const s = await show(h, id);
    const agent = s.pid!;
    h.track(agent);
    h.track(grandchild);
    expect(s.pgid).toBe(agent); // the agent leads its own process group…
    expect(procStat(grandchild)?.pgid).toBe(agent); // …and its children are in it
    expect(isAlive(agent) && isAlive(grandchild)).toBe(true);
    return { daemon, id, agent, grandchild };
  }

  async function killDaemon(pid: number): Promise<void> {
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isAlive(pid), 5_000, 'the daemon to die');
  }

  const log = (): string => readFileSync(join(h.home, 'logs', 'agentforge.log'), 'utf8');

  it('kills a still-running agent group at the next start', async () => {
    const { daemon, id, agent, grandchild } = await hangingAgent();
    // Stopped, the agent cannot react to its stdin closing: it outlives the daemon as it is.
    process.kill(agent, 'SIGSTOP');
    await killDaemon(daemon);
    await sleep(300);
    expect({ agent: isAlive(agent), grandchild: isAlive(grandchild) }).toEqual({
      agent: true,
      grandchild: true,
    });
    expect(log()).not.toContain('killed orphaned agent');

    await startDaemon(h);
    await waitFor(() => !isAlive(agent) && !isAlive(grandchild), 5_000, 'the orphaned group to be killed');
    // pino writes asynchronously: wait for the line rather than read the file once.
    await waitFor(() => log().includes('killed orphaned agent'), 5_000, 'the orphan log line');

    // The session is usable again, in a new process that resumes the ACP session.
    expect((await show(h, id)).pid).toBe(null);
    expect(await reply(h, id, 'echo back')).toBe('back');
  });

  it('kills what the agent spawned when the agent itself already exited', async () => {
    const { daemon, agent, grandchild } = await hangingAgent();
    await killDaemon(daemon);
    // The grandchild lives on in the agent's process group, whatever the agent does on EOF.
    await sleep(500);
    expect(isAlive(grandchild)).toBe(true);
    expect(procStat(grandchild)?.pgid).toBe(agent);

    await startDaemon(h);
    await waitFor(() => !isAlive(agent) && !isAlive(grandchild), 5_000, 'the orphaned group to be killed');
    // pino writes asynchronously: wait for the line rather than read the file once.
    await waitFor(() => log().includes('killed orphaned agent'), 5_000, 'the orphan log line');
  });
});
