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
  /**
   * The conversation inside the chat (an e-mail thread). A turn answers one thread, and its reply
   * goes to the newest message of that thread; unset for chats without threads.
   */
  readonly thread?: string | null;
  /** What the channel adds to the prompt about this message (subject, saved attachments). */
  readonly details?: MessageDetails | null;
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
  /**
   * `key` names this part of this outbox row for good (`<row id>.<part>`): the same key on a later
   * call is the same message again, so a channel that can tell (e-mail) sends it at most once.
   */
  send(chatId: string, text: string, opts: { replyTo?: string | null; key?: string }): Promise<SendOutcome>;
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
