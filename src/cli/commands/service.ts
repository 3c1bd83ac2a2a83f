/** `agentforge service install|uninstall|status`: the systemd unit. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { renderUnit, serviceMemoryMb, unitPath, type ServiceScope } from '../../ops/service.js';
import { DAEMON_BIN } from '../../install-paths.js';
import type { Ctx } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';

type ScopeOpts = { user?: boolean; system?: boolean };

function scopeOf(o: ScopeOpts): ServiceScope {
  if (o.user && o.system) throw new CliError('choose one of --user or --system', EXIT.usage);
  return o.system ? 'system' : 'user';
}

function systemctl(scope: ServiceScope, ...args: string[]): string | undefined {
  try {
    return execFileSync('systemctl', [...(scope === 'user' ? ['--user'] : []), ...args], {
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5_000,
    })
      .toString()
      .trim();
  } catch (err) {
    const out = (err as { stdout?: Buffer }).stdout?.toString().trim();
    return out === '' ? undefined : out;
  }
}

/** The unit `install` writes for this home and config. */
async function unitFor(c: Ctx, scope: ServiceScope): Promise<string> {
  const config = await c.config();
  return renderUnit({
    scope,
    nodePath: process.execPath,
    binPath: DAEMON_BIN,
    home: c.home,
    shutdownTimeoutMs: config.daemon.shutdown_timeout,
    memoryMaxMb: serviceMemoryMb(config.limits.max_concurrent_agents, config.limits.agent_memory_mb),
    ...(scope === 'system' ? { user: userInfo().username } : {}),
  });
}

export function registerService(program: Command, ctx: () => Ctx): void {
  const service = program.command('service').description('run AgentForge under systemd');

  service
    .command('install')
    .description('write the systemd unit (user unit by default)')
    .option('--user', 'a user unit (~/.config/systemd/user)')
    .option('--system', 'a system unit (/etc/systemd/system); runs as the current user')
    .option('--print', 'print the unit instead of writing it')
    .action(async (o: ScopeOpts & { print?: boolean }) => {
      const c = ctx();
      const scope = scopeOf(o);
      const unit = await unitFor(c, scope);
      if (o.print) {
        c.out.print({ unit }, (w) => w(unit));
        return c.exit(EXIT.ok);
      }
      const path = unitPath(scope, c.env);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, unit, { mode: 0o644 });
      const flag = scope === 'user' ? '--user ' : '';
      c.out.print({ written: path, scope }, (w) => {
        w(`wrote ${path}`);
        w(`next: systemctl ${flag}daemon-reload && systemctl ${flag}enable --now agentforge`);
        if (scope === 'user') w('      (and `loginctl enable-linger` so it runs while you are logged out)');
      });
      return c.exit(EXIT.ok);
    });

  service
    .command('uninstall')
    .description('remove the unit file (stop and disable it first)')
    .option('--user', 'the user unit')
    .option('--system', 'the system unit')
    .action((o: ScopeOpts) => {
      const c = ctx();
      const path = unitPath(scopeOf(o), c.env);
      if (!existsSync(path)) {
        c.out.print({ removed: false, path }, (w) => w(`no unit at ${path}`));
        return c.exit(EXIT.ok);
      }
      unlinkSync(path);
      c.out.print({ removed: true, path }, (w) =>
        w(`removed ${path}; run: systemctl ${scopeOf(o) === 'user' ? '--user ' : ''}daemon-reload`),
      );
      return c.exit(EXIT.ok);
    });

  service
    .command('status')
    .description('is the unit installed, enabled and active')
    .option('--user', 'the user unit')
    .option('--system', 'the system unit')
    .action(async (o: ScopeOpts) => {
      const c = ctx();
      const scope = scopeOf(o);
      const path = unitPath(scope, c.env);
      const installed = existsSync(path);
      // Up to date = exactly what `install` would write now (config, paths and binary unchanged);
      // null when the config does not load, so the expected unit is unknown.
      let upToDate: boolean | null = false;
      if (installed) {
        try {
          upToDate = readFileSync(path, 'utf8') === (await unitFor(c, scope));
        } catch {
          upToDate = null;
        }
      }
      const data = {
        scope,
        path,
        installed,
        enabled: installed ? (systemctl(scope, 'is-enabled', 'agentforge') ?? 'unknown') : 'no',
        active: installed ? (systemctl(scope, 'is-active', 'agentforge') ?? 'unknown') : 'no',
        up_to_date: upToDate,
      };
      c.out.print(data, (w) => {
        w(
          installed
            ? `${path}: enabled=${data.enabled} active=${data.active}`
            : `not installed (${path}); run: agentforge service install`,
        );
        if (installed && upToDate === false)
          w(
            `out of date with config.toml; run: agentforge service install${scope === 'system' ? ' --system' : ''}`,
          );
      });
      return c.exit(EXIT.ok);
    });
}
