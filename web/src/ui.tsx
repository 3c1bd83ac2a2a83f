/** Small shared pieces: empty states that say what to do, error notes, badges, busy buttons. */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

export function Empty(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <strong>{props.title}</strong>
      {props.children === undefined ? null : <div>{props.children}</div>}
    </div>
  );
}

export function ErrorNote(props: { error: string | undefined }) {
  if (props.error === undefined) return null;
  return (
    <p class="note bad" role="alert">
      {props.error}
    </p>
  );
}

export function Loading(props: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {props.what}…
    </p>
  );
}

export type Tone = 'ok' | 'warn' | 'bad';
export function Badge(props: { tone: Tone; children: ComponentChildren }) {
  return <span class={`badge ${props.tone}`}>{props.children}</span>;
}

/**
 * A button that runs an API call: disabled while it runs, and the outcome is announced (errors
 * in an alert, success in a polite status) so keyboard and screen-reader users learn it too.
 */
export function Action(props: {
  label: string;
  run: () => Promise<unknown>;
  done?: () => void;
  kind?: 'primary' | 'secondary' | 'danger';
  ariaLabel?: string;
  confirm?: string;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const click = async (): Promise<void> => {
    if (props.confirm !== undefined && !window.confirm(props.confirm)) return;
    setBusy(true);
    setError(undefined);
    try {
      await props.run();
      props.done?.();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        class={props.kind === undefined || props.kind === 'primary' ? '' : props.kind}
        disabled={busy}
        aria-label={props.ariaLabel}
        onClick={() => void click()}
      >
        {busy ? `${props.label}…` : props.label}
      </button>
      {error === undefined ? null : (
        <span class="note bad" role="alert">
          {error}
        </span>
      )}
    </>
  );
}

/** A horizontally scrollable table region, reachable by keyboard on a narrow phone. */
export function TableWrap(props: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" role="region" aria-label={props.label} tabIndex={0}>
      {props.children}
    </div>
  );
}
