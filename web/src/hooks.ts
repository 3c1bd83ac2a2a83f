/** Data hooks: one fetch (with optional slow refresh, never under 1 s) and a live SSE stream. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { get } from './api.js';

/** No page refreshes faster than this (the budget); live data comes over SSE instead. */
export const MIN_REFRESH_MS = 1_000;

export type Loaded<T> = { data: T | undefined; error: string | undefined; reload: () => void };

export function useGet<T>(path: string | null, refreshMs?: number): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    get<T>(path).then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(undefined);
      },
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [path, tick]);
  useEffect(() => {
    if (refreshMs === undefined) return;
    const id = setInterval(reload, Math.max(MIN_REFRESH_MS, refreshMs));
    return () => clearInterval(id);
  }, [refreshMs, reload]);
  return { data, error, reload };
}

export type StreamState = 'connecting' | 'live' | 'reconnecting';

/**
 * An EventSource on `url`: the browser reconnects by itself and sends Last-Event-ID, so the
 * server replays exactly what was missed. `onEvent` gets each parsed message.
 */
export function useStream<E>(
  url: string | null,
  events: readonly string[],
  onEvent: (e: E) => void,
): StreamState {
  const [state, setState] = useState<StreamState>('connecting');
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    if (url === null) return;
    setState('connecting');
    const src = new EventSource(url);
    const listen = (m: MessageEvent<string>): void => handler.current(JSON.parse(m.data) as E);
    for (const name of events) src.addEventListener(name, listen as EventListener);
    src.onopen = () => setState('live');
    src.onerror = () => setState('reconnecting');
    return () => src.close();
    // The event names are constant per page: only a new url opens a new stream.
  }, [url]);
  return state;
}
