/** `agentforge config path|show|validate`. */
import type { Command } from 'commander';
import { ConfigError } from '../../config/errors.js';
import { formatDuration } from '../../config/duration.js';
import type { Ctx } from '../context.js';
import { EXIT } from '../exit-codes.js';

export function registerConfig(program: Command, ctx: () => Ctx): void {
  const config = program
    .command('config')
    .description('where the config is, what it says, whether it is valid');

  config
    .command('path')
    .description('print the path of config.toml')
    .action(() => {
      const c = ctx();
      const path = c.paths().config;
      c.out.print({ path }, (w) => w(path));
      return c.exit(EXIT.ok);
    });

  config
    .command('show')
    .description('print the effective config, defaults filled in (secret references only, never values)')
    .action(async () => {
      const c = ctx();
      const cfg = await c.config();
      c.out.print(toPlain(cfg), (w) => w(JSON.stringify(toPlain(cfg), null, 2)));
      return c.exit(EXIT.ok);
    });

  config
    .command('validate')
    .description('check config.toml; prints file:line and key path for every error (exit 6 when invalid)')
    .action(async () => {
      const c = ctx();
      const { loadConfig } = await import('../../config/load.js');
      try {
        const cfg = loadConfig(c.home);
        const { usernameAllowlistWarning } = await import('../../ops/doctor/checks-channels.js');
        // Warnings do not make the config invalid (exit stays 0); they say what is risky.
        const warnings = [usernameAllowlistWarning(cfg)].filter((w) => w !== undefined);
        c.out.print({ valid: true, file: cfg.file, errors: [], warnings }, (w) => w(`${cfg.file} is valid`));
        if (c.out.format !== 'json') for (const line of warnings) c.out.error(`warning: ${line}`);
        return c.exit(EXIT.ok);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        c.out.print({ valid: false, errors: err.issues }, () => undefined);
        if (c.out.format !== 'json') for (const line of err.message.split('\n')) c.out.error(line);
        return c.exit(EXIT.configInvalid);
      }
    });
}

const DURATION_KEYS = new Set([
  'shutdown_timeout',
  'turn_timeout',
  'idle_timeout',
  'poll_timeout',
  'stall_threshold',
  'catch_up_window',
  'sweep_interval',
  'poll_interval',
]);

/** Durations back to their human form and secret references to their text, for display. */
function toPlain(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => toPlain(v));
  if (value !== null && typeof value === 'object') {
    if ('ref' in value && 'scheme' in value) return (value as { ref: string }).ref;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPlain(v, k)]));
  }
  if (typeof value === 'number' && DURATION_KEYS.has(key)) return formatDuration(value);
  return value;
}
