/**
 * Property-based fuzzing (fast-check) of the API's request body limit (audit finding 8): bodies of
 * any size and chunking, streamed or declared with Content-Length, reach the route whole when they
 * are at most MAX_API_BODY_BYTES and are a 413 body_too_large in the API's error shape when larger;
 * never a 500. Runs the real Hono app (createApi) in process with app.request().
 * Runs per property are bounded (quick for CI; CHAOS_LONG=1 multiplies them); a failure prints
 * the shrunk counterexample and its seed (replay with CHAOS_SEED).
 */
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createApi, MAX_API_BODY_BYTES } from '../../src/api/app.js';
import { fuzzParams } from '../helpers/chaos.js';

const params = fuzzParams;
let runs = 0;
afterAll(() => console.log(`fuzz-api-body: ${runs} runs`));

const TOKEN = 'fuzz-token-0123456789abcdef0123456789';
const app = createApi({
  token: TOKEN,
  allowedHostnames: new Set(['localhost']),
  status: () => ({}) as never,
  readiness: () => ({ ready: true, reasons: [] }),
  doctor: () => Promise.resolve({}) as never,
  log: pino({ level: 'silent' }),
  extend: (api) => api.post('/echo', async (c) => c.json({ bytes: (await c.req.arrayBuffer()).byteLength })),
});

/** Sizes near the limit are the interesting ones; far ones keep the big picture honest. */
const size = fc.oneof(
  fc.integer({ min: 0, max: 4096 }),
  fc.integer({ min: MAX_API_BODY_BYTES - 2048, max: MAX_API_BODY_BYTES + 2048 }),
  fc.integer({ min: 0, max: 3 * MAX_API_BODY_BYTES }),
);

function stream(total: number, chunk: number): ReadableStream<Uint8Array> {
  let left = total;
  const piece = new Uint8Array(Math.max(1, chunk)).fill(0x61);
  return new ReadableStream({
    pull(ctrl) {
      if (left <= 0) return ctrl.close();
      const n = Math.min(left, piece.length);
      left -= n;
      ctrl.enqueue(piece.subarray(0, n));
    },
  });
}

describe('fuzz: API request body limit', () => {
  it('at most the limit reaches the route whole; over it is a 413 body_too_large, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        size,
        fc.integer({ min: 1, max: 256 * 1024 }),
        fc.boolean(),
        async (total, chunk, declared) => {
          runs++;
          const headers: Record<string, string> = {
            host: 'localhost',
            authorization: `Bearer ${TOKEN}`,
            'content-type': 'application/json',
          };
          const init: RequestInit & { duplex: 'half' } = declared
            ? { method: 'POST', headers, body: new Uint8Array(total).fill(0x61), duplex: 'half' }
            : {
                method: 'POST',
                headers: { ...headers, 'transfer-encoding': 'chunked' },
                body: stream(total, chunk),
                duplex: 'half',
              };
          const res = await app.request('http://localhost/api/echo', init);
          const body = (await res.json()) as { bytes?: number; error?: { code: string; message: string } };
          if (total <= MAX_API_BODY_BYTES) {
            expect({ total, status: res.status, body }).toEqual({
              total,
              status: 200,
              body: { bytes: total },
            });
          } else {
            expect({ total, status: res.status }).toEqual({ total, status: 413 });
            expect(body.error).toEqual({ code: 'body_too_large', message: expect.stringMatching(/\S/) });
          }
        },
      ),
      params(40),
    );
  });

  it('without the token nothing is read: 401 whatever the body', async () => {
    await fc.assert(
      fc.asyncProperty(size, async (total) => {
        runs++;
        const res = await app.request('http://localhost/api/echo', {
          method: 'POST',
          headers: { host: 'localhost', 'transfer-encoding': 'chunked' },
          body: stream(total, 64 * 1024),
          duplex: 'half',
        });
        expect(res.status).toBe(401);
      }),
      params(20),
    );
  });
});
