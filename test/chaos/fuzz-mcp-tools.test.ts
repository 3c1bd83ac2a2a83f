/**
 * Property-based fuzzing (fast-check) of MCP tool arguments over the real tool endpoint
 * (serveTools + buildToolServer on loopback, a real migrated SQLite file): every call gets a tool
 * result, a failed call changes nothing and says why specifically; raw garbage posted to the
 * endpoint is a 4xx and the endpoint keeps serving.
 * Runs per property are bounded (quick for CI; CHAOS_LONG=1 multiplies them); a failure prints
 * the shrunk counterexample and its seed (replay with CHAOS_SEED).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskService } from '../../src/scheduler/tasks.js';
import type { Db } from '../../src/store/db.js';
import { GroupsRepo } from '../../src/store/groups-repo.js';
import { OutboxRepo } from '../../src/store/outbox-repo.js';
import { TasksRepo } from '../../src/store/tasks-repo.js';
import { serveTools, type ToolEndpoint } from '../../src/tools/http.js';
import type { Caller } from '../../src/tools/identity.js';
import { buildToolServer } from '../../src/tools/tools.js';
import { anyJson, fuzzParams, migratedDb, runCounter } from '../helpers/chaos.js';

const params = fuzzParams;
const count = runCounter('fuzz-mcp-tools');
const silent = pino({ level: 'silent' });
const scratch = mkdtempSync(join(tmpdir(), 'af-fuzz-mcp-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const TOOLS = [
  'send_message',
  'schedule_task',
  'list_tasks',
  'update_task',
  'pause_task',
  'resume_task',
  'cancel_task',
  'list_groups',
  'register_group',
] as const;
const MUTATING = new Set([
  'send_message',
  'schedule_task',
  'update_task',
  'pause_task',
  'resume_task',
  'cancel_task',
  'register_group',
]);

describe('fuzz: MCP tool arguments', () => {
  let db: Db;
  let endpoint: ToolEndpoint;
  const clients: Record<string, Client> = {};
  const taskIds: string[] = [];
  const callers: Record<string, Caller> = {
    main: { sessionId: 's-main', group: 'main', isMain: true },
    team: { sessionId: 's-team', group: 'team', isMain: false },
  };

  beforeAll(async () => {
    db = migratedDb(scratch, 'tools');
    const groups = new GroupsRepo(db);
    groups.add({ folder: 'main', channel: 'telegram', chatId: '-100', isMain: true }, Date.now());
    groups.add({ folder: 'team', channel: 'telegram', chatId: '-200' }, Date.now());
    const taskRows = new TasksRepo(db);
    const tasks = new TaskService(taskRows, 'UTC', () => undefined);
    for (const group of ['main', 'team', 'team']) {
      const t = tasks.create(
        { group, prompt: 'echo fuzz', scheduleType: 'cron', scheduleValue: '0 9 * * 1' },
        'fuzz',
      );
      taskIds.push(t.id);
    }
    endpoint = await serveTools({
      resolve: (token) => callers[token],
      log: silent,
      build: (caller) =>
        buildToolServer(caller, {
          groups,
          folderInUse: (f: string) => groups.get(f) !== undefined,
          outbox: new OutboxRepo(db),
          tasks,
          taskRows,
          recordCall: () => undefined,
          record: () => undefined,
          allow: () => true,
        }),
    });
    for (const name of Object.keys(callers)) {
      const client = new Client({ name: 'fuzz', version: '1' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(endpoint.url), {
          requestInit: { headers: { authorization: `Bearer ${name}` } },
        }),
      );
      clients[name] = client;
    }
  });
  afterAll(async () => {
    for (const c of Object.values(clients)) await c.close().catch(() => undefined);
    await endpoint?.close();
    db?.close();
  });

  const snapshot = (): string =>
    JSON.stringify([
      db.prepare('SELECT * FROM tasks ORDER BY id').all(),
      db.prepare('SELECT COUNT(*) AS n FROM outbox').get(),
      db.prepare('SELECT * FROM groups ORDER BY folder').all(),
    ]);

  it('every call gets a tool result; failed calls change nothing; errors are specific', async () => {
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const str = fc.oneof(
      fc.string({ maxLength: 24 }),
      fc.constantFrom(
        '',
        'main',
        'team',
        'cli',
        'nobody',
        '../x',
        'UPPER',
        'cron',
        'interval',
        'once',
        'group',
        'isolated',
        '30m',
        '1m',
        '10s',
        '0m',
        '-1m',
        'P1D',
        '1e3m',
        '999999999999d',
        '0 9 * * *',
        '61 * * * *',
        '* * * * * *',
        '0 0 30 2 *',
        future,
        '2020-01-01T00:00:00Z',
        '2030-02-30T00:00:00Z',
        'tomorrow',
        '-1001',
        '12',
        'x'.repeat(300),
        ...taskIds,
        't-00000000',
      ),
    );
    const value = fc.oneof(
      { weight: 6, arbitrary: str },
      { weight: 1, arbitrary: fc.integer() },
      { weight: 1, arbitrary: fc.boolean() },
      { weight: 1, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: anyJson },
    );
    // Near-valid scheduling calls: the schema passes, so the values reach the tool's own checks.
    const SCHEDULES = [
      ['cron', '0 9 * * *'],
      ['cron', 'bad'],
      ['cron', '61 * * * *'],
      ['cron', '0 0 30 2 *'],
      ['cron', '* * * * * *'],
      ['interval', '30m'],
      ['interval', '10s'],
      ['interval', '0m'],
      ['interval', '999999999999d'],
      ['interval', '1e3m'],
      ['interval', 'often'],
      ['once', future],
      ['once', '2020-01-01T00:00:00Z'],
      ['once', '2030-02-30T00:00:00Z'],
      ['once', '+275760-09-13T00:00:00Z'],
      ['once', 'tomorrow'],
    ] as const;
    const scheduling = fc.tuple(
      fc.constantFrom('schedule_task', 'update_task'),
      fc
        .record(
          {
            task_id: fc.constantFrom(...taskIds, 't-00000000'),
            prompt: fc.constantFrom('echo scheduled', 'x'.repeat(300)),
            schedule: fc.oneof(
              fc.constantFrom(...SCHEDULES),
              fc.tuple(
                fc.constantFrom('cron', 'interval', 'once'),
                str.filter((v) => v.length >= 1 && v.length <= 200),
              ),
            ),
            context_mode: fc.constantFrom('group', 'isolated'),
            group: fc.constantFrom('main', 'team', 'cli', 'nobody'),
          },
          { requiredKeys: ['task_id', 'prompt', 'schedule'] },
        )
        .map(({ schedule, ...rest }) => ({
          ...rest,
          schedule_type: schedule[0],
          schedule_value: schedule[1],
        })),
    );
    const anyCall = fc.tuple(
      fc.oneof(
        { weight: 9, arbitrary: fc.constantFrom(...TOOLS) },
        { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
      ),
      fc.oneof(
        {
          weight: 8,
          arbitrary: fc.dictionary(
            fc.constantFrom(
              'text',
              'sender',
              'prompt',
              'schedule_type',
              'schedule_value',
              'context_mode',
              'group',
              'task_id',
              'chat_id',
              'folder',
              'trigger',
              'name',
              'extra',
            ),
            value,
            { maxKeys: 6 },
          ),
        },
        { weight: 1, arbitrary: anyJson },
      ),
    );
    const outcomes = { ok: 0, toolError: 0, rpcError: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('main', 'team'),
        fc.oneof({ weight: 1, arbitrary: scheduling }, { weight: 2, arbitrary: anyCall }),
        async (who, [name, a]: [string, unknown]) => {
          count('mcp-tools');
          const before = snapshot();
          const isObject = a !== null && typeof a === 'object' && !Array.isArray(a);
          let result: { content: Array<{ type: string; text?: string }>; isError?: boolean };
          try {
            result = await clients[who]!.request(
              { method: 'tools/call', params: { name, arguments: a as Record<string, unknown> } },
              CallToolResultSchema,
            );
          } catch (err) {
            // Only a malformed tools/call (arguments not an object) may be refused at the protocol
            // level: the MCP SDK's request validation answers it with a JSON-RPC error (-32602 or
            // -32603) before any tool runs. Never a dropped connection or a timeout.
            expect(isObject, `tools/call ${name} ${JSON.stringify(a)} threw ${String(err)}`).toBe(false);
            expect(err).toBeInstanceOf(McpError);
            expect([-32602, -32603]).toContain((err as McpError).code);
            expect(snapshot()).toBe(before);
            outcomes.rpcError++;
            return;
          }
          const text = result.content.map((c) => c.text ?? '').join('\n');
          expect(text.trim(), `${name} ${JSON.stringify(a)}`).not.toBe('');
          if (result.isError === true) {
            outcomes.toolError++;
            expect(snapshot(), `failed ${name} ${JSON.stringify(a)} changed state: ${text}`).toBe(before);
            // An unexpected exception inside a tool surfaces as "error: …": a validation gap.
            expect(text, `${name} ${JSON.stringify(a)}`).not.toMatch(/^error: /);
          } else {
            outcomes.ok++;
            if (!MUTATING.has(name)) expect(snapshot()).toBe(before);
          }
        },
      ),
      params(500),
    );
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.toolError).toBeGreaterThan(0);
    // The endpoint still serves a plain call afterwards.
    const after = await clients['main']!.callTool({ name: 'list_groups', arguments: {} });
    expect(after.isError).not.toBe(true);
  });

  it('raw garbage posted to the endpoint is refused with a 4xx, and the endpoint keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          anyJson.map((v) => JSON.stringify(v)),
          fc.constantFrom(
            '',
            '{',
            '[]',
            '[{}]',
            '{"jsonrpc":"2.0"}',
            '{"jsonrpc":"2.0","id":1,"method":"tools/call"}',
            '['.repeat(10_000),
          ),
        ),
        async (body) => {
          count('mcp-raw');
          const res = await fetch(endpoint.url, {
            signal: AbortSignal.timeout(10_000),
            method: 'POST',
            headers: {
              authorization: 'Bearer team',
              'content-type': 'application/json',
              accept: 'application/json, text/event-stream',
            },
            body,
          });
          await res.text();
          expect(res.status, body.slice(0, 80)).toBeLessThan(500);
        },
      ),
      params(150),
    );
    const after = await clients['team']!.callTool({ name: 'list_tasks', arguments: {} });
    expect(after.isError).not.toBe(true);
  });
});
