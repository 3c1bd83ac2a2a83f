/**
 * Property-based fuzzing (fast-check) of every place bad input enters (SPEC §11 "bad input
 * anywhere gets a clear error and changes nothing; the daemon keeps running"):
 *   (a) the config parser, on TOML-ish text and on random structured configs serialised as TOML;
 *   (b) the Telegram update handler: toInbound on arbitrary JSON, Inbox.accept on random messages;
 *   (c) MCP tool arguments, over the real tool endpoint (serveTools + buildToolServer);
 *   (d) HTTP API bodies (and query strings), posted to a running daemon over its Unix socket;
 *   (e) backup archives: a real backup, randomly damaged, then verified and restored.
 * Runs per property are bounded (quick for CI; CHAOS_LONG=1 multiplies them); a failure prints
 * the shrunk counterexample and its seed (replay with CHAOS_SEED).
 */
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { pino } from 'pino';
import { stringify as toToml } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toInbound } from '../../src/channels/telegram/updates.js';
import { ConfigError } from '../../src/config/errors.js';
import { initHome } from '../../src/config/home.js';
import { parseConfig } from '../../src/config/load.js';
import { GROUP_FOLDER_RE } from '../../src/config/paths.js';
import { createBackup } from '../../src/ops/backup.js';
import { RestoreError, restoreBackup, verifyBackup } from '../../src/ops/restore.js';
import { Inbox } from '../../src/router/inbox.js';
import type { InboundMessage } from '../../src/router/ports.js';
import { TaskService } from '../../src/scheduler/tasks.js';
import { EventLog } from '../../src/sessions/event-log.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import { GroupsRepo } from '../../src/store/groups-repo.js';
import { MessagesRepo } from '../../src/store/messages-repo.js';
import { migrate } from '../../src/store/migrate.js';
import { GLOBAL_MIGRATIONS } from '../../src/store/migrations/index.js';
import { OutboxRepo } from '../../src/store/outbox-repo.js';
import { PairingRepo } from '../../src/store/pairing-repo.js';
import { SessionsRepo } from '../../src/store/sessions-repo.js';
import { TasksRepo } from '../../src/store/tasks-repo.js';
import { serveTools, type ToolEndpoint } from '../../src/tools/http.js';
import type { Caller } from '../../src/tools/identity.js';
import { buildToolServer } from '../../src/tools/tools.js';
import { isAlive, makeHome, startDaemon, testConfig, type TestHome } from '../helpers/harness.js';
import { LONG, probe, rawRequest, scaled } from '../helpers/chaos.js';
import { api } from '../helpers/sessions.js';

const seedFromEnv = Number(process.env['CHAOS_SEED']);
const SEED = Number.isInteger(seedFromEnv) && seedFromEnv > 0 ? seedFromEnv : undefined;
/** fast-check parameters: bounded runs, and the seed when one is given. */
const params = (quick: number): fc.Parameters<unknown> => ({
  numRuns: scaled(quick, quick * 5),
  ...(SEED === undefined ? {} : { seed: SEED }),
});
const runs: Record<string, number> = {};
const count = (name: string): void => void (runs[name] = (runs[name] ?? 0) + 1);
afterAll(() => {
  console.log(
    `fuzz (${LONG ? 'long' : 'quick'}): ${Object.entries(runs)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
  );
});

const silent = pino({ level: 'silent' });
const scratch = mkdtempSync(join(tmpdir(), 'af-fuzz-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function migratedDb(name: string): Db {
  const db = openDatabase(join(scratch, `${name}.db`));
  migrate(db, GLOBAL_MIGRATIONS, name);
  return db;
}

// ---------------------------------------------------------------------------------------------
// (a) config parser
// ---------------------------------------------------------------------------------------------

const KEYS = [
  'daemon',
  'http',
  'log',
  'limits',
  'agents',
  'channels',
  'telegram',
  'email',
  'scheduler',
  'retention',
  'backup',
  'metrics',
  'socket',
  'shutdown_timeout',
  'host',
  'port',
  'allow_remote',
  'allowed_hosts',
  'level',
  'max_size_mb',
  'max_concurrent_agents',
  'agent_memory_mb',
  'turn_timeout',
  'idle_timeout',
  'max_output_bytes',
  'demo',
  'claude',
  'preset',
  'command',
  'args',
  'env',
  'credentials',
  'default',
  'permission_mode',
  'enabled',
  'token',
  'api_root',
  'dm_policy',
  'allowed_users',
  'bot_pool',
  'imap',
  'password',
  'timezone',
  'missed_runs',
  'schedule',
  'keep',
  'dir',
  '__proto__',
  'constructor',
  'toString',
  'x',
  'Ünïcode',
  '"quoted key"',
  '1',
  '',
] as const;
const VALUES = [
  '"30s"',
  '"1h30m"',
  '"abc"',
  '"env:X"',
  '"env:"',
  '"file:/etc/passwd"',
  '"file:relative"',
  'true',
  'false',
  '0',
  '-1',
  '65536',
  '2180',
  '1e999',
  'nan',
  'inf',
  '-inf',
  '[]',
  '[1, "a"]',
  '{ a = 1 }',
  '{}',
  '"UTC"',
  '"Europe/Berlin"',
  '"Mars/Olympus"',
  '1979-05-27T07:32:00Z',
  '07:32:00',
  '"0 3 * * *"',
  '"* *"',
  '""',
  "'''multi\nline'''",
  '"""x"""',
  '"demo"',
  '"approve-all"',
  '"0.0.0.0"',
  '"99999999999d"',
  '"30d"',
  '"::1"',
  '"http://127.0.0.1:1"',
  '"not a url"',
  '99999999999999999999',
  '0x1F',
  '1_000',
  '"\\u0000"',
  '"\\uD800"',
] as const;

const keyPath = fc.array(fc.constantFrom(...KEYS), { minLength: 1, maxLength: 3 }).map((p) => p.join('.'));
const tomlValue = fc.oneof(
  fc.constantFrom(...VALUES),
  fc.integer().map(String),
  fc.double().map(String),
  fc.string({ maxLength: 20 }).map((s) => JSON.stringify(s)),
);
const tomlLine = fc.oneof(
  { weight: 2, arbitrary: keyPath.map((k) => `[${k}]`) },
  { weight: 1, arbitrary: keyPath.map((k) => `[[${k}]]`) },
  { weight: 5, arbitrary: fc.tuple(keyPath, tomlValue).map(([k, v]) => `${k} = ${v}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', '# comment', '[', ']]', '=', 'a =', '= 1', '[a.b', 'key = "open'),
  },
);
const tomlishText = fc.array(tomlLine, { maxLength: 25 }).map((lines) => lines.join('\n'));

const leaf = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.date({ noInvalidDate: true }),
  fc.constantFrom(
    '30s',
    '5m',
    '9999999d',
    'env:X',
    'demo',
    'claude',
    '127.0.0.1',
    '0.0.0.0',
    'UTC',
    '0 3 * * *',
    'skip',
    'pairing',
    'info',
    'file:/nonexistent/secret',
    'https://api.telegram.org',
  ),
);
const sectionValue = fc.oneof(
  leaf,
  fc.array(leaf, { maxLength: 3 }),
  fc.dictionary(fc.constantFrom(...KEYS), leaf, { maxKeys: 4 }),
);
const structuredConfig = fc.dictionary(
  fc.constantFrom(...KEYS),
  fc.oneof(leaf, fc.dictionary(fc.constantFrom(...KEYS), sectionValue, { maxKeys: 6 })),
  { maxKeys: 6 },
);
/** Valid configs, so the property also walks the success path. */
/** Durations from ordinary to absurd: each must be refused or fit the timer it becomes. */
const duration = fc.constantFrom(
  '0s',
  '250ms',
  '30s',
  '15m',
  '2h',
  '24d',
  '25d',
  '30d',
  '99999999999d',
  '1h30m',
);
const validConfig = fc.record(
  {
    daemon: fc.record({ shutdown_timeout: duration }, { requiredKeys: [] }),
    http: fc.record({
      port: fc.integer({ min: 0, max: 65535 }),
      host: fc.constantFrom('127.0.0.1', '::1', 'localhost'),
    }),
    limits: fc.record(
      {
        turn_timeout: duration,
        idle_timeout: duration,
        max_concurrent_agents: fc.integer({ min: 1, max: 50 }),
      },
      { requiredKeys: [] },
    ),
    agents: fc.record(
      { demo: fc.record({ preset: fc.constant('demo'), limits: fc.record({ turn_timeout: duration }) }) },
      { requiredKeys: [] },
    ),
    channels: fc.record({
      telegram: fc.record({ poll_timeout: duration, stall_threshold: duration }, { requiredKeys: [] }),
    }),
    log: fc.record({ level: fc.constantFrom('debug', 'info', 'warn') }),
    retention: fc.record({ sweep_interval: duration }, { requiredKeys: [] }),
    scheduler: fc.record({
      missed_runs: fc.constantFrom('skip', 'run-once', 'catch-up'),
      timezone: fc.constantFrom('UTC', 'Europe/Berlin'),
      catch_up_window: duration,
    }),
  },
  { requiredKeys: [] },
);

function checkConfigOutcome(text: string, file: string, home: string): 'ok' | 'error' {
  let config;
  try {
    config = parseConfig(text, file, home);
  } catch (err) {
    if (!(err instanceof ConfigError))
      throw new Error(`parseConfig threw ${String(err)} (not a ConfigError)`, { cause: err });
    expect(err.issues.length).toBeGreaterThan(0);
    const lines = text.split(/\r?\n/).length;
    for (const issue of err.issues) {
      expect(issue.file).toBe(file);
      expect(typeof issue.path).toBe('string');
      expect(typeof issue.message).toBe('string');
      expect(issue.message.trim()).not.toBe('');
      if (issue.line !== undefined) {
        expect(Number.isInteger(issue.line)).toBe(true);
        expect(issue.line).toBeGreaterThanOrEqual(1);
        expect(issue.line).toBeLessThanOrEqual(lines);
      }
    }
    return 'error';
  }
  // Every duration that becomes a timer fits one: Node turns a longer setTimeout into 1 ms, so
  // turn_timeout = "99999999999d" would time every turn out at once.
  const timers: Array<[string, number]> = [
    ['daemon.shutdown_timeout', config.daemon.shutdown_timeout],
    ['limits.turn_timeout', config.limits.turn_timeout],
    ['limits.idle_timeout', config.limits.idle_timeout],
    [
      'telegram poll_timeout + stall_threshold',
      config.channels.telegram.poll_timeout + config.channels.telegram.stall_threshold,
    ],
    ['channels.email.poll_interval', config.channels.email.poll_interval],
    ['retention.sweep_interval', config.retention.sweep_interval],
    ...Object.entries(config.agents).flatMap(([name, a]): Array<[string, number]> => [
      [`agents.${name}.limits.turn_timeout`, a.limits.turn_timeout ?? 0],
      [`agents.${name}.limits.idle_timeout`, a.limits.idle_timeout ?? 0],
    ]),
  ];
  for (const [what, ms] of timers)
    expect(ms, `${what} accepted as ${ms} ms`).toBeLessThanOrEqual(2 ** 31 - 1);
  expect(Object.isFrozen(config)).toBe(true);
  expect(Object.isFrozen(config.limits)).toBe(true);
  expect(Object.isFrozen(config.channels.telegram.allowed_users)).toBe(true);
  expect(config.file).toBe(file);
  return 'ok';
}

describe('fuzz (a): the config parser', () => {
  const home = join(scratch, 'cfg-home');
  const file = join(home, 'config.toml');

  it('TOML-ish text: a frozen config or a ConfigError whose every issue has a file, a key path and a message', () => {
    const outcomes = { ok: 0, error: 0 };
    fc.assert(
      fc.property(tomlishText, (text) => {
        count('config-text');
        outcomes[checkConfigOutcome(text, file, home)]++;
      }),
      params(500),
    );
    expect(outcomes.error).toBeGreaterThan(0);
    expect(outcomes.ok).toBeGreaterThan(0); // the empty file and friends are valid
  });

  it('structured random configs serialised with smol-toml: the same', () => {
    const outcomes = { ok: 0, error: 0 };
    fc.assert(
      fc.property(fc.oneof(structuredConfig, validConfig), (obj) => {
        let text: string;
        try {
          text = toToml(obj);
        } catch {
          return; // not representable in TOML (e.g. a key TOML cannot express)
        }
        count('config-structured');
        outcomes[checkConfigOutcome(text, file, home)]++;
      }),
      params(500),
    );
    expect(outcomes.error).toBeGreaterThan(0);
    expect(outcomes.ok).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
// (b) the Telegram update handler
// ---------------------------------------------------------------------------------------------

const anyJson = fc.jsonValue({ maxDepth: 3 });
const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof(arb, arb, anyJson);
const userish = fc.record(
  {
    id: maybe(fc.integer()),
    is_bot: maybe(fc.boolean()),
    first_name: maybe(fc.string({ maxLength: 10 })),
    last_name: maybe(fc.string({ maxLength: 10 })),
    username: maybe(fc.string({ maxLength: 10 })),
  },
  { requiredKeys: [] },
);
const entityish = fc.record(
  {
    type: maybe(fc.constantFrom('mention', 'bold', 'url')),
    offset: maybe(fc.integer({ min: -5, max: 50 })),
    length: maybe(fc.integer({ min: -5, max: 50 })),
  },
  { requiredKeys: [] },
);
const messageish = fc.record(
  {
    message_id: maybe(fc.integer()),
    date: maybe(fc.integer()),
    chat: maybe(
      fc.record(
        {
          id: maybe(fc.integer()),
          type: maybe(fc.constantFrom('private', 'group', 'supergroup', 'channel', 'weird')),
          title: maybe(fc.string({ maxLength: 10 })),
        },
        { requiredKeys: [] },
      ),
    ),
    from: maybe(userish),
    text: maybe(fc.string({ maxLength: 40 })),
    caption: maybe(fc.string({ maxLength: 20 })),
    entities: maybe(fc.array(entityish, { maxLength: 3 })),
    caption_entities: maybe(fc.array(entityish, { maxLength: 2 })),
    photo: anyJson,
    audio: anyJson,
    document: anyJson,
    sticker: anyJson,
    location: anyJson,
    contact: anyJson,
    poll: anyJson,
    reply_to_message: maybe(fc.record({ from: maybe(userish) }, { requiredKeys: [] })),
  },
  { requiredKeys: [] },
);
const updateish = fc.oneof(
  anyJson,
  fc.record({ update_id: maybe(fc.integer()), message: fc.oneof(messageish, anyJson) }, { requiredKeys: [] }),
);

const idish = fc.oneof(
  fc.constantFrom('111', '222', '-100', '-200', '0', 'abc', '1.5', '1_5', 'Ü', '../x', '9'.repeat(80), ''),
  fc.string({ maxLength: 30 }),
);
const inboundish: fc.Arbitrary<InboundMessage> = fc.record({
  channel: fc.constantFrom('telegram', 'telegram', 'telegram', 'email', ''),
  chatId: idish,
  chatType: fc.constantFrom('private', 'group', 'supergroup', 'channel'),
  chatTitle: fc.option(fc.string({ maxLength: 10 })),
  messageId: fc.oneof(fc.constantFrom('1', '2', '3'), fc.string({ maxLength: 8 })),
  senderId: idish,
  senderName: fc.option(fc.string({ maxLength: 10 })),
  senderUsername: fc.option(fc.string({ maxLength: 10 })),
  text: fc.string({ maxLength: 100 }),
  ts: fc.oneof(fc.integer({ min: 0, max: 2 ** 42 }), fc.double()),
  mentionsBot: fc.boolean(),
  replyToBot: fc.boolean(),
});

describe('fuzz (b): the Telegram update handler', () => {
  it('toInbound never throws on arbitrary JSON; what it returns is well-formed', () => {
    const bots = [null, { id: 424242, username: 'forge_test_bot' }];
    fc.assert(
      fc.property(updateish, fc.constantFrom(...bots), (update, bot) => {
        count('toInbound');
        const m = toInbound(update as never, bot);
        if (m === undefined) return;
        expect(typeof m.text).toBe('string');
        expect(m.text).not.toBe('');
        for (const k of ['chatId', 'messageId', 'senderId'] as const) expect(typeof m[k]).toBe('string');
        expect(['private', 'group', 'supergroup', 'channel']).toContain(m.chatType);
        expect(Number.isFinite(m.ts)).toBe(true);
        expect(typeof m.mentionsBot).toBe('boolean');
        expect(typeof m.replyToBot).toBe('boolean');
      }),
      params(1000),
    );
  });

  it('Inbox.accept never throws, stores at most one row per (chat, message id), makes only valid folders', () => {
    const db = migratedDb('inbox');
    const groups = new GroupsRepo(db);
    groups.add({ folder: 'main', channel: 'telegram', chatId: '-100', isMain: true }, Date.now());
    groups.add({ folder: 'team', channel: 'telegram', chatId: '-200', trigger: '@Andy' }, Date.now());
    const inbox = new Inbox({
      db,
      groups,
      messages: new MessagesRepo(db),
      outbox: new OutboxRepo(db),
      pairing: new PairingRepo(db),
      dmPolicy: 'pairing',
      allowedUsers: ['111', 'abc', '1.5', '1_5'],
      trigger: () => '@forge_test_bot',
      onQueued: () => undefined,
      log: silent,
    });
    try {
      fc.assert(
        fc.property(fc.array(inboundish, { maxLength: 8 }), (batch) => {
          count('inbox');
          const before = (db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
          inbox.accept(batch);
          const after = (db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
          expect(after - before).toBeLessThanOrEqual(batch.length);
          const dupes = db
            .prepare(
              'SELECT channel, chat_id, message_id, COUNT(*) AS n FROM messages GROUP BY 1, 2, 3 HAVING n > 1',
            )
            .all();
          expect(dupes).toEqual([]);
          for (const g of groups.list()) expect(g.folder).toMatch(GROUP_FOLDER_RE);
        }),
        params(500),
      );
      // Something was stored at all (the property is not vacuous).
      expect((db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// (c) MCP tool arguments, over the real tool endpoint
// ---------------------------------------------------------------------------------------------

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

describe('fuzz (c): MCP tool arguments', () => {
  let db: Db;
  let endpoint: ToolEndpoint;
  const clients: Record<string, Client> = {};
  const taskIds: string[] = [];
  const callers: Record<string, Caller> = {
    main: { sessionId: 's-main', group: 'main', isMain: true },
    team: { sessionId: 's-team', group: 'team', isMain: false },
  };

  beforeAll(async () => {
    db = migratedDb('tools');
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

// ---------------------------------------------------------------------------------------------
// (d) HTTP API bodies, to a running daemon
// ---------------------------------------------------------------------------------------------

describe('fuzz (d): HTTP API bodies and query strings', () => {
  let h: TestHome;
  let pid: number;
  let sessionId: string;
  let taskId: string;

  beforeAll(async () => {
    h = makeHome();
    expect((await h.run(['init'])).code).toBe(0);
    h.writeConfig(testConfig(0, '\n[limits]\nturn_timeout = "10s"\n'));
    pid = await startDaemon(h);
    const s = await api(h, 'POST', '/api/sessions', {});
    sessionId = (s.json() as { id: string }).id;
    const t = await api(h, 'POST', '/api/tasks', {
      group: 'cli',
      prompt: 'echo fuzz-task',
      schedule_type: 'cron',
      schedule_value: '0 9 * * 1',
    });
    taskId = (t.json() as { id: string }).id;
  });
  afterAll(async () => {
    await h?.run(['daemon', 'stop']);
    await h?.cleanup();
  });

  it('every request gets a status below 500 and a JSON error with a code and message; the daemon stays up', async () => {
    const str = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom('', 'cli', 'team', 'demo', 'nope', '../x', 'UTC', 'Mars/Base'),
    );
    const junk = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), anyJson);
    const harmless = fc.constantFrom('echo fuzz', 'echo  ', 'echo ünï');
    // Schedules the API accepts (some of them extreme), ones it must refuse, and noise.
    const schedule = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          ['cron', '0 9 * * 1'],
          ['cron', '*/5 * * * *'],
          ['interval', '1h'],
          ['interval', '100000d'],
          ['interval', '999999999999d'],
          ['once', new Date(Date.now() + 86_400_000).toISOString()],
          ['once', '+275760-09-13T00:00:00Z'],
        ),
      },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          ['cron', 'bad'],
          ['cron', '61 * * * *'],
          ['cron', '0 0 30 2 *'],
          ['interval', '10s'],
          ['interval', 'often'],
          ['once', '2020-01-01T00:00:00Z'],
          ['once', 'tomorrow'],
          ['weekly', 'mon'],
        ),
      },
      { weight: 1, arbitrary: fc.tuple(str, str) },
    );
    const ROUTES: Array<{ method: string; path: () => string; body?: fc.Arbitrary<unknown> }> = [
      {
        method: 'POST',
        path: () => '/api/sessions',
        body: fc.record(
          { agent: fc.oneof(str, junk), group: fc.oneof(str, junk), extra: junk },
          { requiredKeys: [] },
        ),
      },
      {
        method: 'POST',
        path: () => `/api/sessions/${sessionId}/prompt`,
        body: fc.record(
          {
            text: fc.oneof(harmless, junk),
            mode: fc.oneof(fc.constantFrom('queue', 'interrupt'), str, junk),
            wait: fc.oneof(fc.boolean(), junk),
          },
          { requiredKeys: [] },
        ),
      },
      {
        method: 'POST',
        path: () => `/api/sessions/${sessionId}/approve`,
        body: fc.record(
          { request_id: fc.oneof(str, junk), allow: fc.oneof(fc.boolean(), junk) },
          { requiredKeys: [] },
        ),
      },
      {
        method: 'POST',
        path: () => '/api/tasks',
        // Mostly well-formed, so that the schedule values reach the scheduler's own checks.
        body: fc
          .record(
            {
              group: fc.oneof(
                { weight: 4, arbitrary: fc.constant('cli') },
                { weight: 1, arbitrary: str },
                { weight: 1, arbitrary: junk },
              ),
              prompt: fc.oneof(
                { weight: 4, arbitrary: fc.constant('echo fuzz-task') },
                { weight: 1, arbitrary: junk },
              ),
              schedule: fc.oneof(
                { weight: 4, arbitrary: schedule },
                { weight: 1, arbitrary: fc.tuple(junk, junk) },
              ),
              context_mode: fc.oneof(
                { weight: 3, arbitrary: fc.constantFrom('group', 'isolated') },
                { weight: 1, arbitrary: str },
                { weight: 1, arbitrary: junk },
              ),
              timezone: fc.oneof(
                { weight: 3, arbitrary: fc.constant('UTC') },
                { weight: 1, arbitrary: str },
                { weight: 1, arbitrary: junk },
              ),
            },
            { requiredKeys: ['group', 'prompt', 'schedule'] },
          )
          .map(({ schedule: [type, value], ...rest }) => ({
            ...rest,
            schedule_type: type,
            schedule_value: value,
          })),
      },
      { method: 'POST', path: () => `/api/tasks/${taskId}/pause` },
      { method: 'POST', path: () => `/api/tasks/${taskId}/resume` },
      {
        method: 'POST',
        path: () => '/api/groups',
        body: fc.record(
          {
            chat: fc.oneof(fc.constantFrom('-1001', '42', '-0', '1e3'), fc.integer(), str, junk),
            channel: fc.oneof(fc.constant('telegram'), str, junk),
            folder: fc.oneof(str, junk),
            agent: fc.oneof(str, junk),
            main: fc.oneof(fc.boolean(), junk),
            trigger: fc.oneof(str, junk),
            name: fc.oneof(str, junk),
          },
          { requiredKeys: [] },
        ),
      },
      {
        method: 'POST',
        path: () => '/api/pairing/approve',
        body: fc.record(
          { code: fc.oneof(fc.constantFrom('ABCDEFGH', 'abc'), str, junk) },
          { requiredKeys: [] },
        ),
      },
      {
        method: 'POST',
        path: () => '/api/send',
        body: fc.record({ group: fc.oneof(str, junk), text: fc.oneof(harmless, junk) }, { requiredKeys: [] }),
      },
    ];
    const query = fc.oneof(
      fc.constantFrom('1', '0', '-1', '1.5', 'abc', '', '1e309', 'NaN', '99999999999999999999', '%00', '2'),
      fc.string({ maxLength: 6 }).map(encodeURIComponent),
    );
    const QUERIES: Array<(q: string) => string> = [
      (q) => `/api/tasks/${taskId}/runs?limit=${q}`,
      (q) => `/api/sessions/${sessionId}/events?after=${q}&limit=${q}`,
      (q) => `/api/sessions/${sessionId}/events?limit=${q}`,
      (q) => `/api/outbox/${q}`,
      (q) => `/api/tasks?group=${q}`,
      (q) => `/api/doctor?only=${q}`,
    ];
    const rawBody = fc.oneof(
      fc.string({ maxLength: 60 }),
      anyJson.map((v) => JSON.stringify(v)),
      fc.constantFrom(
        '',
        '{',
        'null',
        '[]',
        '"x"',
        '{"text":',
        '{"__proto__":{"admin":true}}',
        '['.repeat(20_000) + ']'.repeat(20_000),
      ),
    );
    const request = fc.oneof(
      {
        weight: 5,
        // POST /api/tasks three times as often as the rest: it has the most to validate.
        arbitrary: fc
          .constantFrom(...ROUTES.flatMap((r, i) => (r.path() === '/api/tasks' ? [i, i, i] : [i])))
          .chain((i) =>
            (ROUTES[i]!.body ?? fc.constant(undefined)).map((b) => ({ kind: 'json' as const, i, body: b })),
          ),
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(fc.nat(ROUTES.length - 1), rawBody)
          .map(([i, body]) => ({ kind: 'raw' as const, i, body })),
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(fc.nat(QUERIES.length - 1), query)
          .map(([i, q]) => ({ kind: 'query' as const, i, q })),
      },
    );

    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        count('http-api');
        let method = 'GET';
        let path: string;
        let body: string | undefined;
        if (req.kind === 'query') path = QUERIES[req.i]!(req.q);
        else {
          method = ROUTES[req.i]!.method;
          path = ROUTES[req.i]!.path();
          body =
            req.kind === 'raw' ? req.body : req.body === undefined ? undefined : JSON.stringify(req.body);
        }
        const what = `${method} ${path} ${String(body).slice(0, 200)}`;
        const res = await rawRequest(h, method, path, body);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status, `${what} → ${res.body.slice(0, 300)}`).toBeLessThan(500);
        expect(res.status, what).toBeGreaterThanOrEqual(200);
        const parsed = JSON.parse(res.body) as { error?: { code?: unknown; message?: unknown } };
        if (res.status >= 400) {
          expect(typeof parsed.error?.code, what).toBe('string');
          expect(typeof parsed.error?.message, what).toBe('string');
          expect(String(parsed.error?.message).trim(), what).not.toBe('');
        }
        // Whatever was accepted, the daemon still reports its status.
        const st = await probe(h, '/api/status', true);
        expect(st.status, `${what}: /api/status → ${st.body.slice(0, 200)}`).toBe(200);
      }),
      params(500),
    );
    console.log(`fuzz (d): statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect([...statuses.keys()].some((s) => s < 300)).toBe(true);
    expect([...statuses.keys()].some((s) => s >= 400)).toBe(true);
    expect(isAlive(pid)).toBe(true);
    expect((await probe(h, '/healthz')).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------
// (e) backup archives
// ---------------------------------------------------------------------------------------------

/** Every path under dir (files, dirs, links) with a content hash for files: a tree fingerprint. */
function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      const rel = relative(dir, p);
      if (st.isDirectory()) {
        out.set(rel, 'dir');
        walk(p);
      } else if (st.isSymbolicLink()) out.set(rel, 'link');
      else out.set(rel, createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

type Mutation =
  | { op: 'flip'; file: number; at: number }
  | { op: 'truncate'; file: number; to: number }
  | { op: 'delete'; file: number }
  | { op: 'add'; path: string; content: string }
  | { op: 'field'; entry: number; field: 'path' | 'bytes' | 'sha256' | 'kind'; value: unknown }
  | { op: 'top'; field: string; value: unknown }
  | { op: 'entries'; value: unknown }
  | { op: 'manifest'; text: string }
  | { op: 'consistent'; file: number; content: string }
  | { op: 'symlink'; file: number; target: 'outside' | 'dir' | 'passwd' }
  | { op: 'dir-entry' };

const EVIL_PATHS = [
  '../x',
  '../../outside/pwned',
  '/etc/passwd',
  '/tmp/pwned',
  'groups/../../x',
  './config.toml',
  '.',
  '',
  'groups//team/AGENTS.md',
  'a\\b',
  'nul\u0000',
  'x'.repeat(5_000),
  `${'d/'.repeat(200)}f`,
  'groups',
  'sessions',
  'manifest.json',
  'agentforge.db',
  'config.toml',
  'api.token',
  'daemon.sock',
];

describe('fuzz (e): backup archives', () => {
  const root = join(scratch, 'backup');
  const source = join(root, 'source');
  const outside = join(root, 'outside');
  let backupDir: string;
  let files: string[];
  const savedTmp = process.env['TMPDIR'];
  const tmp = join(root, 'tmp');

  beforeAll(async () => {
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'secret'), 'outside the home\n');
    mkdirSync(tmp, { recursive: true });
    const { paths } = initHome(source);
    writeFileSync(paths.config, testConfig(0), { mode: 0o600 });
    const db = openDatabase(paths.db);
    migrate(db, GLOBAL_MIGRATIONS, 'agentforge.db');
    new GroupsRepo(db).add({ folder: 'team', channel: 'telegram', chatId: '-200' }, Date.now());
    new SessionsRepo(db).create({
      id: 's-000000000001',
      agent: 'demo',
      groupFolder: 'team',
      workspace: join(paths.groups, 'team'),
      now: Date.now(),
    });
    db.close();
    mkdirSync(join(paths.sessions, 's-000000000001'), { recursive: true });
    const log = new EventLog(join(paths.sessions, 's-000000000001', 'events.db'));
    log.append('prompt', { text: 'echo hi' }, 1);
    log.flush();
    log.close();
    mkdirSync(join(paths.groups, 'team'), { recursive: true });
    writeFileSync(join(paths.groups, 'team', 'AGENTS.md'), '# Memory\n');
    writeFileSync(join(paths.groups, 'team', 'notes.txt'), 'hello\n');
    backupDir = (await createBackup(paths)).dir;
    files = (
      JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8')) as { files: Array<{ path: string }> }
    ).files.map((f) => f.path);
    expect(files.length).toBeGreaterThanOrEqual(4);
    // The pristine backup verifies: the property's "no change, no problem" side holds.
    expect((await verifyBackup(backupDir)).problems).toEqual([]);
    // verifyBackup restores into a temporary home: keep those under our eyes.
    process.env['TMPDIR'] = tmp;
  });
  afterAll(() => {
    if (savedTmp === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = savedTmp;
  });

  const mutation = (): fc.Arbitrary<Mutation> => {
    const file = fc.nat(files.length);
    const evil = fc.oneof(fc.constantFrom(...EVIL_PATHS), fc.string({ maxLength: 30 }));
    const junk = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      anyJson,
      evil,
    );
    return fc.oneof(
      fc.record({ op: fc.constant('flip' as const), file, at: fc.nat() }),
      fc.record({ op: fc.constant('truncate' as const), file, to: fc.nat() }),
      fc.record({ op: fc.constant('delete' as const), file }),
      fc.record({ op: fc.constant('add' as const), path: evil, content: fc.string({ maxLength: 50 }) }),
      fc.record({
        op: fc.constant('field' as const),
        entry: fc.nat(files.length),
        field: fc.constantFrom('path' as const, 'bytes' as const, 'sha256' as const, 'kind' as const),
        value: junk,
      }),
      fc.record({
        op: fc.constant('top' as const),
        field: fc.constantFrom('format', 'version', 'created_at', 'files', 'extra'),
        value: junk,
      }),
      fc.record({
        op: fc.constant('entries' as const),
        value: fc.array(
          fc.record({
            path: evil,
            bytes: fc.nat(),
            sha256: fc.constant('0'.repeat(64)),
            kind: fc.constantFrom('file', 'sqlite'),
          }),
          { maxLength: 3 },
        ),
      }),
      fc.record({
        op: fc.constant('manifest' as const),
        text: fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', '{', 'null', '[]', '{"format":1}')),
      }),
      fc.record({
        op: fc.constant('consistent' as const),
        file,
        content: fc.oneof(
          fc.string({ maxLength: 100 }),
          fc.constantFrom('SQLite format 3\u0000garbage', '[daemon]\nbogus = 1\n', ''),
        ),
      }),
      fc.record({
        op: fc.constant('symlink' as const),
        file,
        target: fc.constantFrom('outside' as const, 'dir' as const, 'passwd' as const),
      }),
      fc.constant({ op: 'dir-entry' as const }),
    );
  };

  /** Applies the mutations to a copy of the backup; returns that copy. */
  function damaged(mutations: readonly Mutation[], n: number): string {
    const dir = join(root, `case-${n}`, 'backup');
    rmSync(join(root, `case-${n}`), { recursive: true, force: true });
    cpSync(backupDir, dir, { recursive: true });
    const manifestPath = join(dir, 'manifest.json');
    const readM = (): Record<string, unknown> | undefined => {
      try {
        const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as unknown;
        return m !== null && typeof m === 'object' && !Array.isArray(m)
          ? (m as Record<string, unknown>)
          : undefined;
      } catch {
        return undefined;
      }
    };
    const writeM = (m: unknown): void => writeFileSync(manifestPath, JSON.stringify(m, null, 2));
    const entries = (m: Record<string, unknown>): Array<Record<string, unknown>> | undefined =>
      Array.isArray(m['files']) ? (m['files'] as Array<Record<string, unknown>>) : undefined;
    const target = (i: number): string => join(dir, i < files.length ? files[i]! : 'manifest.json');
    for (const mu of mutations) {
      try {
        switch (mu.op) {
          case 'flip': {
            const p = target(mu.file);
            const buf = readFileSync(p);
            if (buf.length === 0) break;
            const at = mu.at % buf.length;
            buf[at] = (buf[at] ?? 0) ^ 0xff;
            writeFileSync(p, buf);
            break;
          }
          case 'truncate': {
            const p = target(mu.file);
            const buf = readFileSync(p);
            writeFileSync(p, buf.subarray(0, mu.to % (buf.length + 1)));
            break;
          }
          case 'delete':
            rmSync(target(mu.file), { force: true });
            break;
          case 'add': {
            const p = join(dir, mu.path);
            if (!p.startsWith(dir + '/')) break; // we damage the archive, not the machine
            mkdirSync(join(p, '..'), { recursive: true });
            writeFileSync(p, mu.content);
            break;
          }
          case 'field': {
            const m = readM();
            const e = m && entries(m)?.[mu.entry % Math.max(1, files.length)];
            if (m === undefined || e === undefined) break;
            e[mu.field] = mu.value;
            writeM(m);
            break;
          }
          case 'top': {
            const m = readM();
            if (m === undefined) break;
            m[mu.field] = mu.value;
            writeM(m);
            break;
          }
          case 'entries': {
            const m = readM();
            const list = m && entries(m);
            if (m === undefined || list === undefined) break;
            list.push(...(mu.value as Array<Record<string, unknown>>));
            writeM(m);
            break;
          }
          case 'manifest':
            writeFileSync(manifestPath, mu.text);
            break;
          case 'consistent': {
            // A changed file whose manifest entry is updated to match: hashes alone cannot tell.
            const m = readM();
            const e = m && entries(m)?.[mu.file % Math.max(1, files.length)];
            if (m === undefined || e === undefined || typeof e['path'] !== 'string') break;
            const p = join(dir, e['path']);
            if (!p.startsWith(dir + '/')) break;
            writeFileSync(p, mu.content);
            e['bytes'] = Buffer.byteLength(mu.content);
            e['sha256'] = createHash('sha256').update(mu.content).digest('hex');
            writeM(m);
            break;
          }
          case 'symlink': {
            const p = target(mu.file);
            const to =
              mu.target === 'outside'
                ? join(outside, 'secret')
                : mu.target === 'dir'
                  ? outside
                  : '/etc/passwd';
            rmSync(p, { force: true, recursive: true });
            symlinkSync(to, p);
            // …with a manifest entry that matches what the link points at.
            const m = readM();
            const e = m && entries(m)?.find((x) => join(dir, String(x['path'])) === p);
            if (m !== undefined && e !== undefined && mu.target !== 'dir') {
              const content = readFileSync(to);
              e['bytes'] = content.length;
              e['sha256'] = createHash('sha256').update(content).digest('hex');
              writeM(m);
            }
            break;
          }
          case 'dir-entry': {
            // A manifest entry naming a directory, with its size as bytes.
            const m = readM();
            const list = m && entries(m);
            if (m === undefined || list === undefined) break;
            mkdirSync(join(dir, 'groups', 'sub'), { recursive: true });
            list.push({
              path: 'groups/sub',
              bytes: statSync(join(dir, 'groups', 'sub')).size,
              sha256: '0'.repeat(64),
              kind: 'file',
            });
            writeM(m);
            break;
          }
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === undefined) throw err;
        // an operation that could not apply (ENOENT after a delete, a link in the way …)
      }
    }
    return dir;
  }

  it('verify and restore never throw an unexpected error, name a file for each problem, and write only inside the target home', async () => {
    const pristine = tree(backupDir);
    let n = 0;
    const outcomes = { verifiedOk: 0, problems: 0, restored: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(mutation(), { minLength: 1, maxLength: 4 }), async (mutations) => {
        count('backup');
        const dir = damaged(mutations, ++n);
        const caseRoot = join(dir, '..');
        const home = join(caseRoot, 'home');
        const changed = JSON.stringify([...tree(dir)]) !== JSON.stringify([...pristine]);
        const outsideBefore = tree(outside);
        const archiveBefore = tree(dir);
        const what = JSON.stringify(mutations).slice(0, 400);

        const report = await verifyBackup(dir);
        for (const p of report.problems) {
          expect(typeof p.file, what).toBe('string');
          expect(p.file.trim(), what).not.toBe('');
          expect(p.problem.trim(), what).not.toBe('');
        }
        expect(report.ok, what).toBe(report.problems.length === 0);
        if (!changed) expect(report.problems, what).toEqual([]);
        if (report.ok) outcomes.verifiedOk++;
        else outcomes.problems++;

        try {
          restoreBackup(dir, home);
          outcomes.restored++;
          expect(existsSync(join(home, 'api.token')), what).toBe(true);
        } catch (err) {
          expect(err, `${what}: ${String(err)}`).toBeInstanceOf(RestoreError);
          expect((err as Error).message, what).toMatch(/\S/);
          outcomes.refused++;
          // A refused restore leaves no partial home behind.
          expect(existsSync(home) ? readdirSync(home) : [], what).toEqual([]);
        }
        // Nothing was written outside the target home: not the archive, not next to it, not
        // elsewhere, and no temporary home was left behind.
        expect(tree(dir), what).toEqual(archiveBefore);
        expect(tree(outside), what).toEqual(outsideBefore);
        expect(readdirSync(caseRoot).sort(), what).toEqual(
          existsSync(home) ? ['backup', 'home'] : ['backup'],
        );
        expect(readdirSync(tmp), what).toEqual([]);
        expect(existsSync(join(root, 'pwned')) || existsSync('/tmp/pwned'), what).toBe(false);
        rmSync(caseRoot, { recursive: true, force: true });
      }),
      params(200),
    );
    console.log(`fuzz (e): ${JSON.stringify(outcomes)}`);
    expect(outcomes.problems).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
    // The original archive was only ever read.
    expect(tree(backupDir)).toEqual(pristine);
  });
});
