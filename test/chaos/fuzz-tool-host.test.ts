/**
 * Property-based fuzzing (fast-check) of the tool server's Host check (audit: the MCP endpoint must
 * refuse foreign Host headers like the API does, against DNS rebinding). Any Host header is a 403
 * unless it names loopback, before the token or the path is looked at; the tool server and the API
 * read a Host header the same way. Real HTTP on loopback (serveTools).
 * Runs per property are bounded (quick for CI; CHAOS_LONG=1 multiplies them); a failure prints
 * the shrunk counterexample and its seed (replay with CHAOS_SEED).
 */
import { request } from 'node:http';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostnameOf as apiHostnameOf } from '../../src/api/guards.js';
import { hostnameOf, serveTools, type ToolEndpoint } from '../../src/tools/http.js';
import { fuzzParams } from '../helpers/chaos.js';

const params = fuzzParams;
let runs = 0;
afterAll(() => console.log(`fuzz-tool-host: ${runs} runs`));

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
let endpoint: ToolEndpoint;
let port: number;
let built = 0;

beforeAll(async () => {
  endpoint = await serveTools({
    resolve: (token) => (token === 'good' ? { sessionId: 's-1', group: 'g', isMain: false } : undefined),
    build: () => {
      built++;
      throw new Error('not reached: every request here is refused or off /mcp');
    },
    log: pino({ level: 'silent' }),
  });
  port = Number(new URL(endpoint.url).port);
});
afterAll(() => endpoint.close());

function post(path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', headers: { host, authorization: 'Bearer good' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
}

/** Host headers: loopback names in any case, with or without a port; lookalikes; random text. */
const hostHeader = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(
        '127.0.0.1',
        'localhost',
        'LocalHost',
        '[::1]',
        '127.0.0.1.evil.example',
        'localhost.evil',
      ),
      fc.option(fc.integer({ min: 0, max: 65535 })),
    )
    .map(([h, p]) => (p === null ? h : `${h}:${p}`)),
  fc.domain(),
  fc.stringMatching(/^[\x21-\x7e]{1,40}$/),
);

describe('fuzz: tool server Host header', () => {
  it('answers 403 unless the Host names loopback (then the path decides: 404 off /mcp)', async () => {
    await fc.assert(
      fc.asyncProperty(hostHeader, async (host) => {
        runs++;
        const status = await post('/not-mcp', host);
        const expected = LOOPBACK.has(hostnameOf(host)) ? 404 : 403;
        expect({ host, status }).toEqual({ host, status: expected });
        expect(hostnameOf(host)).toBe(apiHostnameOf(host));
      }),
      params(60),
    );
    expect(built).toBe(0);
  });

  it('a foreign Host is refused on /mcp too, with a valid token, before any tool server is built', async () => {
    await fc.assert(
      fc.asyncProperty(fc.domain(), async (host) => {
        runs++;
        fc.pre(!LOOPBACK.has(hostnameOf(host)));
        expect(await post('/mcp', host)).toBe(403);
      }),
      params(30),
    );
    expect(built).toBe(0);
  });
});
