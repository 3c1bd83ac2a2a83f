/**
 * What the router consumes, defined where it is consumed: channels deliver inbound messages to an
 * InboundSink and send through the Channel interface; turns run through a TurnPort. Channels never
 * see sessions, and sessions never see channels.
 */
import type { ChannelStatus } from '../contract.js';

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
};

/** Stores a batch durably before returning; the channel acknowledges upstream only afterwards. */
export type InboundSink = { readonly accept: (batch: readonly InboundMessage[]) => void };

export type SendOutcome =
  | { readonly ok: true }
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
  send(chatId: string, text: string, opts: { replyTo?: string | null }): Promise<SendOutcome>;
  typing(chatId: string): Promise<void>;
  /** Whether a chat id names a group (paced per group): the channel's knowledge, not the router's. */
  isGroupChat(chatId: string): boolean;
  /** What `agentforge status` shows for this channel. */
  status(): ChannelStatus;
  /** What readiness, the watchdog and metrics need; each channel knows its own receive loop. */
  health(): ChannelHealth;
  /** The name the bot answers to in groups (e.g. "@my_bot"), once known. */
  readonly botMention: string | null;
}

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
export type TurnPort = {
  readonly run: (group: { folder: string; agent: string | null }, prompt: string) => Promise<string>;
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

/** The chat side of budgets: the typed `continue` / `stop` of approvers and the `/status` command. */
export type BudgetChat = {
  /** Whether a budget question waits for an answer in this group's chat. */
  readonly asking: (group: { folder: string; agent: string | null }) => boolean;
  /** Acts on an approver's answer; returns the reply for the chat. */
  readonly answer: (
    group: { folder: string; agent: string | null },
    decision: 'continue' | 'stop',
    decidedBy: string,
  ) => string;
  /** The `/status` reply: the group's spend against its budgets. */
  readonly summary: (group: { folder: string; agent: string | null }) => string;
};
