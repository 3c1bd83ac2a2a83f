/** Groups and pairing: registered chats (register, remove) and pairing codes waiting for approval. */
import { useState } from 'preact/hooks';
import { del, enc, post } from '../api.js';
import { ago, when } from '../format.js';
import { useGet } from '../hooks.js';
import type { Agent, Group, PairingCode } from '../types.js';
import { Action, Badge, Empty, ErrorNote, Loading, TableWrap } from '../ui.js';

export function Groups() {
  const groups = useGet<{ groups: Group[] }>('/api/groups');
  const pairing = useGet<{ pending: PairingCode[] }>('/api/pairing', 10_000);
  return (
    <>
      <h1>Groups and pairing</h1>
      <h2 id="pair-h">Pairing requests</h2>
      <ErrorNote error={pairing.error} />
      {pairing.data === undefined ? (
        <Loading what="pairing codes" />
      ) : pairing.data.pending.length === 0 ? (
        <Empty title="No one is waiting.">
          When someone new writes to the bot in a direct chat (with <code>dm_policy = "pairing"</code>), they
          get a code and it shows up here to approve.
        </Empty>
      ) : (
        <ul aria-labelledby="pair-h">
          {pairing.data.pending.map((p) => (
            <li key={p.code} class="actions">
              <span>
                <code>{p.code}</code> from {p.user_name ?? 'unknown'} ({p.channel} user {p.user_id}),{' '}
                <span class="muted">expires {ago(p.expires_at)}</span>
              </span>
              <Action
                label="Approve"
                ariaLabel={`Approve pairing code ${p.code}`}
                run={() => post('/api/pairing/approve', { code: p.code })}
                done={() => {
                  pairing.reload();
                  groups.reload();
                }}
              />
            </li>
          ))}
        </ul>
      )}
      <h2>Registered chats</h2>
      <ErrorNote error={groups.error} />
      {groups.data === undefined ? (
        <Loading what="groups" />
      ) : groups.data.groups.length === 0 ? (
        <Empty title="No chats registered yet.">
          Register a Telegram group below with its chat id (the bot must be a member), or with{' '}
          <code>agentforge group add &lt;chat id&gt;</code>.
        </Empty>
      ) : (
        <TableWrap label="Registered chats">
          <table>
            <thead>
              <tr>
                <th scope="col">Folder</th>
                <th scope="col">Chat</th>
                <th scope="col">Agent</th>
                <th scope="col">Trigger</th>
                <th scope="col">Since</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {groups.data.groups.map((g) => (
                <tr key={g.folder}>
                  <td>
                    {g.folder} {g.is_main ? <Badge tone="ok">main</Badge> : null}
                    {g.is_dm ? <span class="muted"> (direct chat)</span> : null}
                  </td>
                  <td>
                    {g.name ?? ''} <code>{g.chat_id}</code> <span class="muted">{g.channel}</span>
                  </td>
                  <td>{g.agent ?? 'default'}</td>
                  <td>{g.trigger ?? '—'}</td>
                  <td>{when(g.created_at)}</td>
                  <td>
                    <Action
                      label="Remove"
                      kind="danger"
                      ariaLabel={`Remove group ${g.folder}`}
                      confirm={`Remove group ${g.folder}? Its workspace stays on disk.`}
                      run={() => del(`/api/groups/${enc(g.folder)}`)}
                      done={groups.reload}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <Register done={groups.reload} />
    </>
  );
}

function Register(props: { done: () => void }) {
  const agents = useGet<{ agents: Agent[] }>('/api/agents');
  const [f, setF] = useState({ chat: '', folder: '', agent: '', trigger: '', name: '', main: false });
  const [error, setError] = useState<string | undefined>(undefined);
  const [ok, setOk] = useState<string | undefined>(undefined);
  const field = (k: keyof typeof f) => (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) =>
    setF({ ...f, [k]: e.currentTarget.value });
  const submit = async (ev: Event): Promise<void> => {
    ev.preventDefault();
    setError(undefined);
    setOk(undefined);
    try {
      const row = await post<Group>('/api/groups', {
        chat: f.chat.trim(),
        folder: f.folder.trim() || undefined,
        agent: f.agent || undefined,
        trigger: f.trigger.trim() || undefined,
        name: f.name.trim() || undefined,
        main: f.main,
      });
      setOk(`Registered chat ${row.chat_id} as group ${row.folder}.`);
      setF({ chat: '', folder: '', agent: '', trigger: '', name: '', main: false });
      props.done();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <section class="panel" aria-labelledby="reg-h">
      <h2 id="reg-h">Register a chat</h2>
      <form class="stack" onSubmit={(e) => void submit(e)}>
        <label>
          Chat id (numeric, groups start with -)
          <input required inputMode="numeric" pattern="-?[0-9]+" value={f.chat} onInput={field('chat')} />
        </label>
        <label>
          Folder (optional; default tg-&lt;chat id&gt;)
          <input value={f.folder} onInput={field('folder')} />
        </label>
        <label>
          Agent
          <select value={f.agent} onChange={field('agent')}>
            <option value="">the default agent</option>
            {(agents.data?.agents ?? []).map((a) => (
              <option key={a.name} value={a.name}>
                {a.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Trigger word (optional, e.g. @Andy)
          <input value={f.trigger} onInput={field('trigger')} />
        </label>
        <label>
          Name (optional)
          <input value={f.name} onInput={field('name')} />
        </label>
        <label class="check">
          <input
            type="checkbox"
            checked={f.main}
            onChange={(e) => setF({ ...f, main: e.currentTarget.checked })}
          />
          Main group (the operator's own: the agent answers everything there)
        </label>
        <div class="actions">
          <button type="submit">Register</button>
        </div>
        <ErrorNote error={error} />
        {ok === undefined ? null : (
          <p class="note ok" role="status">
            {ok}
          </p>
        )}
      </form>
    </section>
  );
}
