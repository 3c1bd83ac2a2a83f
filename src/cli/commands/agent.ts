/** `agentforge agent list|test` and `agentforge chat`. */
import type { Command } from 'commander';
import type { AgentInfo, AgentTestReport } from '../../contract.js';
import { createInterface } from 'node:readline';
import { readSse } from '../../net/uds-sse.js';
import type { Ctx } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';

export function registerAgent(program: Command, ctx: () => Ctx): void {
  const agent = program.command('agent').description('configured agents');
  agent
    .command('list')
    .description('list agents and whether their command is found')
    .action(async () => {
      const c = ctx();
      const { agents } = await c.call<{ agents: AgentInfo[] }>('GET', '/api/agents');
      c.out.print({ agents }, (w) => {
        for (const a of agents) {
          w(
            `${a.default ? '*' : ' '} ${a.name.padEnd(10)} ${[a.command, ...a.args].join(' ')}${a.resolved ? '' : '  (not found on PATH)'}${a.version ? `  ${a.version}` : ''}  permissions=${a.permission_mode}${a.session_mode ? ` mode=${a.session_mode}` : ''}`,
          );
          for (const warning of a.warnings) w(`    warning: ${warning}`);
        }
      });
      return c.exit(EXIT.ok);
    });
  agent
    .command('test <name>')
    .description('spawn the agent, run the ACP handshake, print its capabilities, stop it')
    .action(async (name: string) => {
      const c = ctx();
      const r = await c.call<AgentTestReport>('POST', `/api/agents/${encodeURIComponent(name)}/test`);
      c.out.print(r, (w) => {
        if (r.ok) {
          w(
            `${r.agent}: ok in ${r.duration_ms} ms, ${r.agent_info?.name ?? '?'} ${r.agent_info?.version ?? ''}\ncapabilities: ${JSON.stringify(r.capabilities)}`,
          );
          w(
            `modes offered: ${r.modes?.length ? r.modes.join(', ') : 'none'}; permission_mode=${r.permission_mode} uses ${r.mode ? `mode ${r.mode}` : "the agent's own mode"}`,
          );
        } else w(`${r.agent}: FAILED (${r.error?.kind}): ${r.error?.message}`);
        for (const warning of r.warnings) w(`warning: ${warning}`);
      });
      return c.exit(r.ok ? EXIT.ok : EXIT.failure);
    });

  program
    .command('chat')
    .description('interactive chat with an agent through the daemon (streams the reply)')
    .option('--agent <name>', 'agent for a new session')
    .option('--session <id>', 'continue an existing session')
    .action(async (opts: { agent?: string; session?: string }) => {
      const c = ctx();
      const id =
        opts.session ?? (await c.call<{ id: string }>('POST', '/api/sessions', { agent: opts.agent })).id;
      const { events } = await c.call<{ events: Array<{ seq: number }> }>(
        'GET',
        `/api/sessions/${id}/events?after=0&limit=1000000`,
      );
      const last = events[events.length - 1]?.seq ?? 0;
      const stop = new AbortController();
      let turnDone: (() => void) | undefined;
      let opened!: () => void;
      const open = new Promise<void>((resolve) => (opened = resolve));
      const stream = readSse({
        socketPath: c.paths().socket,
        path: `/api/sessions/${id}/events`,
        token: c.token(),
        lastEventId: String(last),
        signal: stop.signal,
        onOpen: () => opened(),
        onEvent: (e) => {
          const ev = JSON.parse(e.data) as { kind: string; data: Record<string, unknown> };
          const content = ev.data['content'] as { type?: string; text?: string } | undefined;
          if (
            ev.kind === 'update' &&
            ev.data['sessionUpdate'] === 'agent_message_chunk' &&
            content?.type === 'text'
          )
            process.stdout.write(content.text ?? '');
          if (ev.kind === 'permission_asked')
            process.stdout.write(
              `\n[permission requested: ${String(ev.data['title'])} — agentforge session approve ${id}]\n`,
            );
          if (ev.kind === 'failure')
            process.stdout.write(
              `\n[turn failed (${String(ev.data['kind'])}): ${String(ev.data['message'])}]`,
            );
          if (ev.kind === 'turn_end' || ev.kind === 'failure') {
            process.stdout.write('\n');
            turnDone?.();
          }
        },
      }).catch((err: Error) => {
        throw new CliError(err.message);
      });
      await open;
      if (process.stdin.isTTY) process.stdout.write(`session ${id} — type a message, Ctrl-D to quit\n`);
      const rl = createInterface({ input: process.stdin, terminal: false });
      for await (const line of rl) {
        if (line.trim() === '') continue;
        const done = new Promise<void>((resolve) => (turnDone = resolve));
        await c.call('POST', `/api/sessions/${id}/prompt`, { text: line, wait: true }).catch(() => undefined);
        await done;
      }
      stop.abort();
      await stream;
      return c.exit(EXIT.ok);
    });
}
