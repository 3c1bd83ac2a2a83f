/**
 * Wires the chat side: repositories, the inbox (who may talk, durable storage), the per-group turn
 * queue, the outbox worker and the enabled channels. Part of the composition root.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import { groupRoutes } from '../api/groups-routes.js';
import { formatDuration } from '../config/duration.js';
import type { Config } from '../config/load.js';
import { resolveSecret } from '../config/secrets.js';
import type { ChannelStatus } from '../contract.js';
import type { Readiness } from '../ops/health.js';
import type { Quarantine } from '../ops/quarantine.js';
import { GroupQueue } from '../router/group-queue.js';
import { Inbox } from '../router/inbox.js';
import { OutboxWorker } from '../router/outbox.js';
import type { Channel } from '../router/ports.js';
import type { Supervisor } from '../sessions/supervisor.js';
import type { SessionsRepo } from '../store/sessions-repo.js';
import type { Db } from '../store/db.js';
import { GroupsRepo } from '../store/groups-repo.js';
import { KvRepo } from '../store/kv-repo.js';
import { MessagesRepo } from '../store/messages-repo.js';
import { OutboxRepo } from '../store/outbox-repo.js';
import { PairingRepo } from '../store/pairing-repo.js';
import { groupTurns } from './group-turns.js';

export type Chat = Awaited<ReturnType<typeof createChat>>;

/**
 * Who may answer permission requests from a Telegram chat: `approvers` when set (`[]` = nobody,
 * only the CLI); else the integer ids in `allowed_users`. Never usernames (they change hands), never
 * users approved by pairing (that lets them talk, not decide), never "anyone in the chat".
 */
export function telegramApprovers(tg: Config['channels']['telegram']): ReadonlySet<string> {
  const ids = tg.approvers ?? tg.allowed_users.filter((u): u is number => typeof u === 'number');
  return new Set(ids.map(String));
}

export async function createChat(deps: {
  db: Db;
  config: Config;
  supervisor: Supervisor;
  sessions: SessionsRepo;
  log: Logger;
  env: NodeJS.ProcessEnv;
  readiness: Readiness;
  quarantine?: Quarantine;
}) {
  const { db, config, log } = deps;
  const groups = new GroupsRepo(db);
  const messages = new MessagesRepo(db);
  const outboxRepo = new OutboxRepo(db);
  const pairing = new PairingRepo(db);
  const kv = new KvRepo(db);
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

  const emailCounters: Record<string, number> = {};
  if (config.channels.email.enabled) {
    // imapflow, nodemailer and postal-mime are loaded only when e-mail is on.
    const { createEmail } = await import('./email.js');
    const log2 = log.child({ component: 'email' });
    channels.set('email', createEmail({ ...deps, groups, log: log2, counters: emailCounters }));
  }

  const outbox = new OutboxWorker({ repo: outboxRepo, channels, log: log.child({ component: 'outbox' }) });
  // Every row added to the outbox, by whom ever, wakes the worker: one operation, not two.
  outboxRepo.onAdded(() => outbox.kick());
  const queue = new GroupQueue({
    db,
    groups,
    messages,
    outbox: outboxRepo,
    turns: groupTurns(deps.supervisor, groups, deps.sessions),
    channels,
    log: log.child({ component: 'router' }),
  });
  const approvers = telegramApprovers(tg);
  const inbox = new Inbox({
    quarantine: deps.quarantine,
    approvals: (folder, id, allow, by) => deps.supervisor.answerForGroup(folder, id, allow, by),
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
  });

  const folderInUse = (folder: string): boolean =>
    existsSync(join(config.paths.groups, folder)) || deps.sessions.latestActive(folder) !== undefined;

  /** A daemon notice to a group's chat; the local CLI has none (it reads the event log). */
  const tell = (folder: string, text: string): void => {
    const group = groups.get(folder);
    if (group === undefined) return;
    outboxRepo.add(
      { channel: group.channel, chatId: group.chat_id, groupFolder: folder, source: 'system', text },
      Date.now(),
    );
  };

  for (const ch of channels.values()) {
    deps.readiness.register(ch.name, () => {
      const s = ch.status();
      if (s.conflict) return { ok: false, reason: `${ch.name}_conflict` };
      return { ok: s.connected, reason: `${ch.name}_disconnected` };
    });
  }

  return {
    groups,
    messages,
    outboxRepo,
    inbox,
    queue,
    outbox,
    channels,
    folderInUse,
    /** Recovery, then intake: interrupted turns are queued again and pending deliveries resume. */
    async start(): Promise<void> {
      const requeued = messages.requeueInterrupted();
      if (requeued > 0) log.warn({ requeued }, 're-queued messages whose turn did not complete');
      outbox.recoverInFlight();
      for (const ch of channels.values()) await ch.start(inbox);
      queue.kick();
      outbox.kick();
    },
    /** Stops intake; running turns are drained by the supervisor afterwards. */
    async stopIntake(): Promise<void> {
      await Promise.all([...channels.values()].map((ch) => ch.stop()));
      queue.stop();
    },
    stop(): void {
      outbox.stop();
    },
    routes(api: Hono): void {
      groupRoutes(api, {
        groups,
        pairing,
        outbox: outboxRepo,
        agentExists: (name) => {
          try {
            deps.supervisor.agent(name);
            return true;
          } catch {
            return false;
          }
        },
        folderInUse,
      });
    },
    channelStatus(): ChannelStatus[] {
      return [...channels.values()].map((ch) => {
        const { conflict: _c, lastProgressAt: _p, pollErrors: _e, ...s } = ch.status();
        return s;
      });
    },
    /** Puts an agent's permission request (mode `ask`) to the group's chat, if it has one. */
    askInChat(folder: string, ask: { id: string; title: string; kind: string }): void {
      tell(
        folder,
        `The agent asks permission to ${ask.kind}: "${ask.title}". An approver may reply "approve ${ask.id}" or "deny ${ask.id}" (it is denied if nobody answers within ${formatDuration(config.limits.permission_timeout)}).`,
      );
    },
    /** The agent could not resume: the chat learns once that the earlier context is gone. */
    tellResumeFailed(folder: string): void {
      tell(
        folder,
        'The agent could not restore the earlier conversation, so it starts fresh: it no longer remembers what was said before (its memory file AGENTS.md is kept).',
      );
    },
    pollErrors(): number {
      return [...channels.values()].reduce((n, ch) => n + ch.status().pollErrors, 0);
    },
    emailMetrics() {
      const ch = channels.get('email');
      if (ch === undefined) return undefined;
      const s = ch.status();
      return { connected: s.connected, idle: s.details?.['idle'] === true, counters: emailCounters };
    },
    queueDepth(): number {
      return (messages.counts()['queued'] ?? 0) + (messages.counts()['processing'] ?? 0);
    },
  };
}
