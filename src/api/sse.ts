/**
 * A live SSE stream of numbered items (a session's events, the daemon's log lines) that resumes
 * after a seq: the backlog first, then what arrives, without a gap or a copy, until the client
 * goes away.
 */
import type { Context } from 'hono';
import { streamSSE, type SSEMessage } from 'hono/streaming';

export type SseSource<T extends { readonly seq: number }> = {
  /** Tells `push` of new items in seq order; returns the unsubscribe. */
  readonly watch: (push: (items: readonly T[]) => void) => () => void;
  /** The items after `last()`, page by page: a page is asked for once the one before was sent. */
  readonly backlog: (last: () => number) => Iterable<readonly T[]>;
  /** What the client is sent for an item; undefined skips it (it still counts as seen). */
  readonly message: (item: T) => SSEMessage | undefined;
};

export function pumpSSE<T extends { readonly seq: number }>(
  c: Context,
  after: number,
  source: SseSource<T>,
): Response {
  return streamSSE(c, async (stream) => {
    let last = after;
    const queue: T[] = [];
    let wake: (() => void) | undefined;
    let closed = false;
    // Subscribed before the backlog is read: an item committed in between is in the queue, and
    // the seq check drops the copies that appear in both.
    const unwatch = source.watch((items) => {
      queue.push(...items);
      wake?.();
    });
    stream.onAbort(() => {
      closed = true;
      wake?.();
    });
    const send = async (item: T): Promise<void> => {
      if (item.seq <= last) return;
      last = item.seq;
      const message = source.message(item);
      if (message !== undefined) await stream.writeSSE(message);
    };
    try {
      for (const page of source.backlog(() => last)) {
        if (closed) break;
        for (const item of page) await send(item);
      }
      while (!closed) {
        while (queue.length > 0 && !closed) await send(queue.shift() as T);
        if (closed) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      unwatch();
    }
  });
}
