/**
 * Property-based fuzzing (fast-check) of the config parser (SPEC §11 "bad input anywhere gets a
 * clear error and changes nothing"): TOML-ish text and random structured configs serialised as
 * TOML either parse to a frozen config whose every timer fits a Node timer, or fail with a
 * ConfigError whose every issue names the file, a key path, a message and a line in the file.
 * Runs per property are bounded (quick for CI; CHAOS_LONG=1 multiplies them); a failure prints
 * the shrunk counterexample and its seed (replay with CHAOS_SEED).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify as toToml } from 'smol-toml';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfig } from '../../src/config/load.js';
import { fuzzParams, runCounter } from '../helpers/chaos.js';

const params = fuzzParams;
const count = runCounter('fuzz-config');
const scratch = mkdtempSync(join(tmpdir(), 'af-fuzz-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

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

describe('fuzz: the config parser', () => {
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
