/** Chat: talk to any configured agent; the reply streams in as the agent writes it. */
import { useState } from 'preact/hooks';
import { enc, get, post } from '../api.js';
import { useGet } from '../hooks.js';
import { href } from '../router.js';
import { transcript, useSessionEvents } from '../session-events.js';
import type { Agent, SessionDetail, SessionRow } from '../types.js';
import { Empty, ErrorNote, Loading } from '../ui.js';
import type { PageProps } from '../pages.js';
import { PendingPermissions } from './permissions.js';

export function Chat(props: PageProps) {
  const id = props.params[0];
  return (
    <>
      <h1>Chat</h1>
      <Start current={id} />
      {id === undefined ? null : <Conversation key={id} id={id} />}
    </>
  );
}

function Start(props: { current: string | undefined }) {
  const agents = useGet<{ agents: Agent[] }>('/api/agents');
  const sessions = useGet<{ sessions: SessionRow[] }>('/api/sessions');
  const [agent, setAgent] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const list = agents.data?.agents ?? [];
  const chosen = agent || list.find((a) => a.default)?.name || list[0]?.name || '';
  const mine = (sessions.data?.sessions ?? []).filter(
    (s) => s.group_folder === 'cli' && s.state === 'active',
  );
  const start = async (ev: Event): Promise<void> => {
    ev.preventDefault();
    setError(undefined);
    try {
      const s = await post<{ id: string }>('/api/sessions', { agent: chosen });
      window.location.hash = href('chat', s.id);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  if (agents.data === undefined) return <Loading what="agents" />;
  return (
    <section class="panel">
      <form class="inline" onSubmit={(e) => void start(e)}>
        <label>
          Agent
          <select value={chosen} onChange={(e) => setAgent(e.currentTarget.value)}>
            {list.map((a) => (
              <option key={a.name} value={a.name}>
                {a.name} ({a.preset}
                {a.default ? ', default' : ''})
              </option>
            ))}
          </select>
        </label>
        <button type="submit">New conversation</button>
        {mine.length === 0 ? null : (
          <label>
            Or continue
            <select
              value={props.current ?? ''}
              onChange={(e) => {
                if (e.currentTarget.value !== '') window.location.hash = href('chat', e.currentTarget.value);
              }}
            >
              <option value="">choose a conversation…</option>
              {mine.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.id} ({s.agent}, {s.turns} turns)
                </option>
              ))}
            </select>
          </label>
        )}
      </form>
      <ErrorNote error={error} />
      {props.current === undefined ? (
        <p class="muted">
          Pick an agent and start a conversation. The demo agent answers without any API key: try “echo hello”
          or “stream 5”.
        </p>
      ) : null}
    </section>
  );
}

function Conversation(props: { id: string }) {
  const path = `/api/sessions/${enc(props.id)}`;
  const [pending, setPending] = useState<SessionDetail['pending_permissions']>([]);
  const refresh = (): void => {
    get<SessionDetail>(path).then(
      (d) => setPending(d.pending_permissions),
      () => undefined,
    );
  };
  const { events, state } = useSessionEvents(props.id, (e) => {
    if (e.kind === 'permission_asked' || e.kind === 'permission') refresh();
  });
  const messages = transcript(events);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const send = async (ev: Event): Promise<void> => {
    ev.preventDefault();
    if (text.trim() === '') return;
    setError(undefined);
    try {
      await post(`${path}/prompt`, { text, wait: false });
      setText('');
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <>
      <h2 id="chat-h">
        Conversation <code>{props.id}</code>{' '}
        <span class="muted" role="status">
          ({state === 'live' ? 'live' : state})
        </span>{' '}
        <a href={href('sessions', props.id)}>events and controls</a>
      </h2>
      <div class="chat" role="log" aria-labelledby="chat-h" aria-live="polite">
        {messages.length === 0 ? (
          <Empty title="Nothing said yet.">Write the first message below.</Empty>
        ) : (
          messages.map((m) => (
            <div
              key={m.key}
              class={`msg ${m.who === 'user' ? 'user' : 'agent'}`}
              data-done={m.done ? 'yes' : 'no'}
            >
              <span class="who">{m.who === 'user' ? 'You' : m.who === 'agent' ? 'Agent' : 'Note'}</span>
              {m.text}
            </div>
          ))
        )}
      </div>
      <PendingPermissions sessionId={props.id} pending={pending} changed={refresh} />
      <form class="stack panel" onSubmit={(e) => void send(e)}>
        <label>
          Message
          <textarea
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => {
              // Ctrl/⌘+Enter sends; plain Enter makes a new line.
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void send(e);
            }}
          />
        </label>
        <div class="actions">
          <button type="submit">Send</button>
          <span class="muted">Ctrl+Enter sends</span>
        </div>
        <ErrorNote error={error} />
      </form>
    </>
  );
}
