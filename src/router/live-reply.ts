/**
 * Live replies: while a turn runs, its reply grows in the chat. In a private chat (mode `draft`)
 * as a draft (sendMessageDraft, which the final message replaces); in a group, or in mode `edit`,
 * as one preview message edited at a bounded rate. Every call is counted by the channel's Pacer,
 * the same one the outbox uses, so previews and replies together stay within the chat service's
 * limits. A turn that answers within `startAfterMs` shows nothing: only its final message.
 *
 * The preview is never the durable truth: the final reply is an outbox row like any other, which
 * replaces the preview (edits it) when there is one. A crash mid-stream leaves the preview's row
 * in live_previews, and the next boot marks that message as interrupted.
 */
import type { Logger } from 'pino';
import type { PreviewsRepo } from '../store/previews-repo.js';
import type { Pacer } from './pacing.js';
import type { Channel } from './ports.js';

export type LiveMode = 'off' | 'draft' | 'edit';
export const DEFAULT_LIVE_START_AFTER_MS = 1_000;
export const DEFAULT_LIVE_INTERVAL_MS = 1_500;
/** What a preview shows past the channel's length limit. */
const MORE = '…';

export type LiveReplyDeps = {
  readonly mode: (channel: string) => LiveMode;
  readonly channels: ReadonlyMap<string, Channel>;
  readonly pacer: (channel: Channel) => Pacer;
  readonly previews: PreviewsRepo;
  /** Marks a preview whose turn did not complete (an outbox edit; also used at boot). */
  readonly interrupted: (channel: string, chatId: string, messageId: string) => void;
  readonly log: Logger;
  readonly startAfterMs?: number; // DEFAULT_LIVE_START_AFTER_MS
  readonly intervalMs?: number; // DEFAULT_LIVE_INTERVAL_MS
};

type Live = {
  readonly folder: string;
  readonly channel: Channel;
  readonly chatId: string;
  readonly replyTo: string | null;
  readonly draft: boolean;
  readonly draftId: number;
  readonly startedAt: number;
  text: () => string;
  shown: string;
  lastAt: number;
  previewId: string | null;
  inFlight: Promise<void> | undefined;
  timer: NodeJS.Timeout | undefined;
  closed: boolean;
  calls: number;
};

export type LiveStats = { drafts: number; previews: number; edits: number; skipped: number };

export class LiveReplies {
  readonly stats: LiveStats = { drafts: 0, previews: 0, edits: 0, skipped: 0 };
  readonly #live = new Map<string, Live>();
  #nextDraft = 1;

  constructor(private readonly deps: LiveReplyDeps) {}

  /** A turn starts for the group; returns false when live replies are off for its channel. */
  begin(folder: string, channelName: string, chatId: string, replyTo: string | null): boolean {
    const channel = this.deps.channels.get(channelName);
    const mode = this.deps.mode(channelName);
    if (channel === undefined || mode === 'off') return false;
    const draft = mode === 'draft' && !channel.isGroupChat(chatId) && channel.draft !== undefined;
    this.#close(this.#live.get(folder));
    this.#live.set(folder, {
      folder,
      channel,
      chatId,
      replyTo,
      draft,
      // Telegram animates changes to a draft with the same non-zero id: one id per turn.
      draftId: this.#nextDraft++ % 2_000_000_000 || this.#nextDraft++,
      startedAt: Date.now(),
      text: () => '',
      shown: '',
      lastAt: 0,
      previewId: null,
      inFlight: undefined,
      timer: undefined,
      closed: false,
      calls: 0,
    });
    return true;
  }

  /** Whether a turn of this group is being shown live (so its updates are worth assembling). */
  wants(folder: string): boolean {
    return this.#live.has(folder);
  }

  /** The reply so far; read lazily, only when a preview is about to be shown. */
  update(folder: string, text: () => string): void {
    const live = this.#live.get(folder);
    if (live === undefined || live.closed) return;
    live.text = text;
    this.#schedule(live);
  }

  /**
   * The turn ended: no more previews. Waits for one in flight, and returns the preview message
   * the final reply should replace (null for a draft or when nothing was shown).
   */
  async end(folder: string): Promise<{ readonly replaces: string | null }> {
    const live = this.#live.get(folder);
    if (live === undefined) return { replaces: null };
    this.#live.delete(folder);
    this.#close(live);
    await live.inFlight;
    return { replaces: live.previewId };
  }

  /**
   * The preview is settled: taken over by the final reply's outbox row, or (`interrupted`, when
   * the turn failed or answered nothing) marked as such through the outbox.
   */
  release(channel: string, chatId: string, messageId: string, interrupted: boolean): void {
    this.deps.previews.remove(channel, chatId, messageId);
    if (interrupted) this.deps.interrupted(channel, chatId, messageId);
  }

  #close(live: Live | undefined): void {
    if (live === undefined) return;
    live.closed = true;
    clearTimeout(live.timer);
    live.timer = undefined;
  }

  #schedule(live: Live): void {
    if (live.timer !== undefined || live.inFlight !== undefined || live.closed) return;
    const now = Date.now();
    const isGroup = live.channel.isGroupChat(live.chatId);
    const wait = Math.max(
      live.startedAt + (this.deps.startAfterMs ?? DEFAULT_LIVE_START_AFTER_MS) - now,
      live.lastAt + (this.deps.intervalMs ?? DEFAULT_LIVE_INTERVAL_MS) - now,
      this.deps.pacer(live.channel).delay(live.chatId, isGroup, now),
      0,
    );
    live.timer = setTimeout(() => {
      live.timer = undefined;
      this.#flush(live);
    }, wait);
    live.timer.unref();
  }

  #flush(live: Live): void {
    if (live.closed) return;
    const full = live.text();
    const max = live.channel.maxMessageLength;
    const text = full.length > max ? `${full.slice(0, max - MORE.length)}${MORE}` : full;
    if (text.trim() === '' || text === live.shown) return;
    const now = Date.now();
    const isGroup = live.channel.isGroupChat(live.chatId);
    const pacer = this.deps.pacer(live.channel);
    // The outbox may have sent meanwhile: a paced-out preview waits, it never overtakes the limits.
    const wait = pacer.delay(live.chatId, isGroup, now);
    if (wait > 0) {
      this.stats.skipped++;
      this.#schedule(live);
      return;
    }
    pacer.record(live.chatId, isGroup, now);
    live.lastAt = now;
    live.inFlight = this.#show(live, text).finally(() => {
      live.inFlight = undefined;
      if (!live.closed && live.text() !== live.shown) this.#schedule(live);
    });
  }

  async #show(live: Live, text: string): Promise<void> {
    const { channel, chatId } = live;
    const outcome = live.draft
      ? await channel.draft!(chatId, live.draftId, text)
      : live.previewId === null
        ? await channel.send(chatId, text, { replyTo: live.replyTo })
        : await channel.edit(chatId, live.previewId, text, {});
    if (!outcome.ok) {
      // Cosmetic: the final reply goes through the outbox regardless. Back off as told.
      live.lastAt = Date.now() + (outcome.retryAfterMs ?? 0);
      this.deps.log.debug({ chat: chatId, err: outcome.error }, 'live preview not shown');
      return;
    }
    live.shown = text;
    if (live.draft) this.stats.drafts++;
    else if (live.previewId === null) {
      this.stats.previews++;
      if (outcome.messageId !== undefined) {
        live.previewId = outcome.messageId;
        this.deps.previews.add(
          { channel: channel.name, chatId, messageId: outcome.messageId, groupFolder: live.folder },
          Date.now(),
        );
      }
    } else this.stats.edits++;
  }
}
