/**
 * The tool endpoint as agents reach it: real HTTP on loopback, a real MCP client, real repositories
 * on a migrated SQLite file. Who the caller is comes only from the bearer token.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaskService } from '../scheduler/tasks.js';
import { openDatabase, type Db } from '../store/db.js';
import { GroupsRepo } from '../store/groups-repo.js';
import { migrate } from '../store/migrate.js';
import { GLOBAL_MIGRATIONS } from '../store/migrations/index.js';
import { OutboxRepo } from '../store/outbox-repo.js';
import { TasksRepo } from '../store/tasks-repo.js';
import { MAX_MCP_BODY_BYTES, serveTools, type ToolEndpoint } from './http.js';
import { ToolRateLimit, ToolTokens, type Caller } from './identity.js';
import { buildToolServer } from './tools.js';

let dir: string;
let db: Db;
let endpoint: ToolEndpoint;
let tokens: ToolTokens;
let tasks: TasksRepo;
let outbox: OutboxRepo;
const recorded: Array<{ kind: string; session: string; name: string; ok?: boolean }> = [];
const SESSIONS: Record<string, { group: string; isMain: boolean }> = {
  's-main': { group: 'ops', isMain: true },
  's-alpha': { group: 'alpha', isMain: false },
  's-beta': { group: 'beta', isMain: false },
};

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'af-tools-'));
  db = openDatabase(join(dir, 'agentforge.db'));
  migrate(db, GLOBAL_MIGRATIONS, 'test');
  const groups = new GroupsRepo(db);
  groups.add({ folder: 'ops', channel: 'telegram', chatId: '-1001', isMain: true }, Date.now());
  groups.add({ folder: 'alpha', channel: 'telegram', chatId: '-2001' }, Date.now());
  groups.add({ folder: 'beta', channel: 'telegram', chatId: '-3001' }, Date.now());
  tasks = new TasksRepo(db);
  outbox = new OutboxRepo(db);
  const service = new TaskService(tasks, 'UTC', () => undefined);
  tokens = new ToolTokens();
  const rate = new ToolRateLimit(5, 60_000);
  recorded.length = 0;
  endpoint = await serveTools({
    resolve: (token) => {
      const id = tokens.sessionFor(token);
      const s = id === undefined ? undefined : SESSIONS[id];
      return s === undefined ? undefined : ({ sessionId: id!, ...s } satisfies Caller);
    },
    build: (caller) =>
      buildToolServer(caller, {
        groups,
        folderInUse: (f: string) => groups.get(f) !== undefined,
        outbox,
        tasks: service,
        taskRows: tasks,
        allow: (c) => rate.allow(c.sessionId),
        recordCall: (c, name) => recorded.push({ kind: 'tool_call', session: c.sessionId, name }),
        record: (c, name, _args, result) =>
          recorded.push({ kind: 'tool_result', session: c.sessionId, name, ok: result.isError !== true }),
      }),
    log: pino({ level: 'silent' }),
  });
});

afterEach(async () => {
  await endpoint.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One MCP client session over HTTP, as the demo agent (or a real agent) makes it. */
async function callTool(token: string, name: string, args: Record<string, unknown> = {}) {
  const client = new Client({ name: 'test', version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(endpoint.url), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  try {
    const res = await client.callTool({ name, arguments: args });
    const text = (res.content as Array<{ type: string; text?: string }>).map((c) => c.text ?? '').join('\n');
    return { isError: res.isError === true, text };
  } finally {
    await client.close();
  }
}

function raw(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<{ status: number; body: string }> {
  const url = new URL(endpoint.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const LIST = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

describe('tool endpoint', () => {
  it('serves on loopback only', () => {
    expect(endpoint.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
  });

  it('refuses requests without a valid token, before doing anything', async () => {
    const alpha = tokens.issue('s-alpha');
    for (const auth of [undefined, 'Bearer nope', `Basic ${alpha}`, `Bearer ${alpha}x`]) {
      const res = await raw(
        'POST',
        '/mcp',
        { ...JSON_HEADERS, ...(auth ? { authorization: auth } : {}) },
        LIST,
      );
      expect(res.status, String(auth)).toBe(401);
      expect(JSON.parse(res.body)).toMatchObject({ error: { message: 'unknown or expired tool token' } });
    }
    // A revoked token (the agent stopped) is refused too.
    tokens.revoke('s-alpha');
    expect(
      (await raw('POST', '/mcp', { ...JSON_HEADERS, authorization: `Bearer ${alpha}` }, LIST)).status,
    ).toBe(401);
    expect(recorded).toEqual([]);
  });

  it('refuses a foreign Host header with 403 even with a valid token (DNS rebinding)', async () => {
    const token = tokens.issue('s-alpha');
    const port = new URL(endpoint.url).port;
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.evil.example:${port}`]) {
      const res = await raw(
        'POST',
        '/mcp',
        { ...JSON_HEADERS, authorization: `Bearer ${token}`, host },
        LIST,
      );
      expect({ host, status: res.status }).toEqual({ host, status: 403 });
    }
    expect(recorded).toEqual([]);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`]) {
      const res = await raw(
        'POST',
        '/mcp',
        { ...JSON_HEADERS, authorization: `Bearer ${token}`, host },
        LIST,
      );
      expect({ host, status: res.status }).toEqual({ host, status: 200 });
    }
  });

  it('answers 404 off /mcp, 405 for GET, 400 for non-JSON, 413 for oversized bodies', async () => {
    const auth = { ...JSON_HEADERS, authorization: `Bearer ${tokens.issue('s-alpha')}` };
    expect((await raw('POST', '/other', auth, LIST)).status).toBe(404);
    expect((await raw('GET', '/mcp', auth)).status).toBe(405);
    const notJson = await raw('POST', '/mcp', auth, '{not json');
    expect(notJson.status).toBe(400);
    expect(notJson.body).toContain('request body is not JSON');
    const big = await raw('POST', '/mcp', auth, Buffer.alloc(MAX_MCP_BODY_BYTES + 10, 0x20)).catch(
      (e: Error) => ({ status: -1, body: e.message }),
    );
    expect(big.status).toBe(413);
    expect(big.body).toContain(`request body too large (limit ${MAX_MCP_BODY_BYTES} bytes)`);
    // Just under the limit is read (and then judged as JSON).
    const under = await raw('POST', '/mcp', auth, Buffer.alloc(MAX_MCP_BODY_BYTES, 0x20));
    expect(under.status).toBe(400);
    expect(under.body).toContain('request body is not JSON');
  });

  it('identity comes from the token: the same call acts for different groups', async () => {
    const main = tokens.issue('s-main');
    const alpha = tokens.issue('s-alpha');
    expect(await callTool(alpha, 'list_groups')).toEqual({ isError: false, text: 'alpha (telegram -2001)' });
    expect((await callTool(main, 'list_groups')).text.split('\n')).toHaveLength(3);

    const args = { prompt: 'echo x', schedule_type: 'interval', schedule_value: '1h' };
    expect((await callTool(alpha, 'schedule_task', args)).text).toMatch(/group=alpha/);
    expect((await callTool(main, 'schedule_task', { ...args, group: 'beta' })).text).toMatch(/group=beta/);
    const refused = await callTool(alpha, 'schedule_task', { ...args, group: 'beta' });
    expect(refused).toEqual({
      isError: true,
      text: 'refused: this group (alpha) may only act on itself; only the main group may act on beta',
    });
    expect(
      tasks
        .list()
        .map((t) => t.group_folder)
        .sort(),
    ).toEqual(['alpha', 'beta']);

    expect((await callTool(alpha, 'send_message', { text: 'hi', group: 'beta' })).text).toMatch(/to alpha$/);
    expect(outbox.due(Date.now() + 1000).map((r) => [r.chat_id, r.text, r.source])).toEqual([
      ['-2001', 'hi', 'tool'],
    ]);
  });

  it('records each validated call and its result; a call the schema refuses is not recorded', async () => {
    const alpha = tokens.issue('s-alpha');
    await callTool(alpha, 'list_tasks');
    await callTool(alpha, 'pause_task', { task_id: 42 }); // refused by the schema: no handler
    await callTool(alpha, 'pause_task', { task_id: 't-nope' });
    expect(recorded).toEqual([
      { kind: 'tool_call', session: 's-alpha', name: 'list_tasks' },
      { kind: 'tool_result', session: 's-alpha', name: 'list_tasks', ok: true },
      { kind: 'tool_call', session: 's-alpha', name: 'pause_task' },
      { kind: 'tool_result', session: 's-alpha', name: 'pause_task', ok: false },
    ]);
  });

  it('a batch of calls the schema refuses writes nothing to the event log', async () => {
    const alpha = tokens.issue('s-alpha');
    const batch = Array.from({ length: 500 }, (_, i) => ({
      jsonrpc: '2.0',
      id: i + 1,
      method: 'tools/call',
      params: { name: 'pause_task', arguments: { task_id: 42 } },
    }));
    const res = await raw(
      'POST',
      '/mcp',
      {
        authorization: `Bearer ${alpha}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      JSON.stringify(batch),
    );
    expect(res.status).toBeLessThan(500);
    expect(recorded).toEqual([]);
  });

  it('rate-limits per session with an error the agent can read', async () => {
    const alpha = tokens.issue('s-alpha');
    const beta = tokens.issue('s-beta');
    for (let i = 0; i < 5; i++) expect((await callTool(alpha, 'list_tasks')).isError).toBe(false);
    expect(await callTool(alpha, 'list_tasks')).toEqual({
      isError: true,
      text: 'refused: too many tool calls from this session; wait a minute',
    });
    // Refused before acting: no task is created past the limit.
    expect(
      (
        await callTool(alpha, 'schedule_task', {
          prompt: 'x',
          schedule_type: 'interval',
          schedule_value: '1h',
        })
      ).isError,
    ).toBe(true);
    expect(tasks.list()).toEqual([]);
    // Calls past the limit cost the event log nothing: only the 5 admitted ones are recorded.
    expect(recorded.filter((r) => r.session === 's-alpha')).toHaveLength(10);
    // Another session is not affected.
    expect((await callTool(beta, 'list_tasks')).isError).toBe(false);
  });
});
