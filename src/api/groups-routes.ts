/** /api/groups, /api/pairing and /api/send: registering chats, approving users, sending. */
import { groupInfo, outboxInfo, pairingInfo } from './dto.js';
import type { Hono } from 'hono';
import * as z from 'zod';
import type { GroupsRepo } from '../store/groups-repo.js';
import type { OutboxRepo } from '../store/outbox-repo.js';
import type { PairingRepo } from '../store/pairing-repo.js';
import { ApiError } from './errors.js';
import { parseBody, requestSchema } from './body.js';
import { GROUP_FOLDER_RE, reservedFolder } from '../config/paths.js';

export type GroupRoutesDeps = {
  readonly groups: GroupsRepo;
  readonly pairing: PairingRepo;
  readonly outbox: OutboxRepo;
  readonly agentExists: (name: string) => boolean;
  /** True when a folder already holds a workspace or sessions (a group removed earlier). */
  readonly folderInUse: (folder: string) => boolean;
};

const addGroup = requestSchema(() =>
  z.strictObject({
    chat: z
      .union([z.string().regex(/^-?\d+$/, 'chat must be a numeric chat id'), z.number().int()])
      .transform(String),
    channel: z.enum(['telegram']).default('telegram'),
    folder: z
      .string()
      .regex(GROUP_FOLDER_RE, 'folder: lowercase letters, digits, - and _ (max 64)')
      .optional(),
    agent: z.string().min(1).optional(),
    main: z.boolean().default(false),
    trigger: z.string().min(1).optional(),
    name: z.string().min(1).max(200).optional(),
    /** Hand an earlier group's workspace and memory to this chat (the operator says so). */
    reuse_folder: z.boolean().default(false),
  }),
);
const approve = requestSchema(() =>
  z.strictObject({
    code: z.string().regex(/^[A-Za-z0-9]{8}$/, 'a pairing code is 8 letters and digits'),
  }),
);
const send = requestSchema(() =>
  z.strictObject({ group: z.string().min(1), text: z.string().min(1).max(100_000) }),
);

export function groupRoutes(api: Hono, deps: GroupRoutesDeps): void {
  const { groups } = deps;
  api.get('/groups', (c) => c.json({ groups: groups.list().map(groupInfo) }));

  api.post('/groups', async (c) => {
    const b = await parseBody(c, addGroup());
    const folder = b.folder ?? `tg${b.chat.startsWith('-') ? '' : '-'}${b.chat}`;
    if (b.agent !== undefined && !deps.agentExists(b.agent))
      throw new ApiError(404, 'agent_not_found', `no agent named ${b.agent}; see: agentforge agent list`);
    if (groups.get(folder) !== undefined)
      throw new ApiError(409, 'group_exists', `a group with folder ${folder} already exists`);
    if (groups.byChat(b.channel, b.chat) !== undefined)
      throw new ApiError(409, 'group_exists', `chat ${b.chat} is already registered`);
    const reserved = reservedFolder(folder);
    if (reserved !== undefined)
      throw new ApiError(400, 'folder_reserved', `${reserved}; choose another --folder`);
    if (!b.reuse_folder && deps.folderInUse(folder))
      throw new ApiError(
        409,
        'folder_in_use',
        `folder ${folder} still holds an earlier group's workspace and sessions; choose another --folder, or pass --reuse-folder to hand them to this chat`,
      );
    const row = groups.add(
      {
        folder,
        channel: b.channel,
        chatId: b.chat,
        agent: b.agent ?? null,
        isMain: b.main,
        trigger: b.trigger ?? null,
        name: b.name ?? null,
      },
      Date.now(),
    );
    return c.json(groupInfo(row), 201);
  });

  api.delete('/groups/:folder', (c) => {
    const folder = c.req.param('folder');
    if (!groups.remove(folder))
      throw new ApiError(404, 'group_not_found', `no group ${folder}; see: agentforge group list`);
    return c.json({ removed: folder });
  });

  api.get('/pairing', (c) => c.json({ pending: deps.pairing.pending(Date.now()).map(pairingInfo) }));

  api.post('/pairing/approve', async (c) => {
    const { code } = await parseBody(c, approve());
    const now = Date.now();
    const row = deps.pairing.approve(code, now);
    if (row === undefined)
      throw new ApiError(
        404,
        'pairing_code_unknown',
        `no live pairing code ${code.toUpperCase()} (codes expire after 1 hour); see: agentforge group pair`,
      );
    groups.approve(row.channel, row.user_id, now);
    deps.outbox.add(
      {
        channel: row.channel,
        chatId: row.chat_id,
        groupFolder: null,
        source: 'system',
        text: 'You are approved. Say hello!',
      },
      now,
    );
    return c.json({ approved: row.user_id, user_name: row.user_name, channel: row.channel });
  });

  api.post('/send', async (c) => {
    const b = await parseBody(c, send());
    const group = groups.get(b.group);
    if (group === undefined)
      throw new ApiError(404, 'group_not_found', `no group ${b.group}; see: agentforge group list`);
    const id = deps.outbox.add(
      {
        channel: group.channel,
        chatId: group.chat_id,
        groupFolder: group.folder,
        source: 'send',
        text: b.text,
      },
      Date.now(),
    );
    return c.json({ outbox_id: id, group: group.folder }, 202);
  });

  api.get('/outbox/:id', (c) => {
    const row = deps.outbox.get(Number(c.req.param('id')));
    if (row === undefined) throw new ApiError(404, 'not_found', 'no such outbox entry');
    return c.json(outboxInfo(row));
  });
}
