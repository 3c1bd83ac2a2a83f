import { readdirSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHome, startDaemon, testConfig, waitFor, type TestHome } from '../helpers/harness.js';
import { apiEvents, apiReply, newSession } from '../helpers/sessions.js';

/** Files the process holds open whose path contains `needle`. */
function openFiles(pid: number, needle: string): string[] {
  const out: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (target.includes(needle)) out.push(target);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

let h: TestHome;
let pid: number;
beforeAll(async () => {
  h = makeHome();
  await h.run(['init']);
  h.writeConfig(testConfig(0, '\n[limits]\nidle_timeout = "1s"\n'));
  pid = await startDaemon(h);
});
afterAll(async () => {
  await h.run(['daemon', 'stop']);
  await h.cleanup();
});

describe('a cold session leaves memory', () => {
  it('closes its events.db once the agent is released, and reopens it on the next prompt', async () => {
    const id = await newSession(h);
    expect(await apiReply(h, id, 'echo one')).toBe('one');
    expect(openFiles(pid, `${id}/events.db`).length).toBeGreaterThan(0);
    // idle_timeout releases the agent; with nothing queued or watching, the session is evicted.
    await waitFor(() => openFiles(pid, `${id}/events.db`).length === 0, 10_000, 'events.db to be closed');
    expect(await apiReply(h, id, 'echo two')).toBe('two');
    const seqs = (await apiEvents(h, id)).map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1)); // one log, no gap, no restart of the numbering
  });
});
