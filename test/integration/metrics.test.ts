/**
 * SPEC §10 `GET /metrics`: Prometheus text from the real daemon, behind the API token, only when
 * `[metrics] enabled = true`. Counters move with real work (a prompt to the demo agent, a backup).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, httpGet, makeHome, startDaemon, testConfig, type TestHome } from '../helpers/harness.js';
import { newSession, reply } from '../helpers/sessions.js';

const token = (h: TestHome): string => readFileSync(join(h.home, 'api.token'), 'utf8').trim();
const auth = (h: TestHome): Record<string, string> => ({ authorization: `Bearer ${token(h)}` });

/** The value of one sample line, e.g. sample(text, 'x_total', '{outcome="ok"}'); undefined if absent. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const prefix = `${name}${labels} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(prefix.length));
}

function typeOf(text: string, name: string): string | undefined {
  return new RegExp(`^# TYPE ${name} (\\w+)$`, 'm').exec(text)?.[1];
}

describe('/metrics enabled', () => {
  let h: TestHome;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    h = makeHome();
    h.writeConfig(testConfig(port, '\n[limits]\nturn_timeout = "20s"\n\n[metrics]\nenabled = true\n'));
    await startDaemon(h);
  });
  afterAll(async () => {
    await h.run(['daemon', 'stop']);
    await h.cleanup();
  });

  it('needs the bearer token', async () => {
    expect((await httpGet(port, '/metrics')).status).toBe(401);
    expect((await httpGet(port, '/metrics', { authorization: 'Bearer not-the-token' })).status).toBe(401);
    const ok = await httpGet(port, '/metrics', auth(h));
    expect(ok.status).toBe(200);
    expect(ok.body).not.toContain(token(h));
  });

  it('exposes every agentforge metric with its type', async () => {
    const text = (await httpGet(port, '/metrics', auth(h))).body;
    expect(typeOf(text, 'agentforge_turns_total')).toBe('counter');
    expect(typeOf(text, 'agentforge_turn_duration_seconds')).toBe('histogram');
    expect(typeOf(text, 'agentforge_queue_depth')).toBe('gauge');
    expect(typeOf(text, 'agentforge_live_agents')).toBe('gauge');
    expect(typeOf(text, 'agentforge_deliveries_total')).toBe('counter');
    expect(typeOf(text, 'agentforge_poll_errors_total')).toBe('counter');
    expect(typeOf(text, 'agentforge_events_ingested_total')).toBe('counter');
    expect(typeOf(text, 'agentforge_db_size_bytes')).toBe('gauge');
    expect(typeOf(text, 'agentforge_last_backup_age_seconds')).toBe('gauge');
    expect(typeOf(text, 'agentforge_process_memory_bytes')).toBe('gauge');

    expect(sample(text, 'agentforge_queue_depth')).toBe(0);
    expect(sample(text, 'agentforge_poll_errors_total')).toBe(0);
    expect(sample(text, 'agentforge_deliveries_total', '{outcome="sent"}')).toBe(0);
    expect(sample(text, 'agentforge_deliveries_total', '{outcome="failed"}')).toBe(0);
    expect(sample(text, 'agentforge_db_size_bytes', '{file="db"}')).toBeGreaterThan(0);
    expect(sample(text, 'agentforge_last_backup_age_seconds')).toBe(-1); // no backup yet
    const rss = sample(text, 'agentforge_process_memory_bytes', '{kind="rss"}')!;
    expect(rss).toBeGreaterThan(10 * 1024 * 1024);
    expect(rss).toBeLessThan(4 * 1024 * 1024 * 1024);
    // Nothing ran yet: no turn, no event.
    expect(sample(text, 'agentforge_turn_duration_seconds_count') ?? 0).toBe(0);
    expect(sample(text, 'agentforge_events_ingested_total')).toBe(0);
  });

  it('counts a turn, its duration and its events; a backup sets the backup age', async () => {
    const id = await newSession(h);
    expect(await reply(h, id, 'stream 3')).toContain('chunk 3');
    const text = (await httpGet(port, '/metrics', auth(h))).body;
    expect(sample(text, 'agentforge_turns_total', '{outcome="ok"}')).toBe(1);
    expect(sample(text, 'agentforge_turn_duration_seconds_count')).toBe(1);
    expect(sample(text, 'agentforge_turn_duration_seconds_bucket', '{le="+Inf"}')).toBe(1);
    const seconds = sample(text, 'agentforge_turn_duration_seconds_sum')!;
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThan(20);
    // prompt + process start + 3 chunks + turn end, at least
    expect(sample(text, 'agentforge_events_ingested_total')).toBeGreaterThanOrEqual(5);
    expect(sample(text, 'agentforge_live_agents')).toBe(1);

    // A second scrape does not count anything twice.
    const again = (await httpGet(port, '/metrics', auth(h))).body;
    expect(sample(again, 'agentforge_turns_total', '{outcome="ok"}')).toBe(1);
    expect(sample(again, 'agentforge_poll_errors_total')).toBe(0);

    expect((await h.run(['backup', 'create'])).code).toBe(0);
    const after = (await httpGet(port, '/metrics', auth(h))).body;
    const age = sample(after, 'agentforge_last_backup_age_seconds')!;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(30);
  });
});

describe('/metrics disabled (the default)', () => {
  let h: TestHome;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    h = makeHome();
    h.writeConfig(testConfig(port));
    await startDaemon(h);
  });
  afterAll(async () => {
    await h.run(['daemon', 'stop']);
    await h.cleanup();
  });

  it('answers 404 metrics_disabled with the token, and 401 without it', async () => {
    const r = await httpGet(port, '/metrics', auth(h));
    expect(r.status).toBe(404);
    expect(r.json()).toMatchObject({ error: { code: 'metrics_disabled' } });
    expect((await httpGet(port, '/metrics')).status).toBe(401);
  });
});
