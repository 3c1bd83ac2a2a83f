import { it } from 'vitest';
import { readFileSync } from 'node:fs';
import { makeHome, startDaemon, testConfig } from '../helpers/harness.js';
import { apiReply, newSession } from '../helpers/sessions.js';
it('repro', async () => {
  const h = makeHome();
  await h.run(['init']);
  h.writeConfig(testConfig(0, '[log]\nlevel = "debug"\n'));
  await startDaemon(h);
  const s = await newSession(h);
  const out: string[] = [];
  for (let i = 0; i < 40; i++) {
    const r = await apiReply(h, s, `tool pause_task {"task_id":"x${i}"}`);
    if (!r.includes('no task')) out.push(`${i}: ${r}`);
  }
  console.log('BAD:\n' + out.join('\n'));
  const log = readFileSync(h.home + '/logs/agentforge.log', 'utf8').split('\n').filter((l) => /stderr|bridge|tool request|error/i.test(l));
  console.log(log.slice(0, 30).join('\n'));
  await h.run(['daemon', 'stop']);
  await h.cleanup();
}, 120000);
