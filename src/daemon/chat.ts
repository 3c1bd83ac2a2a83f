/**
 * Wires the chat side: the inbox (who may talk, durable storage), the per-group turn queue, the
 * outbox worker and the enabled channels; puts the supervisor's permission requests and lost
 * resumes to the group's chat. Part of the composition root.
 */
import type { Logger } from 'pino';
import { formatDuration } from '../config/duration.js';
import type { Config } from '../config/load.js';
import { resolveSecret } from '../config/secrets.js';
import type { ChannelStatus } from '../contract.js';
import type { Readiness } from '../ops/health.js';
import type { Quarantine } from '../ops/quarantine.js';
import { GroupQueue } from '../router/group-queue.js';
import { Inbox } from '../router/inbox.js';
import { COMMANDS } from '../router/chat-commands.js';
import { OutboxWorker, type DeliveryStats } from '../router/outbox.js';
import type { Channel } from '../router/ports.js';
import {
  PERMISSION_ACTION,
  PermissionButtons,
  questionButtons,
  questionRef,
  questionText,
} from '../router/permission-buttons.js';
import { LiveReplies } from '../router/live-reply.js';
import type { OutboxFiles } from '../router/outbox-files.js';
import { ReplyAssembler } from '../sessions/reply.js';
import { writeWorkspaceFile } from '../sessions/workspace-fs.js';
import { ensureWorkspace } from '../sessions/workspace-setup.js';
import type { Supervisor } from '../sessions/supervisor.js';
import type { Stores } from '../store/store.js';
import { BUDGET_ACTION, budgetButtonHandler } from '../router/budget-buttons.js';
import type { Budgets } from './budgets.js';
import { chatCommands } from './chat-commands.js';
import { groupTurns } from './group-turns.js';

/**
 * Who may answer permission requests from a Telegram chat: `approvers` when set (`[]` = nobody,
 * only the CLI); else the integer ids in `allowed_users`. Never usernames (they change hands), never
 * users approved by pairing (that lets them talk, not decide), never "anyone in the chat".
 */
export function telegramApprovers(tg: Config['channels']['telegram']): ReadonlySet<string> {
  const ids = tg.approvers ?? tg.allowed_users.filter((u): u is number => typeof u === 'number');
  return new Set(ids.map(String));
}

/** What the rest of the daemon needs of the chat side, and no more. */
export type Chat = {
  /** Recovery, then intake: interrupted turns are queued again and pending deliveries resume. */
  start(): Promise<void>;
  /** Stops intake; running turns are drained by the supervisor afterwards. */
  stopIntake(): Promise<void>;
  /** Stops the outbox worker (last: replies of drained turns go out first). */
  stop(): void;
  readonly channels: ReadonlyMap<string, Channel>;
  channelStatus(): ChannelStatus[];
  /** Messages waiting for or in a turn. */
  queueDepth(): number;
  /** Looks for groups with waiting messages again (a budget period rolled over). */
  kickQueue(): void;
  deliveryStats(): DeliveryStats;
  receiveErrors(): number;
  /** The e-mail channel for metrics, when it is enabled. */
  emailMetrics():
    { connected: boolean; idle: boolean; counters: Readonly<Record<string, number>> } | undefined;
};

export async function createChat(deps: {
  stores: Stores;
  config: Config;
  supervisor: Supervisor;
  log: Logger;
  env: NodeJS.ProcessEnv;
  readiness: Readiness;
  quarantine?: Quarantine;
  outboxFiles?: OutboxFiles;
  budgets?: Budgets;
}): Promise<Chat> {
  const { config, log, supervisor } = deps;
  const { db, groups, messages, outbox: outboxRepo, pairing, kv } = deps.stores;
  const channels = new Map<string, Channel>();

  const tg = config.channels.telegram;
  if (tg.enabled && tg.token !== undefined) {
    // grammY is loaded only when Telegram is on: start-up time and idle memory are budgets too.
    const { TelegramChannel } = await import('../channels/telegram/bot.js');
    channels.set(
      'telegram',
      new TelegramChannel({
        token: resolveSecret(tg.token, deps.env),
        apiRoot: tg.api_root,
        pollTimeoutMs: tg.poll_timeout,
        stallMs: tg.stall_threshold,
        conflictRetryMs: tg.conflict_retry,
        commands: COMMANDS,
        pool: {
          tokens: tg.bot_pool.map((ref) => resolveSecret(ref, deps.env)),
          store: {
            get: (sender) => {
              const r = deps.stores.pool.get('telegram', sender);
              return r === undefined ? undefined : { botId: r.bot_id, renamed: r.renamed === 1 };
            },
            assign: (sender, bots) => deps.stores.pool.assign('telegram', sender, bots, Date.now())?.bot_id,
            markRenamed: (sender) => deps.stores.pool.markRenamed('telegram', sender),
            list: () => deps.stores.pool.list('telegram').map((r) => ({ sender: r.sender, botId: r.bot_id })),
          },
        },
        limits: {
          perChatPerS: tg.rate_per_chat_per_s,
          perGroupPerMin: tg.rate_per_group_per_min,
          globalPerS: tg.rate_global_per_s,
        },
        offset: {
          load: () => {
            const v = kv.get('telegram.offset');
            return v === undefined ? undefined : Number(v);
          },
          save: (offset) => kv.set('telegram.offset', String(offset)),
        },
        log: log.child({ component: 'telegram' }),
      }),
    );
  }

  const emailCounters: Record<string, number> = {};
  if (config.channels.email.enabled) {
    // imapflow, nodemailer and postal-mime are loaded only when e-mail is on.
    const { createEmail } = await import('./email.js');
    const mailLog = log.child({ component: 'email' });
    channels.set('email', createEmail({ ...deps, db, groups, log: mailLog, counters: emailCounters }));
  }

  const outbox = new OutboxWorker({
    repo: outboxRepo,
    files: deps.outboxFiles,
    channels,
    log: log.child({ component: 'outbox' }),
  });
  // Every row added to the outbox, by whom ever, wakes the worker: one operation, not two.
  outboxRepo.onAdded(() => outbox.kick());
  const live = new LiveReplies({
    mode: (name) => (name === 'telegram' ? tg.live_replies : 'off'),
    channels,
    pacer: (ch) => outbox.pacer(ch),
    previews: deps.stores.previews,
    interrupted: (channel, chatId, messageId) =>
      outboxRepo.add(
        {
          channel,
          chatId,
          groupFolder: groups.byChat(channel, chatId)?.folder ?? null,
          source: 'system',
          text: '[This answer was interrupted before it was complete.]',
          editMessageId: messageId,
        },
        Date.now(),
      ),
    startAfterMs: tg.live_start_after,
    intervalMs: tg.live_interval,
    log: log.child({ component: 'live' }),
  });
  // Each running turn's reply as it grows, assembled only for turns shown live.
  const replies = new Map<string, ReplyAssembler>();
  supervisor.on('turn-update', ({ sessionId, group, turn, update }) => {
    if (!live.wants(group)) return;
    const key = `${sessionId}:${turn}`;
    let r = replies.get(key);
    if (r === undefined) {
      r = new ReplyAssembler();
      replies.set(key, r);
    }
    r.add(update);
    const assembled = r;
    live.update(group, () => assembled.finish().text);
  });
  supervisor.on('turn-ended', ({ sessionId, turn }) => replies.delete(`${sessionId}:${turn}`));
  const queue = new GroupQueue({
    live,
    files: {
      maxBytes: Math.floor(tg.max_download_mb * 1024 * 1024),
      save: async (folder, rel, bytes) => {
        const workspace = ensureWorkspace(config.paths.groups, folder);
        await writeWorkspaceFile(workspace, rel, bytes);
      },
    },
    db,
    groups,
    messages,
    outbox: outboxRepo,
    turns: groupTurns(supervisor, groups, deps.stores.sessions),
    channels,
    log: log.child({ component: 'router' }),
    budget: deps.budgets?.gate,
  });
  const approvers = telegramApprovers(tg);
  const budgetChat = deps.budgets?.chat(() => queue.kick());
  const permissionButtons = new PermissionButtons({
    outbox: outboxRepo,
    answer: (folder, id, allow, by) => supervisor.answerForGroup(folder, id, allow, by),
  });
  const inbox = new Inbox({
    commands: chatCommands({
      stores: deps.stores,
      supervisor,
      queue,
      extraStatus: (folder) =>
        deps.budgets === undefined ? [] : [deps.budgets.summary(folder, groups.get(folder)?.agent ?? null)],
    }),
    botMention: () => channels.get('telegram')?.botMention ?? null,
    actions: new Map([
      [PERMISSION_ACTION, permissionButtons.handler],
      ...(budgetChat === undefined
        ? []
        : [[BUDGET_ACTION, budgetButtonHandler({ budget: budgetChat, outbox: outboxRepo })] as const]),
    ]),
    quarantine: deps.quarantine,
    approvals: (folder, id, allow, by) => supervisor.answerForGroup(folder, id, allow, by),
    isApprover: (channel, senderId) => channel === 'telegram' && approvers.has(senderId),
    db,
    groups,
    messages,
    outbox: outboxRepo,
    pairing,
    dmPolicy: tg.dm_policy,
    allowedUsers: tg.allowed_users.map(String),
    trigger: () => tg.trigger ?? channels.get('telegram')?.botMention ?? null,
    onQueued: () => queue.kick(),
    log: log.child({ component: 'inbox' }),
    budget: budgetChat,
  });

  /** A daemon notice to a group's chat; the local CLI has none (it reads the event log). */
  const tell = (folder: string, text: string): void => {
    const group = groups.get(folder);
    if (group === undefined) return;
    outboxRepo.add(
      { channel: group.channel, chatId: group.chat_id, groupFolder: folder, source: 'system', text },
      Date.now(),
    );
  };
  supervisor.on('permission-asked', ({ group, ask }) => {
    const row = groups.get(group);
    if (row === undefined) return;
    outboxRepo.add(
      {
        channel: row.channel,
        chatId: row.chat_id,
        groupFolder: group,
        source: 'system',
        text: questionText(ask, formatDuration(config.limits.permission_timeout)),
        buttons: questionButtons(ask.id),
        ref: questionRef(ask.id),
      },
      Date.now(),
    );
  });
  supervisor.on('permission-decided', ({ ask, decision }) => permissionButtons.decided(ask, decision));
  supervisor.on('resume-failed', ({ group }) =>
    tell(
      group,
      'The agent could not restore the earlier conversation, so it starts fresh: it no longer remembers what was said before (its memory file AGENTS.md is kept).',
    ),
  );

  for (const ch of channels.values()) {
    deps.readiness.register(ch.name, () => {
      const reason = ch.health().notReady;
      return { ok: reason === null, reason: reason ?? `${ch.name}_ready` };
    });
  }

  return {
    channels,
    async start() {
      const requeued = messages.requeueInterrupted();
      if (requeued > 0) log.warn({ requeued }, 're-queued messages whose turn did not complete');
      outbox.recoverInFlight();
      // Previews a crash left mid-stream: marked, so nobody reads a half answer as the answer.
      for (const p of deps.stores.previews.takeAll()) live.release(p.channel, p.chat_id, p.message_id, true);
      for (const ch of channels.values()) await ch.start(inbox);
      queue.kick();
      outbox.kick();
    },
    async stopIntake() {
      await Promise.all([...channels.values()].map((ch) => ch.stop()));
      queue.stop();
    },
    stop() {
      outbox.stop();
    },
    kickQueue: () => queue.kick(),
    channelStatus: () => [...channels.values()].map((ch) => ch.status()),
    deliveryStats: () => outbox.stats,
    receiveErrors: () => [...channels.values()].reduce((n, ch) => n + ch.health().receiveErrors, 0),
    emailMetrics() {
      const ch = channels.get('email');
      if (ch === undefined) return undefined;
      return {
        connected: ch.status().connected,
        idle: ch.status().details?.['idle'] === true,
        counters: emailCounters,
      };
    },
    queueDepth() {
      const counts = messages.counts();
      return (counts['queued'] ?? 0) + (counts['processing'] ?? 0);
    },
  };
}
