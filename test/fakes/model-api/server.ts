/**
 * A fake model API on 127.0.0.1 that the real agent adapters talk to instead of their vendors:
 * Claude (`ANTHROPIC_BASE_URL`), Codex (a `model_provider` with `base_url`) and Gemini
 * (`GOOGLE_GEMINI_BASE_URL`). One server speaks all three dialects; each dialect module turns a
 * request into a dialect-neutral Conversation, asks the script (script.ts) what to answer, and
 * writes the answer in its own wire format, streaming or not. Every request is recorded, so a test
 * can check what the adapter really sent (tool results, declared tools).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleAnthropic, matchesAnthropic } from './anthropic.js';
import { handleGemini, matchesGemini } from './gemini.js';
import { handleOpenAi, matchesOpenAi } from './openai.js';

export type RecordedRequest = {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly at: number;
};

/** What one answer of the fake told the adapter it used: the ground truth of usage tests. */
export type ReportedUsage = {
  readonly model: string;
  readonly input_tokens: number;
  readonly output_tokens: number;
  /** An adapter's own side request (title, classifier), not a step of a script. */
  readonly side: boolean;
  readonly at: number;
};

export type DialectRequest = {
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
  /** Aborted when the client disconnects or the server closes. */
  readonly signal: AbortSignal;
  /** Records the usage an answer reports. */
  readonly reportUsage: (u: Omit<ReportedUsage, 'at'>) => void;
};

export type Dialect = {
  readonly matches: (method: string, path: string) => boolean;
  readonly handle: (req: DialectRequest, res: ServerResponse) => Promise<void>;
};

const DIALECTS: readonly Dialect[] = [
  { matches: matchesAnthropic, handle: handleAnthropic },
  { matches: matchesOpenAi, handle: handleOpenAi },
  { matches: matchesGemini, handle: handleGemini },
];

export type FakeModelApi = {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** The usage every answer reported, in order (the Anthropic dialect records it). */
  readonly usage: ReportedUsage[];
  close(): Promise<void>;
};

/** Resolves after `ms`, or early when the signal aborts (a cancelled turn, a closing server). */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  const raw = Buffer.concat(parts).toString('utf8');
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export async function startFakeModelApi(): Promise<FakeModelApi> {
  const requests: RecordedRequest[] = [];
  const usage: ReportedUsage[] = [];
  const closing = new AbortController();
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = await readBody(req);
      const method = req.method ?? 'GET';
      requests.push({ method, path: url.pathname, body, at: Date.now() });
      const gone = new AbortController();
      res.on('close', () => gone.abort());
      const signal = AbortSignal.any([gone.signal, closing.signal]);
      const dialect = DIALECTS.find((d) => d.matches(method, url.pathname));
      if (dialect === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `fake model API: no route ${method} ${url.pathname}` } }));
        return;
      }
      await dialect.handle(
        {
          method,
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body,
          signal,
          reportUsage: (u) => usage.push({ ...u, at: Date.now() }),
        },
        res,
      );
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: String(err) } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    usage,
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
