/** `agentforge init`, `status`, `version`. */
import type { Command } from 'commander';
import { initHome } from '../../config/home.js';
import type { Status } from '../../contract.js';
import { BUILD } from '../../version.js';
import type { Ctx } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { formatBytes, formatUptime } from '../output.js';

export function registerBasics(program: Command, ctx: () => Ctx): void {
  program
    .command('init')
    .description('create the home (0700), a commented config.toml and the API token (0600)')
    .action(() => {
      const c = ctx();
      const { paths, created } = initHome(c.home);
      c.out.print({ home: paths.home, config: paths.config, created }, (w) => {
        w(
          created.length === 0
            ? `home ${paths.home} already set up; nothing changed`
            : `initialised ${paths.home}`,
        );
        for (const p of created) w(`  created ${p}`);
        w('next: agentforge daemon start');
      });
      return c.exit(EXIT.ok);
    });

  program
    .command('status')
    .description('is the daemon running, and how is it doing')
    .action(async () => {
      const c = ctx();
      let status: Status;
      try {
        status = await c.call<Status>('GET', '/api/status');
      } catch (err) {
        if (err instanceof CliError && err.exitCode === EXIT.notRunning) {
          c.out.print({ running: false, home: c.home }, (w) =>
            w(`agentforge is not running (home ${c.home}); start it with: agentforge daemon start`),
          );
          return c.exit(EXIT.notRunning);
        }
        throw err;
      }
      c.out.print(status, (w) => printStatus(w, status));
      return c.exit(EXIT.ok);
    });

  program
    .command('version')
    .description('print the version, git sha and Node version')
    .action(() => {
      const c = ctx();
      const data = { version: BUILD.version, git_sha: BUILD.gitSha, node: process.versions.node };
      c.out.print(data, (w) => w(`agentforge ${data.version} (${data.git_sha}) on Node ${data.node}`));
      return c.exit(EXIT.ok);
    });
}

function printStatus(w: (line: string) => void, s: Status): void {
  w(`agentforge ${s.version} (${s.git_sha}) running, pid ${s.pid}, up ${formatUptime(s.uptime_s)}`);
  w(`  ready      ${s.ready.ready ? 'yes' : `no: ${s.ready.reasons.join(', ')}`}`);
  w(`  home       ${s.home}`);
  w(`  http       ${s.http.port === null ? 'off (socket only)' : `${s.http.host}:${s.http.port}`}`);
  w(
    `  sessions   ${s.sessions.active} active, ${s.sessions.idle} idle, ${s.sessions.live_agents} live agents`,
  );
  w(`  queue      ${s.queue.depth}`);
  for (const ch of s.channels) {
    w(
      `  ${ch.name.padEnd(10)} ${ch.enabled ? (ch.connected ? 'connected' : 'disconnected') : 'disabled'}${ch.last_poll_at ? `, last poll ${ch.last_poll_at}` : ''}${ch.error ? `, error: ${ch.error}` : ''}`,
    );
    const d = Object.entries(ch.details ?? {}).filter(([, v]) => v !== null);
    if (d.length > 0) w(`             ${d.map(([k, v]) => `${k}=${String(v)}`).join(' ')}`);
  }
  w(
    `  outbox     ${s.deliveries.pending} pending, ${s.deliveries.sent} sent, ${s.deliveries.failed} failed for good${s.deliveries.failed > 0 ? ' (see agentforge logs --level error)' : ''}`,
  );
  w(`  scheduler  ${s.scheduler.tasks} task(s), next due ${s.scheduler.next_due_at ?? 'none'}`);
  for (const f of s.scheduler.recent_failures)
    w(
      `             failed ${f.at} task ${f.task_id} (${f.group}): ${f.kind ?? ''} ${(f.error ?? '').slice(0, 100)}`,
    );
  w(`  database   ${formatBytes(s.db.size_bytes)} (+${formatBytes(s.db.wal_bytes)} WAL)`);
  w(`  disk       ${formatBytes(s.disk.free_bytes)} free of ${formatBytes(s.disk.total_bytes)}`);
  w(
    `  backup     ${s.last_backup ? `${s.last_backup.at} (${formatUptime(s.last_backup.age_s)} ago)` : 'none yet'}`,
  );
  if (s.budgets !== undefined) for (const l of spendLines(s.budgets)) w(`  spend      ${l}`);
  for (const a of s.sandbox ?? [])
    w(
      `  sandbox    ${a.agent}: ${a.sandboxed ? 'bwrap' : `none${a.mode === 'none' ? ' (sandbox = "none")' : ` (WARNING: not sandboxed: ${a.reason ?? 'unknown'})`}`}`,
    );
  if (s.last_shutdown === 'unclean')
    w('  note       the previous run did not stop cleanly (crash or kill -9); recovered at boot');
}

const costs = (c: Readonly<Record<string, number>>): string =>
  Object.keys(c).length === 0
    ? 'no cost'
    : Object.entries(c)
        .map(([cur, n]) => `${n.toFixed(2)} ${cur}`)
        .join(' + ');

/** Today's and this month's spend, then each budget against it. */
function spendLines(b: NonNullable<Status['budgets']>): string[] {
  const lines = [
    `today ${costs(b.today.costs)}, ${b.today.tokens} tokens; this month ${costs(b.month.costs)}, ${b.month.tokens} tokens (${b.timezone})`,
  ];
  for (const l of b.limits) {
    const fmt = (n: number): string =>
      l.unit === 'tokens' ? `${Math.round(n)} tokens` : `${n.toFixed(2)} ${l.unit}`;
    const state =
      l.state === 'ok'
        ? ''
        : `  ${l.state === 'refusing' ? 'REFUSING turns' : l.state === 'asked' ? 'PAUSED, asked in the chat' : 'PAUSED (stopped)'}`;
    lines.push(
      `${l.mode} ${l.period === 'day' ? 'daily' : 'monthly'} budget of ${l.scope} ${l.name}: ${fmt(l.spent)} of ${fmt(l.limit)}${state}`,
    );
  }
  return lines;
}
