/**
 * Property-based fuzzing (fast-check) of HTTP API bodies and query strings, sent to a running
 * daemon over its Unix socket: every request gets a status below 500 and, when refused, a JSON
 * error with a code and a message; the daemon keeps answering /api/status and stays up.
 * Runs per property are bounded (quick for CI; CHAOS_LONG=1 multiplies them); a failure prints
 * the shrunk counterexample and its seed (replay with CHAOS_SEED).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, makeHome, startDaemon, testConfig, type TestHome } from '../helpers/harness.js';
import { anyJson, fuzzParams, probe, rawRequest, runCounter } from '../helpers/chaos.js';
import { api } from '../helpers/sessions.js';

const params = fuzzParams;
const count = runCounter('fuzz-http-api');

describe('fuzz: HTTP API bodies and query strings', () => {
  let h: TestHome;
  let pid: number;
  let sessionId: string;
  let taskId: string;

  beforeAll(async () => {
    h = makeHome();
    expect((await h.run(['init'])).code).toBe(0);
    h.writeConfig(testConfig(0, '\n[limits]\nturn_timeout = "10s"\n'));
    pid = await startDaemon(h);
    const s = await api(h, 'POST', '/api/sessions', {});
    sessionId = (s.json() as { id: string }).id;
    const t = await api(h, 'POST', '/api/tasks', {
      group: 'cli',
      prompt: 'echo fuzz-task',
      schedule_type: 'cron',
      schedule_value: '0 9 * * 1',
    });
    taskId = (t.json() as { id: string }).id;
  });
  afterAll(async () => {
    await h?.run(['daemon', 'stop']);
    await h?.cleanup();
  });

  it('every request gets a status below 500 and a JSON error with a code and message; the daemon stays up', async () => {
    const str = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom('', 'cli', 'team', 'demo', 'nope', '../x', 'UTC', 'Mars/Base'),
    );
    const junk = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), anyJson);
    const harmless = fc.constantFrom('echo fuzz', 'echo  ', 'echo ünï');
    // Schedules the API accepts (some of them extreme), ones it must refuse, and noise.
    const schedule = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          ['cron', '0 9 * * 1'],
          ['cron', '*/5 * * * *'],
          ['interval', '1h'],
          ['interval', '100000d'],
          ['interval', '999999999999d'],
          ['once', new Date(Date.now() + 86_400_000).toISOString()],
          ['once', '+275760-09-13T00:00:00Z'],
        ),
      },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          ['cron', 'bad'],
          ['cron', '61 * * * *'],
          ['cron', '0 0 30 2 *'],
          ['interval', '10s'],
          ['interval', 'often'],
          ['once', '2020-01-01T00:00:00Z'],
          ['once', 'tomorrow'],
          ['weekly', 'mon'],
        ),
      },
      { weight: 1, arbitrary: fc.tuple(str, str) },
    );
    const ROUTES: Array<{ method: string; path: () => string; body?: fc.Arbitrary<unknown> }> = [
      {
        method: 'POST',
        path: () => '/api/sessions',
        body: fc.record(
          { agent: fc.oneof(str, junk), group: fc.oneof(str, junk), extra: junk },
          { requiredKeys: [] },
        ),
      },
      {
        method: 'POST',
        path: () => `/api/sessions/${sessionId}/prompt`,
        body: fc.record(
          {
            text: fc.oneof(harmless, junk),
            mode: fc.oneof(fc.constantFrom('queue', 'interrupt'), str, junk),
            wait: fc.oneof(fc.boolean(), junk),
          },
          { requiredKeys: [] },
        ),
      },
      {
        method: 'POST',
        path: () => `/api/sessions/${sessionId}/approve`,
        body: fc.record(
          { request_id: fc.oneof(str, junk), allow: fc.oneof(fc.boolean(), junk) },
          { requiredKeys: [] },
        ),
      },
      {
        method: 'POST',
        path: () => '/api/tasks',
        // Mostly well-formed, so that the schedule values reach the scheduler's own checks.
        body: fc
          .record(
            {
              group: fc.oneof(
                { weight: 4, arbitrary: fc.constant('cli') },
                { weight: 1, arbitrary: str },
                { weight: 1, arbitrary: junk },
              ),
              prompt: fc.oneof(
                { weight: 4, arbitrary: fc.constant('echo fuzz-task') },
                { weight: 1, arbitrary: junk },
              ),
              schedule: fc.oneof(
                { weight: 4, arbitrary: schedule },
                { weight: 1, arbitrary: fc.tuple(junk, junk) },
              ),
              context_mode: fc.oneof(
                { weight: 3, arbitrary: fc.constantFrom('group', 'isolated') },
                { weight: 1, arbitrary: str },
                { weight: 1, arbitrary: junk },
              ),
              timezone: fc.oneof(
                { weight: 3, arbitrary: fc.constant('UTC') },
                { weight: 1, arbitrary: str },
                { weight: 1, arbitrary: junk },
              ),
            },
            { requiredKeys: ['group', 'prompt', 'schedule'] },
          )
          .map(({ schedule: [type, value], ...rest }) => ({
            ...rest,
            schedule_type: type,
            schedule_value: value,
          })),
      },
      { method: 'POST', path: () => `/api/tasks/${taskId}/pause` },
      { method: 'POST', path: () => `/api/tasks/${taskId}/resume` },
      {
        method: 'POST',
        path: () => '/api/groups',
        body: fc.record(
          {
            chat: fc.oneof(fc.constantFrom('-1001', '42', '-0', '1e3'), fc.integer(), str, junk),
            channel: fc.oneof(fc.constant('telegram'), str, junk),
            folder: fc.oneof(str, junk),
            agent: fc.oneof(str, junk),
            main: fc.oneof(fc.boolean(), junk),
            trigger: fc.oneof(str, junk),
            name: fc.oneof(str, junk),
          },
          { requiredKeys: [] },
        ),
      },
      {
        method: 'POST',
        path: () => '/api/pairing/approve',
        body: fc.record(
          { code: fc.oneof(fc.constantFrom('ABCDEFGH', 'abc'), str, junk) },
          { requiredKeys: [] },
        ),
      },
      {
        method: 'POST',
        path: () => '/api/send',
        body: fc.record({ group: fc.oneof(str, junk), text: fc.oneof(harmless, junk) }, { requiredKeys: [] }),
      },
    ];
    const query = fc.oneof(
      fc.constantFrom('1', '0', '-1', '1.5', 'abc', '', '1e309', 'NaN', '99999999999999999999', '%00', '2'),
      fc.string({ maxLength: 6 }).map(encodeURIComponent),
    );
    const QUERIES: Array<(q: string) => string> = [
      (q) => `/api/tasks/${taskId}/runs?limit=${q}`,
      (q) => `/api/sessions/${sessionId}/events?after=${q}&limit=${q}`,
      (q) => `/api/sessions/${sessionId}/events?limit=${q}`,
      (q) => `/api/outbox/${q}`,
      (q) => `/api/tasks?group=${q}`,
      (q) => `/api/doctor?only=${q}`,
    ];
    const rawBody = fc.oneof(
      fc.string({ maxLength: 60 }),
      anyJson.map((v) => JSON.stringify(v)),
      fc.constantFrom(
        '',
        '{',
        'null',
        '[]',
        '"x"',
        '{"text":',
        '{"__proto__":{"admin":true}}',
        '['.repeat(20_000) + ']'.repeat(20_000),
      ),
    );
    const request = fc.oneof(
      {
        weight: 5,
        // POST /api/tasks three times as often as the rest: it has the most to validate.
        arbitrary: fc
          .constantFrom(...ROUTES.flatMap((r, i) => (r.path() === '/api/tasks' ? [i, i, i] : [i])))
          .chain((i) =>
            (ROUTES[i]!.body ?? fc.constant(undefined)).map((b) => ({ kind: 'json' as const, i, body: b })),
          ),
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(fc.nat(ROUTES.length - 1), rawBody)
          .map(([i, body]) => ({ kind: 'raw' as const, i, body })),
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(fc.nat(QUERIES.length - 1), query)
          .map(([i, q]) => ({ kind: 'query' as const, i, q })),
      },
    );

    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        count('http-api');
        let method = 'GET';
        let path: string;
        let body: string | undefined;
        if (req.kind === 'query') path = QUERIES[req.i]!(req.q);
        else {
          method = ROUTES[req.i]!.method;
          path = ROUTES[req.i]!.path();
          body =
            req.kind === 'raw' ? req.body : req.body === undefined ? undefined : JSON.stringify(req.body);
        }
        const what = `${method} ${path} ${String(body).slice(0, 200)}`;
        const res = await rawRequest(h, method, path, body);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status, `${what} → ${res.body.slice(0, 300)}`).toBeLessThan(500);
        expect(res.status, what).toBeGreaterThanOrEqual(200);
        const parsed = JSON.parse(res.body) as { error?: { code?: unknown; message?: unknown } };
        if (res.status >= 400) {
          expect(typeof parsed.error?.code, what).toBe('string');
          expect(typeof parsed.error?.message, what).toBe('string');
          expect(String(parsed.error?.message).trim(), what).not.toBe('');
        }
        // Whatever was accepted, the daemon still reports its status.
        const st = await probe(h, '/api/status', true);
        expect(st.status, `${what}: /api/status → ${st.body.slice(0, 200)}`).toBe(200);
      }),
      params(500),
    );
    console.log(`fuzz-http-api: statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect([...statuses.keys()].some((s) => s < 300)).toBe(true);
    expect([...statuses.keys()].some((s) => s >= 400)).toBe(true);
    expect(isAlive(pid)).toBe(true);
    expect((await probe(h, '/healthz')).status).toBe(200);
  });
});
