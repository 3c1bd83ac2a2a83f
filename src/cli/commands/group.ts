/** `agentforge group add|list|rm|pair|approve` and `agentforge send`. */
import type { Command } from 'commander';
import type { GroupInfo, PairingInfo } from '../../contract.js';
import type { Ctx } from '../context.js';
import { EXIT } from '../exit-codes.js';

export function registerGroup(program: Command, ctx: () => Ctx): void {
  const group = program.command('group').description('registered chats and who may talk');

  group
    .command('add <chat>')
    .description('register a chat (Telegram chat id) and bind it to an agent and a folder')
    .option('--main', "mark it as the operator's main group (answers everything)")
    .option('--folder <folder>', 'folder under groups/ (default: tg-<chat id>)')
    .option('--agent <name>', 'agent (default: the default agent)')
    .option('--trigger <text>', 'trigger word in this group, e.g. @Andy')
    .option('--name <name>', 'a label')
    .option('--reuse-folder', "hand an earlier group's workspace and memory in that folder to this chat")
    .action(
      async (
        chat: string,
        o: {
          main?: boolean;
          folder?: string;
          agent?: string;
          trigger?: string;
          name?: string;
          reuseFolder?: boolean;
        },
      ) => {
        const c = ctx();
        const row = await c.call<GroupInfo>('POST', '/api/groups', {
          chat,
          main: o.main === true,
          folder: o.folder,
          agent: o.agent,
          trigger: o.trigger,
          name: o.name,
          reuse_folder: o.reuseFolder === true,
        });
        c.out.print(row, (w) =>
          w(`registered chat ${row.chat_id} as group ${row.folder}${row.is_main ? ' (main)' : ''}`),
        );
        return c.exit(EXIT.ok);
      },
    );

  group
    .command('list')
    .description('list registered groups')
    .action(async () => {
      const c = ctx();
      const { groups } = await c.call<{ groups: GroupInfo[] }>('GET', '/api/groups');
      c.out.print({ groups }, (w) => {
        if (groups.length === 0) w('no groups yet; register one with: agentforge group add CHAT_ID --main');
        for (const g of groups)
          w(
            `${g.folder.padEnd(20)} ${g.channel} ${g.chat_id.padEnd(16)} ${g.is_main ? 'main ' : g.is_dm ? 'dm   ' : '     '}agent=${g.agent ?? '(default)'}${g.trigger ? ` trigger=${g.trigger}` : ''}`,
          );
      });
      return c.exit(EXIT.ok);
    });

  group
    .command('rm <folder>')
    .description('unregister a group (its folder and sessions are kept)')
    .action(async (folder: string) => {
      const c = ctx();
      const res = await c.call<{ removed: string }>('DELETE', `/api/groups/${encodeURIComponent(folder)}`);
      c.out.print(res, (w) => w(`removed group ${res.removed}`));
      return c.exit(EXIT.ok);
    });

  group
    .command('pair')
    .description('list pending pairing codes from unknown users')
    .action(async () => {
      const c = ctx();
      const { pending } = await c.call<{ pending: PairingInfo[] }>('GET', '/api/pairing');
      c.out.print({ pending }, (w) => {
        if (pending.length === 0) w('no pending pairing codes');
        for (const p of pending)
          w(
            `${p.code}  user ${p.user_id} ${p.user_name ?? ''}  expires ${new Date(p.expires_at).toISOString()}`,
          );
      });
      return c.exit(EXIT.ok);
    });

  group
    .command('approve <code>')
    .description('approve a user by the pairing code they received')
    .action(async (code: string) => {
      const c = ctx();
      const res = await c.call<{ approved: string; user_name: string | null }>(
        'POST',
        '/api/pairing/approve',
        { code },
      );
      c.out.print(res, (w) =>
        w(`approved user ${res.approved}${res.user_name ? ` (${res.user_name})` : ''}`),
      );
      return c.exit(EXIT.ok);
    });

  program
    .command('send <group> <text...>')
    .description('deliver a message to a group through the outbox, without running an agent')
    .action(async (folder: string, words: string[]) => {
      const c = ctx();
      const res = await c.call<{ outbox_id: number }>('POST', '/api/send', {
        group: folder,
        text: words.join(' '),
      });
      c.out.print(res, (w) => w(`queued for delivery (outbox #${res.outbox_id})`));
      return c.exit(EXIT.ok);
    });
}
