/**
 * Security audit, finding 8: the API read request bodies whole, so one 300 MB upload raised the
 * daemon's memory to about 1 GB, where it stayed. Bodies are now limited to 1 MiB: a larger one is
 * answered 413 in the API's error shape as soon as the limit is passed, the daemon's memory stays
 * low, and it goes on answering. The 300 MB are generated chunk by chunk, never held by the test.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, httpGet, makeHome, startDaemon, testConfig, type TestHome } from '../helpers/harness.js';
import { apiToken } from '../helpers/sessions.js';

const MiB = 1024 * 1024;
const TOTAL = 300 * MiB;
const CHUNK = Buffer.alloc(256 * 1024, 'a'); // one buffer, written over and over

/** VmRSS of a process, in bytes. */
function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) * 1024;
}

/** status 0 with `reset`: the server ended the connection before its answer could be read. */
type Streamed = { status: number; body: string; sentBytes: number; ms: number; reset: boolean };

/**
 * POSTs up to `total` bytes (chunked: no Content-Length, so the server cannot refuse up front) and
 * stops sending as soon as the answer arrives or the server closes the connection.
 */
function streamPost(port: number, path: string, headers: Record<string, string>, total: number) {
  return new Promise<Streamed>((resolve, reject) => {
    const started = Date.now();
    let sent = 0;
    let answered = false;
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    });
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          sentBytes: sent,
          ms: Date.now() - started,
          reset: false,
        });
        req.destroy();
      });
    });
    req.on('error', (err) => {
      // A reset after the answer is the server ending the connection on purpose. Before it, the
      // server closed while we were still writing (it answers and closes at the limit): on a busy
      // machine the kernel may drop its unread 413 with the reset. That is the same refusal.
      if (answered) return;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPIPE' || code === 'ECONNRESET')
        resolve({ status: 0, body: '', sentBytes: sent, ms: Date.now() - started, reset: true });
      else reject(err);
    });
    const pump = (): void => {
      while (!answered && !req.destroyed && sent < total) {
        sent += CHUNK.length;
        if (!req.write(CHUNK)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered && !req.destroyed && sent >= total) req.end();
    };
    pump();
  });
}

describe('request bodies are limited to 1 MiB', () => {
  let h: TestHome;
  let port: number;
  let pid: number;
  let auth: Record<string, string>;
  beforeAll(async () => {
    h = makeHome();
    port = await freePort();
    h.writeConfig(testConfig(port));
    pid = await startDaemon(h);
    auth = { authorization: `Bearer ${apiToken(h)}` };
  });
  afterAll(() => h.cleanup());

  it('answers a 300 MB streamed body with 413 quickly, keeps its memory low, and keeps answering', async () => {
    const before = rssOf(pid);
    const res = await streamPost(port, '/api/sessions', auth, TOTAL);
    if (!res.reset) {
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body)).toEqual({
        error: { code: 'body_too_large', message: expect.stringContaining('1048576 bytes') },
      });
    }
    // Answered long before the whole upload: the server stopped reading at the limit.
    expect(res.sentBytes).toBeLessThan(TOTAL / 2);
    expect(res.ms).toBeLessThan(10_000);
    // The audit saw ~992 MB; a limit of 1 MiB leaves the daemon near where it was.
    expect(rssOf(pid) - before).toBeLessThan(64 * MiB);

    const health = await httpGet(port, '/healthz');
    expect(health.status).toBe(200);
    const status = await httpGet(port, '/api/status', auth);
    expect(status.status).toBe(200);
  });

  it('refuses a declared Content-Length over the limit without reading it', async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port,
        path: '/api/send',
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json', 'content-length': String(2 * MiB) },
      });
      req.on('response', (r) => {
        let body = '';
        r.on('data', (c: Buffer) => (body += c.toString()));
        r.on('end', () => {
          resolve({ status: r.statusCode ?? 0, body });
          req.destroy();
        });
      });
      req.on('error', reject);
      req.write('{"text": "'); // and nothing more: the answer must not wait for the rest
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'body_too_large' } });
  });

  it('still takes a body just under the limit', async () => {
    // A valid JSON object of almost 1 MiB; the route rejects its content (400), not its size.
    const body = JSON.stringify({ agent: 'x'.repeat(MiB - 64) });
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/api/sessions',
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
        },
        (r) => {
          let text = '';
          r.on('data', (c: Buffer) => (text += c.toString()));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(res.status).not.toBe(413);
    expect(res.status).toBeLessThan(500);
  });

  it('does not read a body before the token is checked', async () => {
    const res = await streamPost(port, '/api/sessions', {}, 8 * MiB);
    expect(res.status).toBe(401);
  });
});
