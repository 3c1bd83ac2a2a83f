/** Logs: the daemon log, live, filtered by level, component and group (server side). */
import { useState } from 'preact/hooks';
import { clock } from '../format.js';
import { useStream } from '../hooks.js';
import type { LogLine } from '../types.js';
import { Empty } from '../ui.js';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
const NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
/** Lines kept on the page; the file keeps the rest (agentforge logs). */
const MAX_LINES = 1_000;

export function Logs() {
  const [level, setLevel] = useState<(typeof LEVELS)[number]>('info');
  const [group, setGroup] = useState('');
  const [component, setComponent] = useState('');
  const [applied, setApplied] = useState({ level: 'info', group: '', component: '' });
  const [lines, setLines] = useState<LogLine[]>([]);
  const q = new URLSearchParams({ follow: '1', level: applied.level });
  if (applied.group !== '') q.set('group', applied.group);
  if (applied.component !== '') q.set('component', applied.component);
  const state = useStream<LogLine>(`/api/logs?${q.toString()}`, ['log'], (l) =>
    setLines((prev) => {
      const next = [...prev, l];
      return next.length > MAX_LINES ? next.slice(-MAX_LINES) : next;
    }),
  );
  const apply = (ev: Event): void => {
    ev.preventDefault();
    setLines([]);
    setApplied({ level, group: group.trim(), component: component.trim() });
  };
  return (
    <>
      <h1>Logs</h1>
      <form class="inline panel" onSubmit={apply}>
        <label>
          Minimum level
          <select value={level} onChange={(e) => setLevel(e.currentTarget.value as (typeof LEVELS)[number])}>
            {LEVELS.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          Group
          <input value={group} placeholder="any" onInput={(e) => setGroup(e.currentTarget.value)} />
        </label>
        <label>
          Component
          <input
            value={component}
            placeholder="any (e.g. telegram)"
            onInput={(e) => setComponent(e.currentTarget.value)}
          />
        </label>
        <button type="submit">Apply filters</button>
        <span class="muted" role="status">
          {state === 'live' ? 'live' : state}
        </span>
      </form>
      {lines.length === 0 ? (
        <Empty title="No log lines match.">
          Lower the level or clear the filters; new lines appear here as they are written.
        </Empty>
      ) : (
        <ol class="logs" aria-label="Log lines" tabIndex={0}>
          {lines.map((l) => (
            <li key={l.seq} class={`lvl-${l.level}`}>
              <span class="muted">{clock(l.time)}</span> <span class="lvl">{NAMES[l.level] ?? l.level}</span>{' '}
              {l.component ?? '-'}: {l.msg}
              {Object.keys(l.fields).length > 0 ? (
                <span class="muted"> {JSON.stringify(l.fields)}</span>
              ) : null}
            </li>
          ))}
        </ol>
      )}
    </>
  );
}
