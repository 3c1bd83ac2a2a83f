/**
 * What the router consumes, defined where it is consumed: channels deliver inbound messages to an
 * InboundSink and send through the Channel interface; turns run through a TurnPort. Channels never
 * see sessions, and sessions never see channels.
 */
import type { ChannelStatus } from '../contract.js';
import type { MessageFile } from '../store/messages-repo.js';
import type { OutboxButton } from '../store/outbox-repo.js';

/** A file that came with an inbound message, as the channel describes it. */
export type InboundFile = Omit<MessageFile, 'path' | 'skipped'>;

/** An inline button: a label and an action id (`perm:allow:pk7m2qx`) the inbox routes on press. */
export type Button = OutboxButton;
/** Rows of buttons under a message. */
export type Buttons = ReadonlyArray<readonly Button[]>;

/** Someone pressed a button under one of our messages. */
export type ButtonPress = {
  readonly channel: string;
  readonly chatId: string;
  /** The message the button is under. */
  readonly messageId: string;
  readonly senderId: string;
  readonly senderName: string | null;
  readonly action: string;
};

/** What the presser is told (a toast, or an alert they must dismiss). */
export type PressAnswer = { readonly text: string; readonly alert: boolean };

export type InboundMessage = {
  readonly channel: string;
  readonly chatId: string;
  readonly chatType: 'private' | 'group' | 'supergroup' | 'channel';
  readonly chatTitle: string | null;
  readonly messageId: string;
  readonly senderId: string;
  readonly senderName: string | null;
  readonly senderUsername: string | null;
  readonly text: string;
  readonly ts: number;
  readonly mentionsBot: boolean;
  readonly replyToBot: boolean;
  /**
   * The conversation inside the chat (an e-mail thread). A turn answers one thread, and its reply
   * goes to the newest message of that thread; unset for chats without threads.
   */
  readonly thread?: string | null;
  /** What the channel adds to the prompt about this message (subject, saved attachments). */
  readonly details?: MessageDetails | null;
  /** Photos, documents, voice … (downloaded before the turn, not on intake). */
  readonly files?: readonly InboundFile[];
};

export type MessageDetails = {
  /** The message came from outside (e-mail): the prompt marks it as untrusted input. */
  readonly untrusted: boolean;
  readonly subject?: string;
  readonly attachments?: ReadonlyArray<{
    readonly path: string;
    readonly bytes: number;
    readonly type: string;
  }>;
  readonly skipped?: ReadonlyArray<{ readonly name: string; readonly why: string }>;
};

/**
 * Stores a batch durably before returning; the channel acknowledges upstream only afterwards.
 * A button press is acted on at once and answered; what it changes in the chat goes through the
 * outbox.
 */
export type InboundSink = {
  readonly accept: (batch: readonly InboundMessage[]) => void;
  readonly press: (p: ButtonPress) => PressAnswer;
};

export type SendOutcome =
  | { readonly ok: true; readonly messageId?: string }
  | {
      readonly ok: false;
      readonly retryable: boolean;
      readonly retryAfterMs?: number;
      readonly error: string;
    };

export type ChannelLimits = {
  readonly perChatPerS: number;
  readonly perGroupPerMin: number;
  readonly globalPerS: number;
};

export interface Channel {
  readonly name: string;
  readonly maxMessageLength: number;
  readonly limits: ChannelLimits;
  start(sink: InboundSink): Promise<void>;
  stop(): Promise<void>;
  send(chatId: string, text: string, opts: SendOptions): Promise<SendOutcome>;
  /** Sends a file (a photo or a document) with an optional caption. */
  sendFile?(
    chatId: string,
    file: { readonly bytes: Buffer; readonly name: string; readonly kind: 'photo' | 'document' },
    caption: string,
    opts: SendOptions,
  ): Promise<SendOutcome>;
  /**
   * Replaces the text of a message we sent (and its buttons: none unless given); channels that
   * cannot edit (e-mail) leave it out, and a new message is sent instead.
   */
  edit?(
    chatId: string,
    messageId: string,
    text: string,
    opts: { buttons?: Buttons | null },
  ): Promise<SendOutcome>;
  typing(chatId: string): Promise<void>;
  /**
   * Downloads a file a message brought, at most `maxBytes` (else it throws FileTooLarge's
   * message); channels without files leave it out.
   */
  fetchFile?(fileId: string, maxBytes: number): Promise<Buffer>;
  /** A draft of a message being written (private chats); replaced when a message is sent. */
  draft?(chatId: string, draftId: number, text: string): Promise<SendOutcome>;
  /** Whether a chat id names a group (paced per group): the channel's knowledge, not the router's. */
  isGroupChat(chatId: string): boolean;
  /** Which bot a send for `sender` goes through, so each bot is paced on its own ('main' by default). */
  pacingKey?(sender: string | null): string;
  /** What `agentforge status` shows for this channel. */
  status(): ChannelStatus;
  /** What readiness, the watchdog and metrics need; each channel knows its own receive loop. */
  health(): ChannelHealth;
  /** The name the bot answers to in groups (e.g. "@my_bot"), once known. */
  readonly botMention: string | null;
}

/** The bot pool's persisted assignments, as the channel needs them (store/pool-repo.ts). */
export type SenderBots = {
  readonly get: (sender: string) => { readonly botId: string; readonly renamed: boolean } | undefined;
  /** The first free bot of `bots` for the sender; undefined when the pool is exhausted. */
  readonly assign: (sender: string, bots: readonly string[]) => string | undefined;
  readonly markRenamed: (sender: string) => void;
  readonly list: () => ReadonlyArray<{ readonly sender: string; readonly botId: string }>;
};

export type SendOptions = {
  readonly replyTo?: string | null;
  /** A swarm member's name (send_message's `sender`): its pool bot speaks, or the main bot with a prefix. */
  readonly sender?: string | null;
  /** Under this message; the outcome names the message id the chat gave it. */
  readonly buttons?: Buttons | null;
  /**
   * Names this part of this outbox row for good (`<row id>.<part>`): the same key on a later call
   * is the same message again, so a channel that can tell (e-mail) sends it at most once.
   */
  readonly key?: string;
};

export type ChannelHealth = {
  /** A readiness reason (`telegram_conflict`, `email_disconnected` …) while not ready; else null. */
  readonly notReady: string | null;
  /** The receive loop's last sign of life; null before its first. */
  readonly lastProgressAt: number | null;
  /** How long the receive loop may show no progress before the watchdog calls it hung. */
  readonly stallLimitMs: number;
  /** Receive-loop errors since start. */
  readonly receiveErrors: number;
};

/** Runs one turn for a group and returns the agent's reply text (may be empty). Throws a Failure (failures.ts). */
/** An image for the agent (ACP image content), when it advertises image support. */
export type PromptImage = { readonly mimeType: string; readonly data: Buffer };

export type TurnPort = {
  readonly run: (
    group: { folder: string; agent: string | null },
    prompt: string,
    images?: readonly PromptImage[],
  ) => Promise<string>;
  /** Stops the group's running turn (`/stop`); false when none runs. */
  readonly cancel?: (folder: string) => boolean;
};

/**
 * Budgets, as the group queue sees them: before each turn, may this group spend more? `refused`
 * (a hard budget) fails the waiting messages with `message`; `paused` (a soft one) leaves them
 * queued and posts `ask` to the chat when the question is new.
 */
export type BudgetVerdict =
  | { readonly kind: 'ok' }
  | { readonly kind: 'refused'; readonly message: string }
  | { readonly kind: 'paused'; readonly ask?: string };

export type BudgetGate = {
  readonly check: (group: { folder: string; agent: string | null }) => BudgetVerdict;
};

/** The chat side of budgets: an approver's `continue` / `stop`, typed or pressed. */
export type BudgetChat = {
  /** Whether a budget question waits for an answer in this group's chat. */
  readonly asking: (group: { folder: string; agent: string | null }) => boolean;
  /** Acts on an approver's answer; returns the reply for the chat. */
  readonly answer: (
    group: { folder: string; agent: string | null },
    decision: 'continue' | 'stop',
    decidedBy: string,
  ) => string;
};
