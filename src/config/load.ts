/**
 * Reads config.toml once, validates it strictly, and returns one deep-frozen Config that is passed
 * down to every module. Nothing else reads the file or the environment for settings.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isIP } from 'node:net';
import { TomlError, parse as parseToml } from 'smol-toml';
import type * as z from 'zod';
import { ConfigError, type ConfigIssue } from './errors.js';
import { formatDuration } from './duration.js';
import { locateKey } from './locate.js';
import { type HomePaths, homePaths, underHome } from './paths.js';
import { sandboxPathProblem } from './sandbox-paths.js';
import { configSchema, type ConfigFile } from './schema.js';
import { checkSecretFile, namesASecret, type SecretRef } from './secrets.js';

export type Config = DeepReadonly<ConfigFile> & {
  readonly file: string;
  readonly paths: HomePaths;
};

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export function loadConfig(home: string): Config {
  const base = homePaths(home);
  let source: string;
  try {
    source = readFileSync(base.config, 'utf8');
  } catch {
    throw new ConfigError([
      {
        file: base.config,
        line: undefined,
        path: '',
        message: 'cannot read the config file; run `agentforge init` to create it',
      },
    ]);
  }
  return parseConfig(source, base.config, home);
}

/** Parses config text; `file` is only used for error locations. */
export function parseConfig(source: string, file: string, home: string): Config {
  let raw: unknown;
  try {
    raw = parseToml(source);
  } catch (err) {
    const line = err instanceof TomlError ? err.line : undefined;
    const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new ConfigError([{ file, line, path: '', message: `not valid TOML: ${detail}` }]);
  }
  const result = configSchema().safeParse(raw);
  if (!result.success) {
    throw new ConfigError(result.error.issues.flatMap((issue) => toIssues(issue, source, file)));
  }
  const parsed = result.data;
  const semantic = semanticIssues(parsed, source, file, home);
  if (semantic.length > 0) throw new ConfigError(semantic);
  const base = homePaths(home);
  const paths: HomePaths = {
    ...base,
    socket: underHome(home, parsed.daemon.socket, base.socket),
    state: underHome(home, parsed.daemon.state_file, base.state),
    lock: underHome(home, parsed.daemon.lock_file, base.lock),
    backups: underHome(home, parsed.backup.dir, base.backups),
  };
  return deepFreeze({ ...parsed, file, paths });
}

function toIssues(issue: z.core.$ZodIssue, source: string, file: string): ConfigIssue[] {
  const at = (path: readonly PropertyKey[], message: string): ConfigIssue => {
    const keys = path.map(String);
    return { file, line: locateKey(source, keys), path: keys.join('.'), message };
  };
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) =>
        at([...issue.path, key], `unknown key; check the spelling against docs/configuration.md`),
      );
    case 'invalid_type':
      return [
        at(
          issue.path,
          issue.message.startsWith('expected a')
            ? issue.message
            : `expected ${issue.expected}${describeReceived(issue.message)}`,
        ),
      ];
    case 'invalid_value':
      return [at(issue.path, `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`)];
    default:
      return [at(issue.path, issue.message)];
  }
}

function describeReceived(message: string): string {
  const m = /received (\w+)/.exec(message);
  if (m?.[1] === 'undefined') return ' (this key is required)';
  return m ? `, got ${m[1]}` : '';
}

function semanticIssues(config: ConfigFile, source: string, file: string, home: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const at = (path: string[], message: string): void => {
    issues.push({ file, line: locateKey(source, path), path: path.join('.'), message });
  };
  if (!config.http.allow_remote && !isLoopbackHost(config.http.host)) {
    at(
      ['http', 'host'],
      `"${config.http.host}" is not a loopback address; use 127.0.0.1 or ::1, or set allow_remote = true to expose the API`,
    );
  }
  for (const [path, ms] of timerDurations(config)) {
    if (ms > MAX_TIMER_MS)
      at(
        path,
        `${formatDuration(ms)} is longer than a timer can hold (about 24.8 days)${path.length === 3 && path[2] === 'poll_timeout' ? ' together with stall_threshold' : ''}; use at most "24d"`,
      );
  }
  for (const side of ['imap', 'smtp'] as const) {
    const ep = config.channels.email[side];
    // A password in clear text is acceptable only where nobody can listen: on this machine.
    if (ep?.tls === 'none' && !isLoopbackHost(ep.host))
      at(
        ['channels', 'email', side, 'tls'],
        `tls = "none" sends the password in clear text; it is allowed only for a loopback host, not "${ep.host}". Use "auto" (TLS on 993/465, STARTTLS elsewhere)`,
      );
  }
  const defaults = Object.entries(config.agents).filter(([, a]) => a.default);
  if (defaults.length > 1) {
    at(
      ['agents', defaults[1]?.[0] ?? ''],
      `more than one agent has default = true (${defaults.map(([n]) => n).join(', ')}); keep one`,
    );
  }
  // `env` is printed by `config show` and kept in plain text: a value under a name that says it is
  // a secret belongs in `credentials`, as a reference. The value itself is never echoed.
  for (const [name, agent] of Object.entries(config.agents)) {
    for (const key of Object.keys(agent.env)) {
      if (namesASecret(key))
        at(
          ['agents', name, 'env', key],
          `${key} names a secret; env values are plain config that \`config show\` prints. Move it to credentials = { ${key} = "env:NAME" } (or "file:/absolute/path") with the value in the daemon's environment or a 0600 file`,
        );
    }
  }
  const secretFiles: string[] = [];
  forEachSecretRef(config, (path, ref) => {
    if (ref.scheme !== 'file') return;
    secretFiles.push(ref.path);
    const problem = checkSecretFile(ref.path);
    if (problem !== undefined) at(path, problem);
  });
  const guard = { home, userHomes: [homedir()], secretFiles };
  for (const [name, agent] of Object.entries(config.agents)) {
    for (const key of ['sandbox_ro_paths', 'sandbox_rw_paths'] as const) {
      agent[key].forEach((p, i) => {
        const problem = sandboxPathProblem(p, guard) ?? (existsSync(p) ? undefined : 'does not exist');
        if (problem !== undefined)
          at(
            ['agents', name, key, String(i)],
            `"${p}" ${problem}; list only directories the agent needs (the workspace and its state directory are always there)`,
          );
      });
    }
  }
  return issues;
}

/**
 * Node's setTimeout holds at most 2^31-1 ms; a longer delay fires after 1 ms instead, so a
 * turn_timeout of "9999d" would end every turn at once. catch_up_window is a window, not a timer.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

function timerDurations(config: ConfigFile): Array<[string[], number]> {
  const tg = config.channels.telegram;
  return [
    [['daemon', 'shutdown_timeout'], config.daemon.shutdown_timeout],
    [['limits', 'turn_timeout'], config.limits.turn_timeout],
    [['limits', 'idle_timeout'], config.limits.idle_timeout],
    // The poller's stall deadline is one timer of both together.
    [['channels', 'telegram', 'poll_timeout'], tg.poll_timeout + tg.stall_threshold],
    [['channels', 'email', 'poll_interval'], config.channels.email.poll_interval],
    [['channels', 'email', 'idle_restart'], config.channels.email.idle_restart],
    [['retention', 'sweep_interval'], config.retention.sweep_interval],
    ...Object.entries(config.agents).flatMap(([name, a]): Array<[string[], number]> => [
      [['agents', name, 'limits', 'turn_timeout'], a.limits.turn_timeout ?? 0],
      [['agents', name, 'limits', 'idle_timeout'], a.limits.idle_timeout ?? 0],
    ]),
  ];
}

/** The files of every file: secret reference (never shown to an agent's sandbox). */
export function secretFiles(config: Config): string[] {
  const files: string[] = [];
  forEachSecretRef(config as unknown as ConfigFile, (_path, ref) => {
    if (ref.scheme === 'file') files.push(ref.path);
  });
  return files;
}

function forEachSecretRef(config: ConfigFile, visit: (path: string[], ref: SecretRef) => void): void {
  for (const [name, agent] of Object.entries(config.agents)) {
    for (const [target, ref] of Object.entries(agent.credentials))
      visit(['agents', name, 'credentials', target], ref);
  }
  const tg = config.channels.telegram;
  if (tg.token) visit(['channels', 'telegram', 'token'], tg.token);
  tg.bot_pool.forEach((ref, i) => visit(['channels', 'telegram', 'bot_pool', String(i)], ref));
  const mail = config.channels.email;
  if (mail.imap?.password) visit(['channels', 'email', 'imap', 'password'], mail.imap.password);
  if (mail.smtp?.password) visit(['channels', 'email', 'smtp', 'password'], mail.smtp.password);
  if (mail.oauth2?.client_secret)
    visit(['channels', 'email', 'oauth2', 'client_secret'], mail.oauth2.client_secret);
  if (mail.oauth2) visit(['channels', 'email', 'oauth2', 'refresh_token'], mail.oauth2.refresh_token);
}

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1';
  return false;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
