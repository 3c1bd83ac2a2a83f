/**
 * Issue 17, without a browser: the dashboard's login over real HTTP to a real daemon. Without a
 * session every page and data-bearing asset answers 401 or redirects to /login; the one-time link
 * sets an HttpOnly SameSite=Strict cookie and works once; a cross-site POST is refused even with
 * the cookie; CSRF is required; the Host check applies; logout ends the session; sessions expire.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeHome, startDaemon, testConfig, waitFor, type TestHome } from '../helpers/harness.js';

type Res = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

function http(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('dashboard login and guards', () => {
  let h: TestHome;
  let port: number;
  const origin = (): string => `http://127.0.0.1:${port}`;
  const host = (): Record<string, string> => ({ host: `127.0.0.1:${port}` });

  /** Logs in with a fresh link: the session cookie and the page's CSRF token. */
  async function login(): Promise<{ cookie: string; csrf: string }> {
    const { url } = await h.json<{ url: string }>(['dashboard']);
    const res = await http(port, 'GET', new URL(url).pathname + new URL(url).search, host());
    expect(res.status).toBe(303);
    const cookie = String(res.headers['set-cookie']).split(';')[0]!;
    const page = await http(port, 'GET', '/', { ...host(), cookie });
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(page.body)?.[1];
    expect(csrf).toBeDefined();
    return { cookie, csrf: csrf! };
  }

  beforeAll(async () => {
    port = await freePort();
    h = makeHome();
    h.writeConfig(testConfig(port, '\n[dashboard]\nsession_ttl = "3s"\n'));
    await startDaemon(h);
    port = (await h.json<{ http: { port: number } }>(['status'])).http.port;
  });
  afterAll(() => h.cleanup());

  it('without a login: / redirects to /login, the bundle and every /api route answer 401', async () => {
    const page = await http(port, 'GET', '/', host());
    expect(page.status).toBe(302);
    expect(page.headers['location']).toBe('/login');
    const login = await http(port, 'GET', '/login', host());
    expect(login.status).toBe(200);
    expect(login.body).toContain('agentforge dashboard');
    expect(login.headers['content-security-policy']).toContain("script-src 'self'");
    for (const path of [
      '/assets/app.js',
      '/api/status',
      '/api/sessions',
      '/api/logs',
      '/api/backups',
      '/api/outbox',
    ])
      expect({ path, status: (await http(port, 'GET', path, host())).status }).toEqual({ path, status: 401 });
    // A made-up cookie is no login either.
    expect((await http(port, 'GET', '/api/status', { ...host(), cookie: 'af_session=forged' })).status).toBe(
      401,
    );
  });

  it('the link sets an HttpOnly SameSite=Strict cookie, works once, and the page is served with a strict CSP', async () => {
    const { url } = await h.json<{ url: string }>(['dashboard']);
    expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/login\\?code=[\\w-]{40,}$`));
    const path = new URL(url).pathname + new URL(url).search;
    const first = await http(port, 'GET', path, host());
    expect(first.status).toBe(303);
    expect(first.headers['location']).toBe('/');
    const cookie = String(first.headers['set-cookie']);
    expect(cookie).toMatch(/^af_session=[\w-]+;/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const again = await http(port, 'GET', path, host());
    expect(again.status).toBe(401);
    expect(again.headers['set-cookie']).toBeUndefined();

    const page = await http(port, 'GET', '/', { ...host(), cookie: cookie.split(';')[0]! });
    expect(page.status).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
  });

  it('refuses a cross-site POST even with the cookie, and a same-site one without the CSRF token', async () => {
    const { cookie, csrf } = await login();
    const json = { 'content-type': 'application/json' };
    const send = JSON.stringify({ agent: 'demo' });
    const evil = await http(
      port,
      'POST',
      '/api/sessions',
      {
        ...host(),
        ...json,
        cookie,
        'x-csrf-token': csrf,
        origin: 'http://evil.example',
        'sec-fetch-site': 'cross-site',
      },
      send,
    );
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body)).toMatchObject({ error: { code: 'cross_site' } });
    // Another port on 127.0.0.1 is the same site to a browser, but not the same origin.
    const neighbour = await http(
      port,
      'POST',
      '/api/sessions',
      { ...host(), ...json, cookie, 'x-csrf-token': csrf, origin: 'http://127.0.0.1:1' },
      send,
    );
    expect(neighbour.status).toBe(403);
    const noToken = await http(
      port,
      'POST',
      '/api/sessions',
      { ...host(), ...json, cookie, origin: origin() },
      send,
    );
    expect(noToken.status).toBe(403);
    expect(JSON.parse(noToken.body)).toMatchObject({ error: { code: 'csrf_failed' } });
    expect((await h.json<{ sessions: unknown[] }>(['session', 'list'])).sessions).toHaveLength(0);

    const ok = await http(
      port,
      'POST',
      '/api/sessions',
      { ...host(), ...json, cookie, 'x-csrf-token': csrf, origin: origin(), 'sec-fetch-site': 'same-origin' },
      send,
    );
    expect(ok.status).toBe(201);
    // A browser session cannot mint more links: that takes the API token.
    const mint = await http(port, 'POST', '/api/dashboard/links', {
      ...host(),
      cookie,
      'x-csrf-token': csrf,
    });
    expect(mint.status).toBe(403);
  });

  it('applies the Host check to the dashboard too', async () => {
    const { cookie } = await login();
    for (const path of ['/', '/login', '/assets/app.js'])
      expect((await http(port, 'GET', path, { host: 'evil.example', cookie })).status).toBe(403);
  });

  it('logs out, and a session expires after [dashboard] session_ttl', async () => {
    const a = await login();
    const out = await http(port, 'POST', '/api/dashboard/logout', {
      ...host(),
      cookie: a.cookie,
      'x-csrf-token': a.csrf,
      origin: origin(),
    });
    expect(out.status).toBe(200);
    expect(String(out.headers['set-cookie'])).toMatch(/af_session=;.*Max-Age=0/);
    expect((await http(port, 'GET', '/api/status', { ...host(), cookie: a.cookie })).status).toBe(401);

    const b = await login();
    expect((await http(port, 'GET', '/api/status', { ...host(), cookie: b.cookie })).status).toBe(200);
    await waitFor(
      async () => (await http(port, 'GET', '/api/status', { ...host(), cookie: b.cookie })).status === 401,
      15_000,
      'the session to expire',
    );
    expect((await http(port, 'GET', '/', { ...host(), cookie: b.cookie })).status).toBe(302);
  });

  it('daemon start prints "dashboard ready" with a working link; with no TCP listener it says the dashboard is off', async () => {
    const other = makeHome();
    try {
      const p = await freePort();
      other.writeConfig(testConfig(p));
      const r = await other.run(['daemon', 'start']);
      expect(r.code).toBe(0);
      const link = /dashboard ready: (http:\/\/127\.0\.0\.1:\d+\/login\?code=\S+)/.exec(r.stdout)?.[1];
      expect(link, r.stdout).toBeDefined();
      const u = new URL(link!);
      expect((await http(Number(u.port), 'GET', u.pathname + u.search, { host: u.host })).status).toBe(303);
      await other.run(['daemon', 'stop']);

      other.writeConfig(testConfig(0));
      const noTcp = await other.run(['daemon', 'start']);
      expect(noTcp.stdout).toContain('dashboard off:');
      const cli = await other.run(['dashboard']);
      expect(cli.code).toBe(1);
      expect(cli.stderr).toContain('[http] port');
      await other.run(['daemon', 'stop']);
    } finally {
      await other.cleanup();
    }
  });
});
