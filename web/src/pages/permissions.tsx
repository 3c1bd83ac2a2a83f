/** Permission requests an agent is waiting on (permission_mode = "ask"): Approve or Deny. */
import { enc, post } from '../api.js';
import { ago } from '../format.js';
import type { Pending } from '../types.js';
import { Action } from '../ui.js';

export function PendingPermissions(props: {
  sessionId: string;
  pending: readonly Pending[];
  changed: () => void;
}) {
  if (props.pending.length === 0) return null;
  const answer = (id: string, allow: boolean) => () =>
    post(`/api/sessions/${enc(props.sessionId)}/approve`, { request_id: id, allow, via: 'dashboard' });
  return (
    <section class="panel" aria-labelledby="perm-h">
      <h2 id="perm-h">Waiting for your permission</h2>
      <ul>
        {props.pending.map((p) => (
          <li key={p.id} class="actions">
            <span>
              The agent asks to <strong>{p.kind}</strong>: “{p.title}”{' '}
              <span class="muted">
                (request {p.id}, denied {ago(p.expiresAt)} if unanswered)
              </span>
            </span>
            <Action
              label="Approve"
              ariaLabel={`Approve request ${p.id}`}
              run={answer(p.id, true)}
              done={props.changed}
            />
            <Action
              label="Deny"
              kind="danger"
              ariaLabel={`Deny request ${p.id}`}
              run={answer(p.id, false)}
              done={props.changed}
            />
          </li>
        ))}
      </ul>
    </section>
  );
}
