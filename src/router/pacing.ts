/**
 * Send pacing within a chat service's published limits (Telegram: about 1 message/s per chat,
 * 20/min per group, 30/s overall). Answers "how long must this send wait"; a chat that has been
 * quiet is never delayed, so the first reply to an idle chat goes out at once.
 */
import type { ChannelLimits } from './ports.js';

export class Pacer {
  readonly #lastByChat = new Map<string, number>();
  readonly #groupSends = new Map<string, number[]>();
  #globalSends: number[] = [];

  constructor(private readonly limits: ChannelLimits) {}

  /** Milliseconds to wait before sending to chatId (0 = now). */
  delay(chatId: string, isGroup: boolean, now: number): number {
    let wait = 0;
    const last = this.#lastByChat.get(chatId);
    if (last !== undefined) wait = Math.max(wait, last + 1000 / this.limits.perChatPerS - now);
    if (isGroup)
      wait = Math.max(
        wait,
        windowWait(this.#groupSends.get(chatId) ?? [], 60_000, this.limits.perGroupPerMin, now),
      );
    wait = Math.max(wait, windowWait(this.#globalSends, 1_000, this.limits.globalPerS, now));
    return Math.max(0, Math.ceil(wait));
  }

  record(chatId: string, isGroup: boolean, now: number): void {
    this.#lastByChat.set(chatId, now);
    this.#globalSends = prune(this.#globalSends, 1_000, now);
    this.#globalSends.push(now);
    if (isGroup) {
      const sends = prune(this.#groupSends.get(chatId) ?? [], 60_000, now);
      sends.push(now);
      this.#groupSends.set(chatId, sends);
    }
    // Bounded memory for many chats; the worst case after a clear is one send a little early.
    if (this.#lastByChat.size > 10_000) this.#lastByChat.clear();
    if (this.#groupSends.size > 10_000) this.#groupSends.clear();
  }
}

function prune(times: number[], windowMs: number, now: number): number[] {
  const from = now - windowMs;
  let i = 0;
  while (i < times.length && (times[i] as number) <= from) i++;
  return i === 0 ? times : times.slice(i);
}

function windowWait(times: readonly number[], windowMs: number, max: number, now: number): number {
  const recent = times.filter((t) => t > now - windowMs);
  if (recent.length < max) return 0;
  return (recent[recent.length - max] as number) + windowMs - now;
}
