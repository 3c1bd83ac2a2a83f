/**
 * The control plane's routes through Hono's app.request(): no port, no daemon; real repositories
 * on a temp SQLite file, a real TaskService and Scheduler (never started), a real Supervisor that
 * never starts an agent. What is checked is what a client sees: status codes, the JSON error shape,
 * the wire types (no raw rows), and that a refused request changes nothing.
 */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { TaskService } from '../scheduler/tasks.js';
import { resolveAgents, type AgentSpec } from '../sessions/agents.js';
import { Supervisor } from '../sessions/supervisor.js';
import { createStores, openGlobalStore, type Stores } from '../store/store.js';
import { createApi, MAX_API_BODY_BYTES } from './app.js';
import { allowedHostnames } from './guards.js';
import { groupRoutes } from './groups-routes.js';
import { sessionRoutes } from './sessions-routes.js';
import { taskRoutes } from './tasks-routes.js';

const TOKEN = 'test-token-0123456789';
const log = pino({ level: 'silent' });

/** The default config's agents (the bundled demo agent); no test here starts one. */
const agents: ReadonlyMap<string, AgentSpec> = resolveAgents(parseConfig('', 'config.toml', tmpdir()));

let dir: string;
let stores: Stores;
let app: Hono;
let inUse: Set<string>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'af-routes-'));
  for (const d of ['sessions', 'groups', 'agents']) mkdirSync(join(dir, d));
  stores = createStores(openGlobalStore(join(dir, 'agentforge.db')).db);
  inUse = new Set();
  const supervisor = new Supervisor({
    repo: stores.sessions,
    agents,
    sessionsDir: join(dir, 'sessions'),
    groupsDir: join(dir, 'groups'),
    agentsDir: join(dir, 'agents'),
    maxConcurrent: 2,
    maxQueue: 4,
    env: {},
    log,
    sandboxProbe: { ok: false, reason: 'not probed in unit tests', fix: '-' },
  });
  const tasks = new TaskService(stores.tasks, 'UTC');
  const scheduler = new Scheduler({
    repo: stores.tasks,
    policy: 'skip',
    catchUpWindowMs: 60_000,
    log,
    port: { run: () => Promise.resolve(''), deliver: () => undefined },
  });
  app = createApi({
    token: TOKEN,
    allowedHostnames: allowedHostnames('127.0.0.1'),
    status: () => ({}) as never,
    readiness: () => ({ ready: false, reasons: ['store_unavailable'] }),
    doctor: () => Promise.resolve({ findings: [] } as never),
    log,
    extend: (api) => {
      sessionRoutes(api, supervisor);
      groupRoutes(api, {
        groups: stores.groups,
        pairing: stores.pairing,
        outbox: stores.outbox,
        agentExists: (n) => n === 'demo',
        folderInUse: (f) => inUse.has(f),
      });
      taskRoutes(api, {
        tasks,
        repo: stores.tasks,
        scheduler,
        groupExists: (f) => f === 'cli' || stores.groups.get(f) !== undefined,
      });
    },
  });
});

afterEach(() => {
  stores.db.close();
  rmSync(dir, { recursive: true, force: true });
});

type Json = Record<string, unknown> & { error?: { code: string; message: string } };

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Json }> {
  const res = await app.request(path, {
    method,
    headers: {
      host: '127.0.0.1',
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

describe('guards and error shapes', () => {
  it('refuses a missing or wrong token with 401 and a foreign Host with 403', async () => {
    const noToken = await app.request('/api/groups', { headers: { host: '127.0.0.1' } });
    expect(noToken.status).toBe(401);
    expect(((await noToken.json()) as Json).error?.code).toBe('unauthorized');
    expect((await call('GET', '/api/groups', undefined, { authorization: 'Bearer wrong' })).status).toBe(401);
    const foreign = await call('GET', '/api/groups', undefined, { host: 'evil.example' });
    expect(foreign).toMatchObject({ status: 403, json: { error: { code: 'host_not_allowed' } } });
  });

  it('answers /healthz without a token and /readyz 503 with the reasons', async () => {
    const health = await app.request('/healthz', { headers: { host: 'localhost' } });
    expect(health.status).toBe(200);
    const ready = await app.request('/readyz', { headers: { host: 'localhost' } });
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ ready: false, reasons: ['store_unavailable'] });
  });

  it('gives unknown routes, bad JSON and oversized bodies their stable codes', async () => {
    expect(await call('GET', '/api/nope')).toMatchObject({
      status: 404,
      json: { error: { code: 'not_found' } },
    });
    expect((await call('POST', '/api/groups', '{not json')).json.error?.code).toBe('invalid_json');
    const big = await call('POST', '/api/send', { group: 'g', text: 'x'.repeat(MAX_API_BODY_BYTES) });
    expect(big).toMatchObject({ status: 413, json: { error: { code: 'body_too_large' } } });
    expect(stores.outbox.stats()).toMatchObject({ pending: 0 });
  });
});

describe('groups, pairing and send', () => {
  it('registers a chat, refuses duplicates and reserved or used folders, and lists wire types', async () => {
    const made = await call('POST', '/api/groups', { chat: '-1001', folder: 'team', agent: 'demo' });
    expect(made.status).toBe(201);
    expect(made.json).toMatchObject({ folder: 'team', chat_id: '-1001', channel: 'telegram', agent: 'demo' });
    expect((await call('POST', '/api/groups', { chat: '-1001', folder: 'other' })).json.error?.code).toBe(
      'group_exists',
    );
    expect((await call('POST', '/api/groups', { chat: '5', folder: 'cli' })).json.error?.code).toBe(
      'folder_reserved',
    );
    inUse.add('old');
    expect((await call('POST', '/api/groups', { chat: '6', folder: 'old' })).json.error?.code).toBe(
      'folder_in_use',
    );
    expect((await call('POST', '/api/groups', { chat: '7', agent: 'ghost' })).status).toBe(404);
    const { json } = await call('GET', '/api/groups');
    expect((json['groups'] as unknown[]).length).toBe(1);
  });

  it('queues a send into the outbox and shows the row without internal columns', async () => {
    await call('POST', '/api/groups', { chat: '42', folder: 'dm' });
    const sent = await call('POST', '/api/send', { group: 'dm', text: 'hello' });
    expect(sent).toMatchObject({ status: 202, json: { group: 'dm' } });
    const row = await call('GET', `/api/outbox/${String(sent.json['outbox_id'])}`);
    expect(row.json).toMatchObject({ text: 'hello', status: 'pending', source: 'send', chat_id: '42' });
    expect(row.json).not.toHaveProperty('reported');
    expect((await call('POST', '/api/send', { group: 'nobody', text: 'x' })).status).toBe(404);
    expect((await call('GET', '/api/outbox/999999')).status).toBe(404);
  });

  it('refuses an unknown pairing code and a malformed one, approving nobody', async () => {
    expect((await call('POST', '/api/pairing/approve', { code: 'ABCD2345' })).json.error?.code).toBe(
      'pairing_code_unknown',
    );
    expect((await call('POST', '/api/pairing/approve', { code: 'short' })).status).toBe(400);
    expect((await call('GET', '/api/pairing')).json).toEqual({ pending: [] });
  });
});

describe('tasks', () => {
  it('adds, shows, pauses and resumes a task, and validates schedules and zones', async () => {
    const made = await call('POST', '/api/tasks', {
      group: 'cli',
      prompt: 'hi',
      schedule_type: 'interval',
      schedule_value: '1h',
    });
    expect(made.status).toBe(201);
    const id = String(made.json['id']);
    expect((await call('GET', `/api/tasks/${id}`)).json).toMatchObject({ id, status: 'active' });
    expect((await call('POST', `/api/tasks/${id}/pause`)).json).toMatchObject({ status: 'paused' });
    expect((await call('POST', `/api/tasks/${id}/resume`)).json).toMatchObject({ status: 'active' });
    expect((await call('GET', `/api/tasks/${id}/runs`)).json).toEqual({ runs: [] });
    expect((await call('GET', `/api/tasks/${id}/runs?limit=0`)).status).toBe(400);
    const bad = await call('POST', '/api/tasks', {
      group: 'cli',
      prompt: 'x',
      schedule_type: 'cron',
      schedule_value: '* * *',
    });
    expect(bad.json.error?.code).toBe('invalid_schedule');
    const zone = await call('POST', '/api/tasks', {
      group: 'cli',
      prompt: 'x',
      schedule_type: 'interval',
      schedule_value: '1h',
      timezone: 'Mars/Olympus',
    });
    expect(zone.json.error?.code).toBe('invalid_schedule');
    expect(
      (
        await call('POST', '/api/tasks', {
          group: 'ghost',
          prompt: 'x',
          schedule_type: 'interval',
          schedule_value: '1h',
        })
      ).status,
    ).toBe(404);
    expect((await call('GET', '/api/tasks')).json['tasks']).toHaveLength(1);
    expect((await call('GET', '/api/tasks/t-nope')).status).toBe(404);
  });
});

describe('sessions', () => {
  it('creates, lists and shows a session without starting its agent, and 404s the unknown', async () => {
    const made = await call('POST', '/api/sessions', { group: 'cli' });
    expect(made.status).toBe(201);
    expect(made.json).toMatchObject({ agent: 'demo', group_folder: 'cli', state: 'active', pid: null });
    expect(made.json).not.toHaveProperty('proc_start_time');
    const id = String(made.json['id']);
    const shown = await call('GET', `/api/sessions/${id}`);
    expect(shown.json).toMatchObject({ id, live: 'cold', queued: 0, pending_permissions: [] });
    expect((await call('GET', '/api/sessions')).json['sessions']).toMatchObject([{ id, live: 'cold' }]);
    expect((await call('GET', `/api/sessions/${id}/events`)).json).toEqual({ events: [] });
    expect((await call('GET', `/api/sessions/${id}/events?limit=1.5`)).status).toBe(400);
    expect((await call('GET', '/api/sessions/s-000000000000')).json.error?.code).toBe('session_not_found');
    expect((await call('POST', '/api/sessions', { agent: 'ghost' })).json.error?.code).toBe(
      'agent_not_found',
    );
    expect((await call('POST', '/api/sessions', { group: '../etc' })).status).toBe(400);
    expect((await call('POST', `/api/sessions/${id}/approve`, {})).json.error?.code).toBe(
      'no_pending_permission',
    );
  });
});
