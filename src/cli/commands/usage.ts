/** `agentforge usage …`: what the agents spent, and the operator's word on a paused budget. */
import type { Command } from 'commander';
import { parseDuration } from '../../config/duration.js';
import type { UsageReport } from '../../contract.js';
import type { Ctx } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';

type Row = UsageReport['rows'][number];

const money = (r: Pick<Row, 'cost' | 'currency' | 'estimated'>): string =>
  r.currency === null ? '-' : `${r.cost.toFixed(4)} ${r.currency}${r.estimated > 0 ? ' (est.)' : ''}`;

export function registerUsage(program: Command, ctx: () => Ctx): void {
  const usage = program
    .command('usage')
    .description('what the agents spent, per day, agent, group and task')
    .option('--group <folder>', 'only this group')
    .option('--agent <name>', 'only this agent')
    .option('--since <duration>', 'from the local day this long ago, e.g. 7d (default: everything)')
    .action(async (o: { group?: string; agent?: string; since?: string }) => {
      const c = ctx();
      if (o.since !== undefined && parseDuration(o.since) === undefined)
        throw new CliError(`--since: expected a duration like "7d" or "12h", got "${o.since}"`, EXIT.usage);
      const q = new URLSearchParams();
      if (o.group !== undefined) q.set('group', o.group);
      if (o.agent !== undefined) q.set('agent', o.agent);
      if (o.since !== undefined) q.set('since', o.since);
      const r = await c.call<UsageReport>('GET', `/api/usage${q.size > 0 ? `?${q.toString()}` : ''}`);
      c.out.print(r, (w) => {
        if (r.rows.length === 0) {
          w(`no usage recorded${r.since === null ? '' : ` since ${r.since}`}`);
          return;
        }
        w(`day         agent        group        task         turns  tokens in/out/total        cost`);
        for (const row of r.rows)
          w(
            `${row.day}  ${row.agent.padEnd(12)} ${row.group.padEnd(12)} ${(row.task ?? '-').padEnd(12)} ${String(row.turns).padStart(5)}  ${`${row.input_tokens}/${row.output_tokens}/${row.total_tokens}`.padEnd(25)} ${money(row)}`,
          );
        const totals = new Map<string, { cost: number; estimated: number }>();
        let tokens = 0;
        for (const row of r.rows) {
          tokens += row.total_tokens;
          if (row.currency === null) continue;
          const t = totals.get(row.currency) ?? { cost: 0, estimated: 0 };
          totals.set(row.currency, { cost: t.cost + row.cost, estimated: t.estimated + row.estimated });
        }
        const spent = [...totals].map(([currency, t]) => money({ currency, ...t })).join(' + ') || 'no cost';
        w(`total: ${tokens} tokens, ${spent} (days in ${r.timezone})`);
      });
      return c.exit(EXIT.ok);
    });

  usage
    .command('continue')
    .description('let a group or agent that a soft budget paused go on (adds its extend for this period)')
    .option('--group <folder>', 'the paused group')
    .option('--agent <name>', 'the paused agent')
    .action(async (own: { group?: string; agent?: string }) => {
      const c = ctx();
      // Global options reach the parent first: `usage continue --group G` sets usage's --group.
      const o = { ...usage.opts<{ group?: string; agent?: string }>(), ...own };
      if ((o.group === undefined) === (o.agent === undefined))
        throw new CliError('give exactly one of --group or --agent', EXIT.usage);
      const r = await c.call<{ continued: string[] }>('POST', '/api/usage/continue', {
        ...(o.group !== undefined ? { group: o.group } : { agent: o.agent }),
      });
      c.out.print(r, (w) => {
        for (const line of r.continued) w(`continued: ${line}`);
      });
      return c.exit(EXIT.ok);
    });
}
