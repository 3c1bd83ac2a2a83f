/**
 * SPEC §11: a private home, a 0600 socket and token, private database files, and an HTTP listener
 * that wants the bearer token on /api and refuses foreign Host headers (DNS rebinding).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, httpGet, makeHome, startDaemon, testConfig, type TestHome } from '../helpers/harness.js';

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('a running daemon protects its home and its API', () => {
  let h: TestHome;
  let port: number;
  let token: string;
  beforeAll(async () => {
    h = makeHome();
    port = await freePort();
    h.writeConfig(testConfig(port));
    await startDaemon(h);
    token = readFileSync(join(h.home, 'api.token'), 'utf8').trim();
  });
  afterAll(() => h.cleanup());

  it('keeps the home 0700, the socket and token 0600, and the database files private', () => {
    expect(mode(h.home)).toBe(0o700);
    const sock = join(h.home, 'daemon.sock');
    expect(statSync(sock).isSocket()).toBe(true);
    expect(mode(sock)).toBe(0o600);
    expect(mode(join(h.home, 'api.token'))).toBe(0o600);
    expect(token.length).toBeGreaterThanOrEqual(32);
    const dbFiles = ['agentforge.db', 'agentforge.db-wal', 'agentforge.db-shm'].map((f) => join(h.home, f));
    expect(dbFiles.filter(existsSync)).toEqual(dbFiles); // WAL mode: all three exist while running
    for (const f of [...dbFiles, join(h.home, 'daemon.json'), join(h.home, 'logs', 'agentforge.log')])
      expect({ f, others: mode(f) & 0o077 }).toEqual({ f, others: 0 });
  });

  it('answers /api without a token with 401 and with the token with 200', async () => {
    const anon = await httpGet(port, '/api/status');
    expect(anon.status).toBe(401);
    expect(anon.body).not.toContain(token);

    const wrong = await httpGet(port, '/api/status', { authorization: 'Bearer not-the-token' });
    expect(wrong.status).toBe(401);

    const ok = await httpGet(port, '/api/status', { authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    expect(ok.json()).toMatchObject({ running: true, http: { port } });
  });

  it('refuses a foreign Host header with 403 even with the token', async () => {
    for (const host of ['evil.example', `evil.example:${port}`, `localhost.evil.example:${port}`]) {
      const res = await httpGet(port, '/api/status', { host, authorization: `Bearer ${token}` });
      expect({ host, status: res.status }).toEqual({ host, status: 403 });
    }
    expect((await httpGet(port, '/healthz', { host: 'evil.example' })).status).toBe(403);
    // The names the listener is bound to are accepted.
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      const res = await httpGet(port, '/api/status', { host, authorization: `Bearer ${token}` });
      expect({ host, status: res.status }).toEqual({ host, status: 200 });
    }
  });

  it('serves /healthz and /readyz without a token', async () => {
    const health = await httpGet(port, '/healthz');
    expect(health.status).toBe(200);
    const ready = await httpGet(port, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json()).toMatchObject({ ready: true });
  });
});
