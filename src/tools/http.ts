/**
 * Serves the tool server to agents: MCP streamable HTTP on a loopback port of its own, one stateless
 * MCP server per request, bound to the caller that the bearer token identifies. Agents without HTTP
 * MCP support reach the same endpoint through `agentforge mcp-bridge` (stdio).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Caller } from './identity.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';

export const MAX_MCP_BODY_BYTES = 1024 * 1024;

export type ToolHttpDeps = {
  readonly resolve: (token: string) => Caller | undefined;
  readonly build: (caller: Caller) => McpServer | Promise<McpServer>;
  readonly log: Logger;
};

export type ToolEndpoint = { readonly url: string; readonly close: () => Promise<void> };

export async function serveTools(deps: ToolHttpDeps): Promise<ToolEndpoint> {
  const server: Server = createServer((req, res) => {
    // A request must always be answered: an unexpected throw is a 500, never a hung connection.
    handle(req, res, deps).catch((err: unknown) => {
      deps.log.error({ err }, 'tool request failed');
      if (!res.headersSent) deny(res, 500, 'internal error');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function deny(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message }, id: null }));
}

/**
 * The names this loopback listener answers to. A browser page on evil.example whose name resolves
 * to 127.0.0.1 (DNS rebinding) still sends Host: evil.example; like the API (api/guards.ts), the
 * tool server answers only requests addressed to loopback.
 */
const LOOPBACK_NAMES: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '::1']);

/** "127.0.0.1:4711" → "127.0.0.1", "[::1]:4711" → "::1"; lower case. */
export function hostnameOf(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return h.slice(1, end === -1 ? undefined : end);
  }
  const colon = h.lastIndexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

async function handle(req: IncomingMessage, res: ServerResponse, deps: ToolHttpDeps): Promise<void> {
  if (!LOOPBACK_NAMES.has(hostnameOf(req.headers.host ?? '')))
    return deny(res, 403, 'Host header not allowed');
  if (req.url !== '/mcp') return deny(res, 404, 'not found');
  const auth = req.headers.authorization ?? '';
  const caller = auth.startsWith('Bearer ') ? deps.resolve(auth.slice(7).trim()) : undefined;
  if (caller === undefined) return deny(res, 401, 'unknown or expired tool token');
  if (req.method !== 'POST') return deny(res, 405, 'this server is stateless: POST only');
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch (err) {
    if ((err as Error).message === 'too large')
      return deny(res, 413, `request body too large (limit ${MAX_MCP_BODY_BYTES} bytes)`);
    return deny(res, 400, 'request body is not JSON');
  }
  // Any JSON can arrive here (null, a number, [null]); the MCP transport answers what is not a
  // valid message. Calls are recorded by the tools themselves, after validation and the rate
  // limit: recording first let a flood of rejected calls fill the event log (audit, finding 7).
  // The MCP SDK loads with the first tool call: an idle daemon does not pay its memory.
  const { StreamableHTTPServerTransport } =
    await import('@modelcontextprotocol/sdk/server/streamableHttp.js');
  const mcp = await deps.build(caller);
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  res.on('close', () => {
    void transport.close();
    void mcp.close();
  });
  try {
    await mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  } catch (err) {
    deps.log.error({ err }, 'tool request failed');
    if (!res.headersSent) deny(res, 500, 'internal error');
  }
}

/**
 * The body as text. Past the limit it stops keeping the bytes but reads on to the end, so the
 * caller (already authenticated) gets the 413 answer instead of a reset connection.
 */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_MCP_BODY_BYTES) chunks.push(c);
      else chunks.length = 0;
    });
    req.on('end', () =>
      size > MAX_MCP_BODY_BYTES
        ? reject(new Error('too large'))
        : resolve(Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', reject);
  });
}
