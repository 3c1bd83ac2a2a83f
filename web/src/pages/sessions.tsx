/** Sessions: the list, and one session's live events, prompt box, controls and pending permissions. */
import { useState } from 'preact/hooks';
import { enc, post } from '../api.js';
import { clock, when } from '../format.js';
import { useGet } from '../hooks.js';
import { href } from '../router.js';
import { eventLines, useSessionEvents } from '../session-events.js';
import type { SessionDetail as Detail, SessionRow } from '../types.js';
import { Action, Badge, Empty, ErrorNote, Loading, TableWrap } from '../ui.js';
import type { PageProps } from '../pages.js';
import { PendingPermissions } from './permissions.js';

export function Sessions(props: PageProps) {
  const id = props.params[0];
  return id === undefined ? <SessionList /> : <SessionView id={id} />;
}

function SessionList() {
  const { data, error } = useGet<{ sessions: SessionRow[] }>('/api/sessions', 10_000);
  const rows = (data?.sessions ?? []).filter((s) => s.state !== 'removed');
  return (
    <>
      <h1>Sessions</h1>
      <ErrorNote error={error} />
      {data === undefined ? (
        <Loading what="sessions" />
      ) : rows.length === 0 ? (
        <Empty title="No sessions yet.">
          Start one on the <a href={href('chat')}>Chat</a> page, or with <code>agentforge session new</code>.
          A chat message to a registered group starts that group's session too.
        </Empty>
      ) : (
        <TableWrap label="Sessions">
          <table>
            <thead>
              <tr>
                <th scope="col">Session</th>
                <th scope="col">Agent</th>
                <th scope="col">Group</th>
                <th scope="col">State</th>
                <th scope="col">Turns</th>
                <th scope="col">Last turn</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((s) => (
                <tr key={s.id}>
                  <td>
                    <a href={href('sessions', s.id)}>{s.id}</a>
                  </td>
                  <td>{s.agent}</td>
                  <td>{s.group_folder}</td>
                  <td>
                    {s.state} · {s.live}
                    {s.last_error_kind === null ? null : (
                      <>
                        {' '}
                        <Badge tone="warn">last failure: {s.last_error_kind}</Badge>
                      </>
                    )}
                  </td>
                  <td>{s.turns}</td>
                  <td>{when(s.last_turn_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </>
  );
}

function SessionView(props: { id: string }) {
  const path = `/api/sessions/${enc(props.id)}`;
  const detail = useGet<Detail>(path);
  const { events, state } = useSessionEvents(props.id, (e) => {
    // A permission asked or answered, a turn over, a process gone: the controls' state changed.
    if (['permission_asked', 'permission', 'turn_end', 'failure', 'process'].includes(e.kind))
      detail.reload();
  });
  const s = detail.data;
  const lines = eventLines(events);
  return (
    <>
      <p>
        <a href={href('sessions')}>← All sessions</a>
      </p>
      <h1>Session {props.id}</h1>
      <ErrorNote error={detail.error} />
      {s === undefined ? null : (
        <section class="panel" aria-labelledby="s-facts">
          <h2 id="s-facts" class="sr-only">
            About this session
          </h2>
          <dl class="facts">
            <dt>Agent</dt>
            <dd>{s.agent}</dd>
            <dt>Group</dt>
            <dd>{s.group_folder}</dd>
            <dt>State</dt>
            <dd>
              {s.state} · {s.live}
              {s.queued > 0 ? ` · ${s.queued} queued` : ''}
            </dd>
            <dt>Turns</dt>
            <dd>{s.turns}</dd>
            {s.last_error === null ? null : (
              <>
                <dt>Last failure</dt>
                <dd>
                  {s.last_error_kind}: {s.last_error}
                </dd>
              </>
            )}
          </dl>
          <div class="actions">
            <Action
              label="Cancel turn"
              kind="secondary"
              run={() => post(`${path}/cancel`)}
              done={detail.reload}
            />
            <Action label="Stop" kind="danger" run={() => post(`${path}/stop`)} done={detail.reload} />
            <Action label="Resume" kind="secondary" run={() => post(`${path}/resume`)} done={detail.reload} />
          </div>
        </section>
      )}
      {s === undefined ? null : (
        <PendingPermissions sessionId={props.id} pending={s.pending_permissions} changed={detail.reload} />
      )}
      <PromptBox path={path} />
      <h2 id="s-events">
        Events{' '}
        <span class="muted" role="status">
          ({state === 'live' ? 'live' : state})
        </span>
      </h2>
      {lines.length === 0 ? (
        <Empty title="No events yet.">Send a prompt above; the agent's reply streams in here.</Empty>
      ) : (
        <ol class="events" aria-labelledby="s-events" tabIndex={0}>
          {lines.map((l) => (
            <li key={l.key} data-kind={l.kind}>
              <span class="kind">
                {clock(l.at)}
                <br />
                {l.kind}
              </span>
              <span class="body">{l.text}</span>
            </li>
          ))}
        </ol>
      )}
    </>
  );
}

function PromptBox(props: { path: string }) {
  const [text, setText] = useState('');
  const [interrupt, setInterrupt] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (ev: Event): Promise<void> => {
    ev.preventDefault();
    if (text.trim() === '') return;
    setBusy(true);
    setError(undefined);
    try {
      await post(`${props.path}/prompt`, { text, mode: interrupt ? 'interrupt' : 'queue', wait: false });
      setText('');
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="stack panel" onSubmit={(e) => void submit(e)}>
      <label>
        Prompt
        <textarea value={text} onInput={(e) => setText(e.currentTarget.value)} />
      </label>
      <label class="check">
        <input type="checkbox" checked={interrupt} onChange={(e) => setInterrupt(e.currentTarget.checked)} />
        Interrupt the running turn instead of queueing
      </label>
      <div class="actions">
        <button type="submit" disabled={busy}>
          Send prompt
        </button>
      </div>
      <ErrorNote error={error} />
    </form>
  );
}
