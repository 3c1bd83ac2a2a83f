import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import { apiAuth, DashboardLogins, MAX_LOGIN_CODES, SESSION_COOKIE } from './dashboard-auth.js';
import { requireToken } from './guards.js';
import { ApiError } from './errors.js';

function clock(start = 1_000_000) {
  const c = { now: start };
  return { c, now: () => c.now };
}

describe('DashboardLogins', () => {
  it('a code works once and only within link_ttl; a session ends at session_ttl', () => {
    const { c, now } = clock();
    const logins = new DashboardLogins({ linkTtlMs: 60_000, sessionTtlMs: 3_600_000, now });
    const { code } = logins.issue();
    const s = logins.exchange(code)!;
    expect(s.id).not.toBe(s.csrf);
    expect(logins.exchange(code)).toBeUndefined();
    expect(logins.get(s.id)).toEqual(s);

    const late = logins.issue().code;
    c.now += 60_000;
    expect(logins.exchange(late)).toBeUndefined();
    c.now += 3_600_000;
    expect(logins.get(s.id)).toBeUndefined();
  });

  it(`keeps at most ${MAX_LOGIN_CODES} live codes: the oldest is pushed out`, () => {
    const logins = new DashboardLogins({ linkTtlMs: 60_000, sessionTtlMs: 60_000 });
    const first = logins.issue().code;
    for (let i = 0; i < MAX_LOGIN_CODES; i++) logins.issue();
    expect(logins.exchange(first)).toBeUndefined();
  });
});

describe('apiAuth', () => {
  const logins = new DashboardLogins({ linkTtlMs: 60_000, sessionTtlMs: 60_000 });
  const app = new Hono();
  app.use('*', apiAuth(requireToken('secret-token'), logins));
  app.get('/x', (c) => c.json({ ok: true }));
  app.post('/x', (c) => c.json({ ok: true }));
  app.onError((err, c) =>
    err instanceof ApiError
      ? c.json({ error: { code: err.code } }, err.status)
      : err instanceof HTTPException
        ? err.getResponse()
        : c.json({}, 500),
  );
  const s = logins.exchange(logins.issue().code)!;
  const cookie = `${SESSION_COOKIE}=${s.id}`;

  it('takes the bearer token as before, and judges a request with Authorization by it alone', async () => {
    expect((await app.request('/x', { headers: { authorization: 'Bearer secret-token' } })).status).toBe(200);
    expect((await app.request('/x', { headers: { authorization: 'Bearer wrong', cookie } })).status).toBe(
      401,
    );
    expect((await app.request('/x')).status).toBe(401);
  });

  it('takes the session cookie for reads; a change needs the CSRF token and our own origin', async () => {
    expect((await app.request('/x', { headers: { cookie } })).status).toBe(200);
    const post = (headers: Record<string, string>) =>
      app.request('http://127.0.0.1:2180/x', {
        method: 'POST',
        headers: { cookie, host: '127.0.0.1:2180', ...headers },
      });
    expect((await post({})).status).toBe(403);
    expect((await post({ 'x-csrf-token': 'nope' })).status).toBe(403);
    expect((await post({ 'x-csrf-token': s.csrf, origin: 'http://127.0.0.1:9999' })).status).toBe(403);
    expect((await post({ 'x-csrf-token': s.csrf, 'sec-fetch-site': 'same-site' })).status).toBe(403);
    expect((await post({ 'x-csrf-token': s.csrf, origin: 'http://127.0.0.1:2180' })).status).toBe(200);
  });
});
