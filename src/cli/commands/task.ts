/** `agentforge task …`: scheduled work. */
import type { Command } from 'commander';
import type { TaskInfo as Task, TaskRunInfo as Run } from '../../contract.js';
import type { Ctx } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';

const when = (t: number | null): string =>
  t === null ? '-' : new Date(t).toISOString().replace('.000Z', 'Z');
const line = (t: Task): string =>
  `${t.id}  ${t.status.padEnd(9)} ${t.group_folder.padEnd(12)} ${t.schedule_type} "${t.schedule_value}" (${t.timezone})  next ${when(t.next_run_at)}  ${t.prompt.slice(0, 60)}`;
const enc = encodeURIComponent;

export function registerTask(program: Command, ctx: () => Ctx): void {
  const task = program.command('task').description('scheduled tasks');

  task
    .command('add <prompt...>')
    .description('schedule a prompt: exactly one of --cron, --every, --at')
    .option('--group <folder>', 'group whose session runs it', 'cli')
    .option('--cron <expr>', '5-field cron, e.g. "0 9 * * 1-5"')
    .option('--every <duration>', 'interval, e.g. 30m')
    .option('--at <iso>', 'once, at an ISO time')
    .option('--tz <zone>', 'IANA time zone for cron (default: [scheduler] timezone)')
    .option('--isolated', 'run in a fresh session instead of the group session')
    .action(
      async (
        words: string[],
        o: { group: string; cron?: string; every?: string; at?: string; tz?: string; isolated?: boolean },
      ) => {
        const c = ctx();
        const chosen = [
          o.cron && ['cron', o.cron],
          o.every && ['interval', o.every],
          o.at && ['once', o.at],
        ].filter(Boolean) as string[][];
        if (chosen.length !== 1)
          throw new CliError('give exactly one of --cron, --every or --at', EXIT.usage);
        const [type, value] = chosen[0] as [string, string];
        const t = await c.call<Task>('POST', '/api/tasks', {
          group: o.group,
          prompt: words.join(' '),
          schedule_type: type,
          schedule_value: value,
          timezone: o.tz,
          context_mode: o.isolated ? 'isolated' : undefined,
        });
        c.out.print(t, (w) => w(`scheduled ${line(t)}`));
        return c.exit(EXIT.ok);
      },
    );

  task
    .command('preview')
    .description('the next run times of a schedule, without adding a task: one of --cron, --every, --at')
    .option('--cron <expr>', '5-field cron, e.g. "0 9 * * 1-5"')
    .option('--every <duration>', 'interval, e.g. 30m')
    .option('--at <iso>', 'once, at an ISO time')
    .option('--tz <zone>', 'IANA time zone for cron (default: [scheduler] timezone)')
    .option('--count <n>', 'how many run times (1-20)', '5')
    .action(async (o: { cron?: string; every?: string; at?: string; tz?: string; count: string }) => {
      const c = ctx();
      const chosen = [
        o.cron && ['cron', o.cron],
        o.every && ['interval', o.every],
        o.at && ['once', o.at],
      ].filter(Boolean) as string[][];
      if (chosen.length !== 1) throw new CliError('give exactly one of --cron, --every or --at', EXIT.usage);
      const [type, value] = chosen[0] as [string, string];
      const q = new URLSearchParams({ schedule_type: type, schedule_value: value, count: o.count });
      if (o.tz !== undefined) q.set('timezone', o.tz);
      const r = await c.call<{ timezone: string; next: string[] }>(
        'GET',
        `/api/tasks/preview?${q.toString()}`,
      );
      c.out.print(r, (w) => {
        w(`next runs (${r.timezone}):`);
        for (const t of r.next) w(`  ${t}`);
      });
      return c.exit(EXIT.ok);
    });

  task
    .command('list')
    .description('list tasks')
    .option('--group <folder>', 'only this group')
    .action(async (o: { group?: string }) => {
      const c = ctx();
      const { tasks } = await c.call<{ tasks: Task[] }>(
        'GET',
        `/api/tasks${o.group ? `?group=${enc(o.group)}` : ''}`,
      );
      c.out.print({ tasks }, (w) => {
        if (tasks.length === 0) w('no tasks');
        for (const t of tasks) w(line(t));
      });
      return c.exit(EXIT.ok);
    });

  task
    .command('show <id>')
    .description('show a task')
    .action(async (id: string) => {
      const c = ctx();
      const t = await c.call<Task>('GET', `/api/tasks/${enc(id)}`);
      c.out.print(t, (w) => w(`${line(t)}\n  context ${t.context_mode}\n  prompt  ${t.prompt}`));
      return c.exit(EXIT.ok);
    });

  for (const [name, method, suffix, desc] of [
    ['pause', 'POST', '/pause', 'pause a task'],
    ['resume', 'POST', '/resume', 'resume a paused task (missed runs are not made up)'],
    ['rm', 'DELETE', '', 'cancel a task'],
  ] as const) {
    task
      .command(`${name} <id>`)
      .description(desc)
      .action(async (id: string) => {
        const c = ctx();
        const t = await c.call<Task>(method, `/api/tasks/${enc(id)}${suffix}`);
        c.out.print(t, (w) => w(line(t)));
        return c.exit(EXIT.ok);
      });
  }

  task
    .command('run-now <id>')
    .description('run a task once now (its schedule is unchanged)')
    .action(async (id: string) => {
      const c = ctx();
      const r = await c.call<{ run_id: number }>('POST', `/api/tasks/${enc(id)}/run-now`);
      c.out.print(r, (w) => w(`started run #${r.run_id}; see: agentforge task runs ${id}`));
      return c.exit(EXIT.ok);
    });

  task
    .command('runs <id>')
    .description('run history of a task, newest first')
    .option('--limit <n>', 'how many', '20')
    .action(async (id: string, o: { limit: string }) => {
      const c = ctx();
      const { runs } = await c.call<{ runs: Run[] }>(
        'GET',
        `/api/tasks/${enc(id)}/runs?limit=${enc(o.limit)}`,
      );
      c.out.print({ runs }, (w) => {
        if (runs.length === 0) w('no runs yet');
        for (const r of runs) {
          w(
            `#${r.id} ${when(r.scheduled_for)} ${r.status.padEnd(7)} attempt ${r.attempt}${r.duration_ms === null ? '' : ` ${r.duration_ms} ms`}${r.error ? `  ${r.error_kind ?? ''} ${r.error}` : r.result_excerpt ? `  ${r.result_excerpt.slice(0, 80)}` : ''}`,
          );
        }
      });
      return c.exit(EXIT.ok);
    });
}
