import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { oauthTokens } from './oauth.js';

let close: (() => void) | undefined;
afterEach(() => close?.());

/** A token endpoint on loopback that counts refreshes and answers like Google's. */
async function tokenServer(answer: (n: number) => [number, unknown]) {
  let n = 0;
  const bodies: string[] = [];
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(body);
      const [status, json] = answer(++n);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  close = () => srv.close();
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/token`, bodies, count: () => n };
}

describe('oauthTokens', () => {
  it('refreshes with the refresh token, caches, and refreshes again a minute before expiry', async () => {
    const srv = await tokenServer((n) => [200, { access_token: `at${n}`, expires_in: 3600 }]);
    let now = 1_000_000;
    const get = oauthTokens({
      tokenUrl: srv.url,
      clientId: 'cid',
      clientSecret: 'cs',
      refreshToken: 'rt',
      now: () => now,
    });
    expect(await get()).toBe('at1');
    expect(await get()).toBe('at1');
    now += 3_600_000 - 59_000;
    expect(await get()).toBe('at2');
    expect(srv.count()).toBe(2);
    expect(new URLSearchParams(srv.bodies[0]).get('grant_type')).toBe('refresh_token');
    expect(new URLSearchParams(srv.bodies[0]).get('refresh_token')).toBe('rt');
  });

  it('says what failed without echoing any token or secret', async () => {
    const srv = await tokenServer(() => [400, { error: 'invalid_grant' }]);
    const get = oauthTokens({
      tokenUrl: srv.url,
      clientId: 'cid',
      clientSecret: 'supersecret',
      refreshToken: 'rt-secret',
    });
    const err = await get().catch((e: Error) => e);
    expect(String(err)).toContain('HTTP 400, invalid_grant');
    expect(String(err)).not.toMatch(/supersecret|rt-secret/);
  });
});
