/** Deliveries: outbox rows that failed for good, and pending ones retrying or paced; retry them. */
import { post } from '../api.js';
import { ago, when } from '../format.js';
import { useGet } from '../hooks.js';
import type { OutboxRow } from '../types.js';
import { Action, Empty, ErrorNote, Loading, TableWrap } from '../ui.js';

export function Deliveries() {
  const failed = useGet<{ rows: OutboxRow[] }>('/api/outbox?status=failed', 10_000);
  const waiting = useGet<{ rows: OutboxRow[] }>('/api/outbox?status=pending', 5_000);
  const reload = (): void => {
    failed.reload();
    waiting.reload();
  };
  return (
    <>
      <h1>Deliveries</h1>
      <h2 id="failed-h">Failed</h2>
      <ErrorNote error={failed.error} />
      {failed.data === undefined ? (
        <Loading what="failed deliveries" />
      ) : failed.data.rows.length === 0 ? (
        <Empty title="No failed deliveries.">
          Every message left the outbox. Failures after all retries show up here.
        </Empty>
      ) : (
        <Rows label="Failed deliveries" rows={failed.data.rows} reload={reload} />
      )}
      <h2 id="waiting-h">Retrying or paced</h2>
      <ErrorNote error={waiting.error} />
      {waiting.data === undefined ? (
        <Loading what="waiting deliveries" />
      ) : waiting.data.rows.length === 0 ? (
        <Empty title="Nothing is waiting.">
          Messages held back by rate limits or a failed attempt appear here until they go out.
        </Empty>
      ) : (
        <Rows label="Retrying or paced deliveries" rows={waiting.data.rows} reload={reload} />
      )}
    </>
  );
}

function Rows(props: { label: string; rows: readonly OutboxRow[]; reload: () => void }) {
  return (
    <TableWrap label={props.label}>
      <table>
        <thead>
          <tr>
            <th scope="col">Outbox</th>
            <th scope="col">To</th>
            <th scope="col">Message</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last error</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr key={r.id} data-outbox={r.id}>
              <td>
                #{r.id}
                <div class="muted">{when(r.created_at)}</div>
              </td>
              <td>
                {r.group_folder ?? r.chat_id} <span class="muted">{r.channel}</span>
              </td>
              <td class="wrap">{r.text.length > 160 ? `${r.text.slice(0, 160)}…` : r.text}</td>
              <td>
                {r.attempts}
                {r.status === 'pending' ? <div class="muted">next {ago(r.next_attempt_at)}</div> : null}
              </td>
              <td class="wrap">{r.last_error ?? '—'}</td>
              <td>
                <Action
                  label={r.status === 'failed' ? 'Retry' : 'Send now'}
                  ariaLabel={`${r.status === 'failed' ? 'Retry' : 'Send now'}: delivery ${r.id}`}
                  run={() => post(`/api/outbox/${r.id}/retry`)}
                  done={props.reload}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}
