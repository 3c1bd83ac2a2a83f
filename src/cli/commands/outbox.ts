/** `agentforge outbox list|retry`: deliveries that failed or wait, and sending one again. */
import type { Command } from 'commander';
import type { Ctx } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';

type Row = {
  id: number;
  channel: string;
  chat_id: string;
  group_folder: string | null;
  text: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
};

const line = (r: Row): string =>
  `#${r.id}  ${r.status.padEnd(7)} ${(r.group_folder ?? r.chat_id).padEnd(12)} attempts ${r.attempts}  ${r.last_error ?? '-'}  ${r.text.slice(0, 50).replace(/\n/g, ' ')}`;

export function registerOutbox(program: Command, ctx: () => Ctx): void {
  const outbox = program.command('outbox').description('outgoing deliveries that failed or are waiting');

  outbox
    .command('list')
    .description('failed deliveries (default), or pending ones that failed an attempt or are paced')
    .option('--pending', 'list pending deliveries that are retrying or waiting instead')
    .action(async (o: { pending?: boolean }) => {
      const c = ctx();
      const { rows } = await c.call<{ rows: Row[] }>(
        'GET',
        `/api/outbox?status=${o.pending ? 'pending' : 'failed'}`,
      );
      c.out.print({ rows }, (w) => {
        if (rows.length === 0) w(o.pending ? 'no deliveries waiting' : 'no failed deliveries');
        for (const r of rows) w(line(r));
      });
      return c.exit(EXIT.ok);
    });

  outbox
    .command('retry <id>')
    .description('send a failed delivery again now (parts already delivered are not resent)')
    .action(async (id: string) => {
      const c = ctx();
      if (!/^\d+$/.test(id.replace(/^#/, '')))
        throw new CliError(`expected an outbox id like 12, got "${id}"`, EXIT.usage);
      const row = await c.call<Row>('POST', `/api/outbox/${id.replace(/^#/, '')}/retry`);
      c.out.print(row, (w) => w(`outbox #${row.id} queued again`));
      return c.exit(EXIT.ok);
    });
}
