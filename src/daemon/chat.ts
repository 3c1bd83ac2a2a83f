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
import { OutboxWorker, type DeliveryStats } from '../router/outbox.js';
import type { Channel } from '../router/ports.js';
import type { Supervisor } from '../sessions/supervisor.js';
import type { Stores } from '../store/store.js';
import type { Budgets } from './budgets.js';
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
};

export async function createChat(deps: {
  stores: Stores;
  config: Config;
  supervisor: Supervisor;
  log: Logger;
  env: NodeJS.ProcessEnv;
  readiness: Readiness;
  quarantine?: Quarantine;
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

  const outbox = new OutboxWorker({ repo: outboxRepo, channels, log: log.child({ component: 'outbox' }) });
  // Every row added to the outbox, by whom ever, wakes the worker: one operation, not two.
  outboxRepo.onAdded(() => outbox.kick());
  const queue = new GroupQueue({
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
  const inbox = new Inbox({
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
    budget: deps.budgets?.chat(() => queue.kick()),
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
  supervisor.on('permission-asked', ({ group, ask }) =>
    tell(
      group,
      `The agent asks permission to ${ask.kind}: "${ask.title}". An approver may reply "approve ${ask.id}" or "deny ${ask.id}" (it is denied if nobody answers within ${formatDuration(config.limits.permission_timeout)}).`,
    ),
  );
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
    queueDepth() {
      const counts = messages.counts();
      return (counts['queued'] ?? 0) + (counts['processing'] ?? 0);
    },
  };
}
