/** `agentforge session …`: durable agent sessions, through the daemon. */
import type { Command } from 'commander';
import type { SessionDetail, SessionEventInfo, SessionInfo, SessionListItem } from '../../contract.js';
import { readSse } from '../../net/uds-sse.js';
import type { Ctx } from '../context.js';
import { toolLabel } from '../../sessions/tool-identity.js';
import { CliError, EXIT } from '../exit-codes.js';

/** The CLI reads an event's data as a record; an update's fields are looked up by name. */
type Event = SessionEventInfo & { readonly data: Record<string, unknown> };

const enc = encodeURIComponent;

export function describeEvent(e: Event): string {
  const d = e.data;
  if (e.kind === 'update') {
    const content = d['content'] as { type?: string; text?: string } | undefined;
    if (d['sessionUpdate'] === 'agent_message_chunk' && content?.type === 'text')
      return `agent: ${content.text ?? ''}`;
    if (d['sessionUpdate'] === 'tool_call' || d['sessionUpdate'] === 'tool_call_update') {
      const text = (v: unknown): string => (typeof v === 'string' ? v : '');
      const name = toolLabel(d) ?? '?';
      const parts = [name, d['kind'] === undefined ? '' : `(${text(d['kind'])})`, text(d['status'])];
      const title = typeof d['title'] === 'string' && d['title'] !== name ? `: ${d['title']}` : '';
      return `${text(d['sessionUpdate'])} ${text(d['toolCallId'])} ${parts.filter(Boolean).join(' ')}${title}`;
    }
    return `update: ${String(d['sessionUpdate'])}`;
  }
  if (e.kind === 'prompt') return `prompt: ${String(d['text'])}`;
  if (e.kind === 'failure') return `failure (${String(d['kind'])}): ${String(d['message'])}`;
  if (e.kind === 'permission')
    return `permission ${d['allow'] === true ? 'allowed' : 'refused'} by ${String(d['by'])}: ${String(d['tool'] ?? d['kind'])} "${String(d['title'])}"`;
  return `${e.kind}: ${JSON.stringify(d)}`;
}

export function registerSession(program: Command, ctx: () => Ctx): void {
  const session = program.command('session').description('durable agent sessions');

  session
    .command('new')
    .description('create a session (the agent starts on the first prompt)')
    .option('--agent <name>', 'agent to use (default: the default agent)')
    .option('--group <folder>', 'group folder whose workspace the agent works in', 'cli')
    .action(async (opts: { agent?: string; group: string }) => {
      const c = ctx();
      const row = await c.call<SessionInfo>('POST', '/api/sessions', {
        agent: opts.agent,
        group: opts.group,
      });
      c.out.print(row, (w) => w(row.id));
      return c.exit(EXIT.ok);
    });

  session
    .command('list')
    .description('list sessions')
    .action(async () => {
      const c = ctx();
      const { sessions } = await c.call<{ sessions: SessionListItem[] }>('GET', '/api/sessions');
      c.out.print({ sessions }, (w) => {
        if (sessions.length === 0) w('no sessions; create one with: agentforge session new');
        for (const s of sessions) {
          w(
            `${s.id}  ${s.agent.padEnd(8)} ${s.group_folder.padEnd(10)} ${s.state.padEnd(8)} ${(s.live ?? '').padEnd(8)} turns=${s.turns}${s.last_error_kind ? ` last_error=${s.last_error_kind}` : ''}`,
          );
        }
      });
      return c.exit(EXIT.ok);
    });

  session
    .command('show <id>')
    .description('show one session')
    .action(async (id: string) => {
      const c = ctx();
      const row = await c.call<SessionDetail>('GET', `/api/sessions/${enc(id)}`);
      c.out.print(row, (w) => {
        w(
          `${row.id}: agent ${row.agent}, group ${row.group_folder}, ${row.state}, ${row.live}, ${row.turns} turn(s), ${row.queued ?? 0} queued`,
        );
        if (row.last_error_kind) w(`  last error (${row.last_error_kind}): ${row.last_error}`);
        for (const p of row.pending_permissions)
          w(
            `  waiting for approval: ${p.id} ${p.kind} "${p.title}" (agentforge session approve ${row.id} ${p.id})`,
          );
      });
      return c.exit(EXIT.ok);
    });

  session
    .command('prompt <id> <text...>')
    .description('send a prompt and print the reply')
    .option('--interrupt', 'cancel the running turn instead of queueing behind it')
    .option('--no-wait', 'queue the prompt and return at once')
    .action(async (id: string, words: string[], opts: { interrupt?: boolean; wait: boolean }) => {
      const c = ctx();
      const res = await c.call<{ reply?: string; turn?: number; stop_reason?: string; queued?: boolean }>(
        'POST',
        `/api/sessions/${enc(id)}/prompt`,
        {
          text: words.join(' '),
          mode: opts.interrupt ? 'interrupt' : 'queue',
          wait: opts.wait,
        },
      );
      c.out.print(res, (w) => w(res.queued ? 'queued' : (res.reply ?? '')));
      return c.exit(EXIT.ok);
    });

  for (const [name, desc] of [
    ['cancel', 'cancel the running turn'],
    ['stop', 'stop the agent and fail queued prompts; the session stays resumable'],
    ['resume', 'start the agent again, restoring the ACP session when the agent supports it'],
  ] as const) {
    session
      .command(`${name} <id>`)
      .description(desc)
      .action(async (id: string) => {
        const c = ctx();
        const res = await c.call<Record<string, unknown>>('POST', `/api/sessions/${enc(id)}/${name}`);
        c.out.print(res, (w) =>
          w(
            `${name}: ${id}${name === 'cancel' && res['cancelled'] === false ? ' (no turn was running)' : ''}`,
          ),
        );
        return c.exit(EXIT.ok);
      });
  }

  session
    .command('rm <id>')
    .description('remove a session and its event log')
    .action(async (id: string) => {
      const c = ctx();
      const res = await c.call<{ removed: string }>('DELETE', `/api/sessions/${enc(id)}`);
      c.out.print(res, (w) => w(`removed ${res.removed}`));
      return c.exit(EXIT.ok);
    });

  session
    .command('approve <id> [request]')
    .description('answer a pending permission request (the oldest when no request id is given)')
    .option('--deny', 'reject instead of allowing')
    .action(async (id: string, request: string | undefined, opts: { deny?: boolean }) => {
      const c = ctx();
      const res = await c.call<{ request: { id: string; title: string } }>(
        'POST',
        `/api/sessions/${enc(id)}/approve`,
        { request_id: request, allow: !opts.deny, via: 'cli' },
      );
      c.out.print(res, (w) =>
        w(`${opts.deny ? 'denied' : 'approved'} ${res.request.id} "${res.request.title}"`),
      );
      return c.exit(EXIT.ok);
    });

  session
    .command('events <id>')
    .description('print the session event log')
    .option('-f, --follow', 'keep streaming new events')
    .option('--after <seq>', 'only events after this sequence number', '0')
    .action(async (id: string, opts: { follow?: boolean; after: string }) => {
      const c = ctx();
      // Following prints one event per line: JSON Lines with -o json.
      const print = (e: Event): void =>
        c.out.line(
          c.out.format === 'json'
            ? JSON.stringify(e)
            : `#${e.seq} ${new Date(e.ts).toISOString().slice(11, 23)} ${describeEvent(e)}`,
        );
      if (!opts.follow) {
        // Page through the whole log: the API returns at most 1000 events a call.
        const all: Event[] = [];
        for (let after = opts.after; ;) {
          const { events } = await c.call<{ events: Event[] }>(
            'GET',
            `/api/sessions/${enc(id)}/events?after=${enc(after)}&limit=1000`,
          );
          all.push(...events);
          if (events.length < 1000) break;
          after = String(events[events.length - 1]?.seq ?? after);
        }
        c.out.print({ events: all }, (w) => {
          for (const e of all)
            w(`#${e.seq} ${new Date(e.ts).toISOString().slice(11, 23)} ${describeEvent(e)}`);
        });
        return c.exit(EXIT.ok);
      }
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      try {
        await readSse({
          socketPath: c.paths().socket,
          path: `/api/sessions/${enc(id)}/events`,
          token: c.token(),
          lastEventId: opts.after,
          signal: stop.signal,
          onEvent: (e) => print(JSON.parse(e.data) as Event),
        });
      } catch (err) {
        throw new CliError((err as Error).message, EXIT.failure);
      }
      return c.exit(EXIT.ok);
    });
}
