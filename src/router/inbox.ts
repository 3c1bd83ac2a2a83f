/**
 * Decides who may talk and stores what they say (SPEC §7). Direct chats: allowlisted or approved
 * users become their own group on first contact; unknown users get a pairing code (dm_policy
 * `pairing`) and nothing reaches an agent. Group chats must be registered; there, messages that do
 * not trigger the agent are kept as context. The whole batch is stored in one transaction.
 * `approve <id>` / `deny <id>`, a budget question's `continue` / `stop` and chat commands are for
 * the daemon (daemon-messages.ts): stored too, but acted on only once the batch has committed.
 */
import type { Db } from '../store/db.js';
import type { GroupRow, GroupsRepo } from '../store/groups-repo.js';
import type { MessagesRepo } from '../store/messages-repo.js';
import { MAX_PENDING_CODES, type PairingRepo } from '../store/pairing-repo.js';
import { routePress, type ActionHandler } from './button-actions.js';
import { DaemonMessages, type DaemonMessagesDeps, type Deferred } from './daemon-messages.js';
import type { ButtonPress, InboundMessage, InboundSink, PressAnswer } from './ports.js';

export type DmPolicy = 'pairing' | 'allowlist' | 'disabled';

/** The outbox, log, clock and the ports that answers and commands use are DaemonMessagesDeps'. */
export type InboxDeps = DaemonMessagesDeps & {
  readonly db: Db;
  readonly groups: GroupsRepo;
  readonly messages: MessagesRepo;
  readonly pairing: PairingRepo;
  readonly dmPolicy: DmPolicy;
  /** User ids or usernames (without @) always allowed to DM. */
  readonly allowedUsers: readonly string[];
  /** Default trigger word in groups, e.g. "@Andy"; the bot's own @mention always works too. */
  readonly trigger: () => string | null;
  readonly onQueued: (groups: ReadonlySet<string>) => void;
  /** What button presses do, by action kind (button-actions.ts). */
  readonly actions?: ReadonlyMap<string, ActionHandler>;
  /** Keeps a rejected message for the operator to inspect (logs/quarantine/). */
  readonly quarantine?: (source: string, reason: string, payload: unknown) => void;
};

export type InboxStats = {
  accepted: number;
  duplicates: number;
  ignored: number;
  pairingCodes: number;
  /** Malformed messages, or ones that broke a constraint: logged and skipped. */
  rejected: number;
};

const CHAT_TYPES: ReadonlySet<string> = new Set(['private', 'group', 'supergroup', 'channel']);
const DM_FOLDER_MAX = 64; // GROUP_FOLDER_RE

/** What a channel must hand over; anything else is rejected rather than stored half-valid. */
function malformed(m: InboundMessage): string | undefined {
  if (typeof m.channel !== 'string' || m.channel === '') return 'no channel';
  for (const k of ['chatId', 'messageId', 'senderId'] as const)
    if (typeof m[k] !== 'string' || m[k] === '') return `no ${k}`;
  if (!CHAT_TYPES.has(m.chatType)) return 'unknown chat type';
  if (typeof m.text !== 'string') return 'text is not a string';
  if (typeof m.ts !== 'number' || !Number.isFinite(m.ts)) return 'no valid time';
  return undefined;
}

/** This message cannot be stored as it is; the next one may well be. */
class Unstorable extends Error {}

/** A message that cannot be stored because of what it is (not because the disk or DB failed). */
function isDataError(err: unknown): boolean {
  if (err instanceof Unstorable) return true;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH');
}

export class Inbox implements InboundSink {
  readonly stats: InboxStats = { accepted: 0, duplicates: 0, ignored: 0, pairingCodes: 0, rejected: 0 };
  #pairingFullWarned = false;
  readonly #toldAbout = new Set<string>();
  readonly #forDaemon: DaemonMessages;
  constructor(private readonly deps: InboxDeps) {
    this.#forDaemon = new DaemonMessages(deps);
  }

  accept(batch: readonly InboundMessage[]): void {
    const queued = new Set<string>();
    const later: Deferred = { answers: [], commands: [], budget: [] };
    this.deps.db.transaction(() => {
      for (const m of batch) {
        if (this.#oneSafely(m, later) === 'queued') queued.add(this.#groupFor(m)?.folder ?? '');
      }
    })();
    // Only now, with the messages durably stored (so a redelivered copy is known as one), do the
    // answers act: an agent told "allow" cannot be told otherwise by a rolled-back transaction.
    this.#forDaemon.act(later);
    queued.delete('');
    if (queued.size > 0) this.deps.onQueued(queued);
  }

  /** A button press: routed by its action id to the handler of its kind, and answered. */
  press(p: ButtonPress): PressAnswer {
    return routePress(p, {
      groups: this.deps.groups,
      actions: this.deps.actions ?? new Map(),
      isApprover: (channel, senderId) => this.deps.isApprover?.(channel, senderId) === true,
      log: this.deps.log,
    });
  }

  #now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  #groupFor(m: InboundMessage): GroupRow | undefined {
    return this.deps.groups.byChat(m.channel, m.chatId);
  }

  /**
   * One message in a savepoint of the batch's transaction. A message that is malformed or breaks
   * a constraint is logged and skipped: failing the batch would make the channel fetch it again
   * and again, and nothing behind it would ever get through. Errors of the store itself (busy,
   * disk full) still fail the batch, so the channel retries it and nothing is lost.
   */
  #oneSafely(
    m: InboundMessage,
    later: Deferred,
  ): 'queued' | 'context' | 'duplicate' | 'ignored' | 'pairing' | 'answer' | 'rejected' {
    const why = malformed(m);
    if (why !== undefined) return this.#reject(m, why);
    try {
      return this.deps.db.transaction(() => this.#one(m, later))();
    } catch (err) {
      if (!isDataError(err)) throw err;
      return this.#reject(m, (err as Error).message);
    }
  }

  #reject(m: InboundMessage, why: string): 'rejected' {
    this.stats.rejected++;
    this.deps.log.error(
      { channel: m.channel, chat: m.chatId, message: m.messageId, why },
      'inbound message rejected; skipped',
    );
    this.deps.quarantine?.(m.channel, why, m);
    return 'rejected';
  }

  /** `dm-<user id>` as a valid folder name; another suffix when that name belongs to another chat. */
  #dmFolder(m: InboundMessage): string {
    const base = `dm-${m.senderId}`
      .toLowerCase()
      .replace(/[^a-z0-9_-]/g, '_')
      .slice(0, DM_FOLDER_MAX);
    if (this.deps.groups.get(base) === undefined) return base;
    for (let i = 2; i < 100; i++) {
      const folder = `${base.slice(0, DM_FOLDER_MAX - String(i).length - 1)}-${i}`;
      if (this.deps.groups.get(folder) === undefined) return folder;
    }
    throw new Unstorable(`no free folder for a direct chat with ${m.senderId}`);
  }

  #one(
    m: InboundMessage,
    later: Deferred,
  ): 'queued' | 'context' | 'duplicate' | 'ignored' | 'pairing' | 'answer' {
    let group = this.#groupFor(m);
    let triggered: boolean;
    if (m.chatType === 'private') {
      if (group === undefined) {
        if (!this.#mayDm(m)) return this.#stranger(m);
        group = this.deps.groups.add(
          {
            folder: this.#dmFolder(m),
            channel: m.channel,
            chatId: m.chatId,
            name: m.senderName,
            isDm: true,
          },
          this.#now(),
        );
        this.deps.log.info({ group: group.folder, user: m.senderId }, 'direct chat became a group');
      }
      triggered = true;
    } else {
      if (group === undefined) {
        this.stats.ignored++;
        // Default deny, but say once per chat how to let it in: the operator needs the chat id.
        if (!this.#toldAbout.has(m.chatId)) {
          this.#toldAbout.add(m.chatId);
          this.deps.log.info(
            { chat: m.chatId, title: m.chatTitle },
            'ignoring unregistered group chat; register it with: agentforge group add <chat>',
          );
        }
        return 'ignored';
      }
      triggered = group.is_main === 1 || m.mentionsBot || m.replyToBot || this.#hasTrigger(group, m.text);
    }
    // A message for the daemon is kept as context and starts no turn, whoever sent it: it is never
    // an instruction to the agent.
    const request = this.#forDaemon.requestOf(m, group);
    const stored = this.deps.messages.insert({
      channel: m.channel,
      chatId: m.chatId,
      messageId: m.messageId,
      groupFolder: group.folder,
      senderId: m.senderId,
      senderName: m.senderName,
      text: m.text,
      ts: m.ts,
      triggered: triggered && request === undefined,
      thread: m.thread ?? null,
      details: m.details == null ? null : JSON.stringify(m.details),
      attachments: m.files,
    });
    if (!stored) {
      this.stats.duplicates++;
      return 'duplicate';
    }
    this.stats.accepted++;
    if (request !== undefined) {
      this.#forDaemon.defer(later, m, group, request);
      return 'answer';
    }
    return triggered ? 'queued' : 'context';
  }

  #mayDm(m: InboundMessage): boolean {
    if (this.deps.dmPolicy === 'disabled') return false;
    const allowed = this.deps.allowedUsers.some(
      (u) =>
        u === m.senderId ||
        (m.senderUsername !== null && u.replace(/^@/, '').toLowerCase() === m.senderUsername.toLowerCase()),
    );
    if (allowed) return true;
    return this.deps.dmPolicy === 'pairing' && this.deps.groups.isApproved(m.channel, m.senderId);
  }

  #stranger(m: InboundMessage): 'ignored' | 'pairing' {
    if (this.deps.dmPolicy !== 'pairing') {
      this.stats.ignored++;
      return 'ignored';
    }
    const issued = this.deps.pairing.issue(
      { channel: m.channel, userId: m.senderId, chatId: m.chatId, userName: m.senderName },
      this.#now(),
    );
    if (issued === undefined) {
      this.stats.ignored++;
      // Once per full spell: a flood of strangers must not become a flood of log lines.
      if (!this.#pairingFullWarned)
        this.deps.log.warn(
          { user: m.senderId, max: MAX_PENDING_CODES },
          'pairing refused: too many pending codes (further refusals are not logged until one is issued)',
        );
      this.#pairingFullWarned = true;
      return 'ignored';
    }
    this.#pairingFullWarned = false;
    if (!issued.fresh) {
      this.stats.ignored++;
      return 'ignored';
    }
    this.stats.pairingCodes++;
    this.deps.outbox.add(
      {
        channel: m.channel,
        chatId: m.chatId,
        groupFolder: null,
        source: 'system',
        text: `Hi! I don't know you yet. Your pairing code is ${issued.row.code}. Ask my operator to run: agentforge group approve ${issued.row.code} (valid for 1 hour).`,
      },
      this.#now(),
    );
    this.deps.log.info({ user: m.senderId }, 'pairing code issued');
    return 'pairing';
  }

  #hasTrigger(group: GroupRow, text: string): boolean {
    const trigger = group.trigger ?? this.deps.trigger();
    if (trigger === null || trigger === '') return false;
    // "@Andy" triggers on "@andy," or "@Andy's" but not on "@Andyman" (somebody else's name).
    const escaped = trigger.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const wordEnd = /\w$/.test(trigger) ? '(?![\\w])' : '';
    return new RegExp(`${escaped}${wordEnd}`, 'i').test(text);
  }
}
