/** `agentforge daemon start|stop|restart|check`. */
import type { Command } from 'commander';
import { ConfigError } from '../../config/errors.js';
import { parseDuration } from '../../config/duration.js';
import { lockHolder } from '../../instance/lock.js';
import type { Ctx } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printFindings } from './doctor.js';
import { startDetached, stopDaemon } from './daemon-control.js';
import { dashboardLink, printDashboardReady } from './dashboard.js';
import { initHome } from '../../config/home.js';
import { homePaths } from '../../config/paths.js';
import { assertSafeHome, UnsafeHomeError } from '../../ops/home-safety.js';

/** The daemon may take shutdown_timeout to drain turns, plus time to stop agents and close files. */
async function stopWaitMs(c: Ctx): Promise<number> {
  try {
    return (await c.config()).daemon.shutdown_timeout + 10_000;
  } catch {
    return 40_000;
  }
}

/** Exit 6 with one line naming the fix when the home, api.token or config.toml is not ours alone. */
function refuseUnsafeHome(home: string): void {
  try {
    assertSafeHome(homePaths(home));
  } catch (err) {
    if (err instanceof UnsafeHomeError) throw new CliError(err.message, EXIT.configInvalid);
    throw err;
  }
}

export function registerDaemon(program: Command, ctx: () => Ctx): void {
  const daemon = program.command('daemon').description('run, stop and check the daemon');

  daemon
    .command('start')
    .description('start the daemon (detached; waits until it is ready and prints its pid)')
    .option(
      '--foreground',
      'run in this process (for service managers); logs stay on stdout when it is a TTY',
    )
    .action(async (opts: { foreground?: boolean }) => {
      const c = ctx();
      initHome(c.home);
      refuseUnsafeHome(c.home);
      const config = await c.config(); // exit 6 with the same text the daemon would print
      const holder = lockHolder(config.paths.lock);
      if (holder !== undefined)
        throw new CliError(`agentforge is already running (pid ${holder.pid})`, EXIT.failure);
      if (opts.foreground) {
        const { runDaemon } = await import('../../daemon/main.js');
        const { SecretError } = await import('../../config/secrets.js');
        try {
          const tty = process.stdout.isTTY === true;
          const code = await runDaemon({
            home: c.home,
            prettyToStdout: tty,
            ...(tty ? { onReady: () => printDashboardReady(c) } : {}),
          });
          // Shutdown closed everything it owns; exit now rather than wait on a straggler handle.
          process.exit(code);
        } catch (err) {
          // A secret that cannot be resolved is a configuration problem: exit 6, which the systemd
          // unit does not restart on (RestartPreventExitStatus=6), instead of a restart loop.
          if (err instanceof SecretError || err instanceof UnsafeHomeError)
            throw new CliError(err.message, EXIT.configInvalid);
          throw err;
        }
      }
      const pid = await startDetached(config.paths, c.env);
      if (c.out.format === 'json') {
        const dashboard = await dashboardLink(c).then(
          (l) => l.url,
          () => null,
        );
        c.out.print({ started: true, pid, home: c.home, dashboard }, () => undefined);
        return c.exit(EXIT.ok);
      }
      c.out.line(`agentforge started (pid ${pid}, home ${c.home})`);
      // This is the operator's own terminal (or script): the link itself is theirs to see.
      await printDashboardReady(c);
      return c.exit(EXIT.ok);
    });

  daemon
    .command('stop')
    .description('stop the daemon: SIGTERM, wait for running turns, report')
    .option('--timeout <duration>', 'how long to wait for it to exit (default: shutdown_timeout + 10s)')
    .action(async (opts: { timeout?: string }) => {
      const c = ctx();
      const timeoutMs = opts.timeout === undefined ? await stopWaitMs(c) : parseDuration(opts.timeout);
      if (timeoutMs === undefined)
        throw new CliError(`--timeout: expected a duration like "30s", got "${opts.timeout}"`, EXIT.usage);
      const stopped = await stopDaemon(c.paths(), timeoutMs);
      if (stopped === undefined) {
        c.out.print({ stopped: false, running: false }, (w) => w('agentforge is not running'));
        return c.exit(EXIT.notRunning);
      }
      c.out.print({ stopped: true, pid: stopped.pid, waited_ms: stopped.waitedMs }, (w) =>
        w(`agentforge stopped (pid ${stopped.pid}, ${(stopped.waitedMs / 1000).toFixed(1)}s)`),
      );
      return c.exit(EXIT.ok);
    });

  daemon
    .command('restart')
    .description('stop the daemon if it runs, then start it')
    .option(
      '--timeout <duration>',
      'how long to wait for the old one to exit (default: shutdown_timeout + 10s)',
    )
    .action(async (opts: { timeout?: string }) => {
      const c = ctx();
      refuseUnsafeHome(c.home);
      const config = await c.config();
      const stopped = await stopDaemon(
        config.paths,
        (opts.timeout === undefined ? undefined : parseDuration(opts.timeout)) ?? (await stopWaitMs(c)),
      );
      const pid = await startDetached(config.paths, c.env);
      c.out.print({ restarted: true, previous_pid: stopped?.pid ?? null, pid }, (w) =>
        w(`agentforge restarted (pid ${pid}${stopped ? `, was ${stopped.pid}` : ''})`),
      );
      return c.exit(EXIT.ok);
    });

  daemon
    .command('check')
    .description('preflight without serving: home permissions, config, database and migrations')
    .action(async () => {
      const c = ctx();
      let config;
      try {
        config = (await import('../../config/load.js')).loadConfig(c.home);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        config = err;
      }
      const { preflight, UNSAFE_HOME_IDS } = await import('../../ops/preflight.js');
      const findings = await preflight(c.paths(), config);
      const failed = findings.filter((f) => f.severity === 'error');
      c.out.print({ ok: failed.length === 0, findings }, (w) => printFindings(w, findings));
      // An unsafe home is a configuration problem like a bad config: the daemon would refuse it.
      if (config instanceof ConfigError || failed.some((f) => UNSAFE_HOME_IDS.has(f.id)))
        return c.exit(EXIT.configInvalid);
      return c.exit(failed.length === 0 ? EXIT.ok : EXIT.failure);
    });
}
