/**
 * Decides who may talk and stores what they say (SPEC §7). Direct chats: allowlisted or approved
 * users become their own group on first contact; unknown users get a pairing code (dm_policy
 * `pairing`) and nothing reaches an agent. Group chats must be registered; there, messages that do
 * not trigger the agent are kept as context. The whole batch is stored in one transaction.
 * `approve <id>` / `deny <id>` answers a permission request, but only from an approver, and only
 * once the message is stored (a redelivered copy is a duplicate and does nothing).
 */
import type { Logger } from 'pino';
import type { Db } from '../store/db.js';
import type { GroupRow, GroupsRepo } from '../store/groups-repo.js';
import type { MessagesRepo } from '../store/messages-repo.js';
import type { OutboxRepo } from '../store/outbox-repo.js';
import { MAX_PENDING_CODES, type PairingRepo } from '../store/pairing-repo.js';
import type { BudgetChat, InboundMessage, InboundSink } from './ports.js';

/** `approve pk7m2qx` / `deny pk7m2qx`; the id's shape is REQUEST_ID_RE (sessions/request-ids.ts). */
const APPROVAL_RE = /^\s*(approve|deny)\s+(p[a-km-np-z2-9]{6})\s*$/i;
/** An approver's answer to a budget question (only while one waits in the chat). */
const BUDGET_ANSWER_RE = /^\s*(continue|stop)\s*[.!]?\s*$/i;
/** The chat command `/status` (in groups Telegram appends the bot's name: `/status@my_bot`). */
const STATUS_RE = /^\s*\/status(@\w+)?\s*$/i;
/** Refusals told to non-approvers, remembered so a flood of answers is not a flood of replies. */
const TOLD_REFUSED_MAX = 1_000;

/** An approval message that was stored; it is acted on after the batch commits. */
type Answer = {
  readonly m: InboundMessage;
  readonly group: GroupRow;
  readonly id: string;
  readonly allow: boolean;
};

/** A budget answer or `/status`, acted on after the batch commits like an approval. */
type BudgetAct = {
  readonly m: InboundMessage;
  readonly group: GroupRow;
  readonly act: 'continue' | 'stop' | 'status';
};

export type DmPolicy = 'pairing' | 'allowlist' | 'disabled';

export type InboxDeps = {
  readonly db: Db;
  readonly groups: GroupsRepo;
  readonly messages: MessagesRepo;
  readonly outbox: OutboxRepo;
  readonly pairing: PairingRepo;
  readonly dmPolicy: DmPolicy;
  /** User ids or usernames (without @) always allowed to DM. */
  readonly allowedUsers: readonly string[];
  /** Default trigger word in groups, e.g. "@Andy"; the bot's own @mention always works too. */
  readonly trigger: () => string | null;
  readonly onQueued: (groups: ReadonlySet<string>) => void;
  readonly log: Logger;
  readonly now?: () => number;
  /**
   * Answers a pending permission request of the group's agent for `decidedBy` (e.g.
   * `telegram:12345`); false when none of this group's requests matches.
   */
  readonly approvals?: (groupFolder: string, requestId: string, allow: boolean, decidedBy: string) => boolean;
  /** Whether this sender may answer permission requests (`[channels.telegram] approvers`). */
  readonly isApprover?: (channel: string, senderId: string) => boolean;
  /** Keeps a rejected message for the operator to inspect (logs/quarantine/). */
  readonly quarantine?: (source: string, reason: string, payload: unknown) => void;
  /** Budget questions answered in the chat and `/status`; with none, both are ordinary messages. */
  readonly budget?: BudgetChat;
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
  readonly #toldRefused = new Set<string>();
  constructor(private readonly deps: InboxDeps) {}

  accept(batch: readonly InboundMessage[]): void {
    const queued = new Set<string>();
    const answers: Answer[] = [];
    const acts: BudgetAct[] = [];
    this.deps.db.transaction(() => {
      for (const m of batch) {
        if (this.#oneSafely(m, answers, acts) === 'queued') queued.add(this.#groupFor(m)?.folder ?? '');
      }
    })();
    // Only now, with the messages durably stored (so a redelivered copy is known as one), do the
    // answers act: an agent told "allow" cannot be told otherwise by a rolled-back transaction.
    for (const a of answers) this.#answer(a);
    for (const a of acts) this.#budgetAct(a);
    queued.delete('');
    if (queued.size > 0) this.deps.onQueued(queued);
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
    answers: Answer[],
    acts: BudgetAct[],
  ): 'queued' | 'context' | 'duplicate' | 'ignored' | 'pairing' | 'answer' | 'rejected' {
    const why = malformed(m);
    if (why !== undefined) return this.#reject(m, why);
    try {
      return this.deps.db.transaction(() => this.#one(m, answers, acts))();
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
    answers: Answer[],
    acts: BudgetAct[],
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
    // "approve <id>" / "deny <id>" answers a permission request the agent put to this chat. It is
    // kept as context and starts no turn, whoever sent it: it is never an instruction to the agent.
    const approval = APPROVAL_RE.exec(m.text);
    // `continue` / `stop` answer a budget question only while one waits; `/status` is ours too.
    // Like approvals they are kept as context and start no turn.
    const act = this.#budgetActOf(m.text, group);
    const stored = this.deps.messages.insert({
      channel: m.channel,
      chatId: m.chatId,
      messageId: m.messageId,
      groupFolder: group.folder,
      senderId: m.senderId,
      senderName: m.senderName,
      text: m.text,
      ts: m.ts,
      triggered: triggered && approval === null && act === undefined,
    });
    if (!stored) {
      this.stats.duplicates++;
      return 'duplicate';
    }
    this.stats.accepted++;
    if (act !== undefined) {
      acts.push({ m, group, act });
      return 'answer';
    }
    if (approval !== null) {
      answers.push({
        m,
        group,
        id: approval[2]!.toLowerCase(),
        allow: approval[1]!.toLowerCase() === 'approve',
      });
      return 'answer';
    }
    return triggered ? 'queued' : 'context';
  }

  #budgetActOf(text: string, group: GroupRow): BudgetAct['act'] | undefined {
    const budget = this.deps.budget;
    if (budget === undefined) return undefined;
    if (STATUS_RE.test(text)) return 'status';
    const answer = BUDGET_ANSWER_RE.exec(text);
    if (answer === null || !budget.asking({ folder: group.folder, agent: group.agent })) return undefined;
    return answer[1]!.toLowerCase() as 'continue' | 'stop';
  }

  /** Acts on a stored budget answer or `/status`, and replies in the chat. */
  #budgetAct({ m, group, act }: BudgetAct): void {
    const budget = this.deps.budget;
    if (budget === undefined) return;
    const g = { folder: group.folder, agent: group.agent };
    let text: string;
    if (act === 'status') text = budget.summary(g);
    else if (this.deps.isApprover?.(m.channel, m.senderId) !== true) {
      this.deps.log.warn(
        { group: group.folder, user: m.senderId, act },
        'budget answer from someone who is not an approver; ignored',
      );
      text = `Not done: only the operator's approvers can answer the budget question; the messages still wait.`;
    } else {
      text = budget.answer(g, act, `${m.channel}:${m.senderId}`);
      this.deps.log.info(
        { group: group.folder, act, by: m.senderId },
        'budget question answered in the chat',
      );
    }
    try {
      this.deps.outbox.add(
        { channel: m.channel, chatId: m.chatId, groupFolder: group.folder, source: 'system', text },
        this.#now(),
      );
    } catch (err) {
      this.deps.log.error({ err, group: group.folder }, 'could not queue the budget reply');
    }
  }

  /** Acts on one stored approval message; true when it put a reply in the outbox. */
  #answer({ m, group, id, allow }: Answer): boolean {
    const who = `${m.channel}:${m.senderId}`;
    let text: string;
    if (this.deps.isApprover?.(m.channel, m.senderId) !== true) {
      this.deps.log.warn(
        { group: group.folder, user: m.senderId, request: id },
        'permission answer from someone who is not an approver; ignored',
      );
      // One reply per sender and request: enough to explain, too little to spam the chat with.
      const key = `${m.channel}\n${m.chatId}\n${m.senderId}\n${id}`;
      if (this.#toldRefused.has(key)) return false;
      if (this.#toldRefused.size >= TOLD_REFUSED_MAX) this.#toldRefused.clear();
      this.#toldRefused.add(key);
      text = `Not done: only the operator's approvers can answer permission requests, and ${id} is unchanged.`;
    } else if (this.deps.approvals?.(group.folder, id, allow, who) === true) {
      this.deps.log.info(
        { group: group.folder, request: id, allow, by: who },
        'permission answered in the chat',
      );
      text = `${allow ? 'Approved' : 'Denied'} ${id}.`;
    } else {
      text = `There is no pending request ${id} in this chat: it was answered, it expired, or it is not this chat's.`;
    }
    try {
      this.deps.outbox.add(
        { channel: m.channel, chatId: m.chatId, groupFolder: group.folder, source: 'system', text },
        this.#now(),
      );
      return true;
    } catch (err) {
      // The answer itself is done and recorded in the session's event log; only the notice is lost.
      this.deps.log.error({ err, group: group.folder, request: id }, 'could not queue the answer notice');
      return false;
    }
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
