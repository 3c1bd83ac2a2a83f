/** Tasks: the list with pause / resume / run now, each task's run history, and adding one with a preview. */
import { useEffect, useState } from 'preact/hooks';
import { del, enc, get, post } from '../api.js';
import { when, zone } from '../format.js';
import { useGet } from '../hooks.js';
import type { Group, Run, Task } from '../types.js';
import { Action, Badge, Empty, ErrorNote, Loading, TableWrap } from '../ui.js';

export function Tasks() {
  const tasks = useGet<{ tasks: Task[] }>('/api/tasks', 10_000);
  const [open, setOpen] = useState<string | undefined>(undefined);
  const list = (tasks.data?.tasks ?? []).filter((t) => t.status !== 'cancelled');
  return (
    <>
      <h1>Tasks</h1>
      <ErrorNote error={tasks.error} />
      {tasks.data === undefined ? (
        <Loading what="tasks" />
      ) : list.length === 0 ? (
        <Empty title="No scheduled tasks.">
          Add one below, ask an agent to schedule one, or use <code>agentforge task add</code>.
        </Empty>
      ) : (
        <TableWrap label="Tasks">
          <table>
            <thead>
              <tr>
                <th scope="col">Task</th>
                <th scope="col">Schedule</th>
                <th scope="col">Status</th>
                <th scope="col">Next run</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((t) => (
                <tr key={t.id} data-task={t.id}>
                  <td class="wrap">
                    <code>{t.id}</code> <span class="muted">in {t.group_folder}</span>
                    <div>{t.prompt.length > 120 ? `${t.prompt.slice(0, 120)}…` : t.prompt}</div>
                  </td>
                  <td>
                    {t.schedule_type} <code>{t.schedule_value}</code>
                    <div class="muted">{t.timezone}</div>
                  </td>
                  <td>
                    <Badge tone={t.status === 'active' ? 'ok' : t.status === 'paused' ? 'warn' : 'bad'}>
                      {t.status}
                    </Badge>
                  </td>
                  <td>{t.status === 'paused' ? 'paused' : when(t.next_run_at)}</td>
                  <td>
                    <div class="actions">
                      {t.status === 'paused' ? (
                        <Action
                          label="Resume"
                          ariaLabel={`Resume task ${t.id}`}
                          run={() => post(`/api/tasks/${enc(t.id)}/resume`)}
                          done={tasks.reload}
                        />
                      ) : t.status === 'active' ? (
                        <Action
                          label="Pause"
                          kind="secondary"
                          ariaLabel={`Pause task ${t.id}`}
                          run={() => post(`/api/tasks/${enc(t.id)}/pause`)}
                          done={tasks.reload}
                        />
                      ) : null}
                      <Action
                        label="Run now"
                        kind="secondary"
                        ariaLabel={`Run now: task ${t.id}`}
                        run={() => post(`/api/tasks/${enc(t.id)}/run-now`)}
                        done={tasks.reload}
                      />
                      <button
                        type="button"
                        class="secondary"
                        aria-expanded={open === t.id}
                        aria-controls={`runs-${t.id}`}
                        onClick={() => setOpen(open === t.id ? undefined : t.id)}
                      >
                        Runs
                      </button>
                      <Action
                        label="Delete"
                        kind="danger"
                        ariaLabel={`Delete task ${t.id}`}
                        confirm={`Cancel task ${t.id} for good?`}
                        run={() => del(`/api/tasks/${enc(t.id)}`)}
                        done={tasks.reload}
                      />
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {open === undefined ? null : <Runs id={open} />}
      <AddTask done={tasks.reload} />
    </>
  );
}

function Runs(props: { id: string }) {
  const { data, error } = useGet<{ runs: Run[] }>(`/api/tasks/${enc(props.id)}/runs?limit=20`, 10_000);
  return (
    <section class="panel" id={`runs-${props.id}`} aria-labelledby="runs-h">
      <h2 id="runs-h">
        Runs of <code>{props.id}</code>
      </h2>
      <ErrorNote error={error} />
      {data === undefined ? (
        <Loading what="runs" />
      ) : data.runs.length === 0 ? (
        <Empty title="No runs yet.">It runs at its next time, or now with “Run now”.</Empty>
      ) : (
        <TableWrap label={`Runs of ${props.id}`}>
          <table>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Scheduled for</th>
                <th scope="col">Status</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {data.runs.map((r) => (
                <tr key={r.id}>
                  <td>
                    #{r.id} <span class="muted">attempt {r.attempt}</span>
                  </td>
                  <td>{when(r.scheduled_for)}</td>
                  <td>
                    {r.status}
                    {r.duration_ms === null ? '' : ` (${r.duration_ms} ms)`}
                  </td>
                  <td class="wrap">
                    {r.error === null ? (r.result_excerpt ?? '') : `${r.error_kind ?? ''} ${r.error}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </section>
  );
}

const HINT: Record<Task['schedule_type'], string> = {
  cron: '5 fields: minute hour day month weekday, e.g. 0 9 * * 1-5',
  interval: 'a duration of at least 1m, e.g. 30m or 2h',
  once: 'an ISO time with a zone, e.g. 2030-01-01T09:00:00Z',
};

function AddTask(props: { done: () => void }) {
  const groups = useGet<{ groups: Group[] }>('/api/groups');
  const [f, setF] = useState({
    group: 'cli',
    prompt: '',
    type: 'cron' as Task['schedule_type'],
    value: '',
    tz: zone,
  });
  const [preview, setPreview] = useState<{ timezone: string; next: string[] } | string | undefined>(
    undefined,
  );
  const [error, setError] = useState<string | undefined>(undefined);
  const [ok, setOk] = useState<string | undefined>(undefined);
  useEffect(() => {
    if (f.value.trim() === '') {
      setPreview(undefined);
      return;
    }
    // Asked once typing pauses: a preview per keystroke would be noise.
    const timer = setTimeout(() => {
      const q = new URLSearchParams({ schedule_type: f.type, schedule_value: f.value.trim(), count: '5' });
      if (f.type === 'cron' && f.tz.trim() !== '') q.set('timezone', f.tz.trim());
      get<{ timezone: string; next: string[] }>(`/api/tasks/preview?${q.toString()}`).then(
        setPreview,
        (e: Error) => setPreview(e.message),
      );
    }, 400);
    return () => clearTimeout(timer);
  }, [f.type, f.value, f.tz]);
  const submit = async (ev: Event): Promise<void> => {
    ev.preventDefault();
    setError(undefined);
    setOk(undefined);
    try {
      const t = await post<Task>('/api/tasks', {
        group: f.group,
        prompt: f.prompt,
        schedule_type: f.type,
        schedule_value: f.value.trim(),
        timezone: f.type === 'cron' && f.tz.trim() !== '' ? f.tz.trim() : undefined,
      });
      setOk(`Scheduled task ${t.id}; next run ${when(t.next_run_at)}.`);
      setF({ ...f, prompt: '', value: '' });
      props.done();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <section class="panel" aria-labelledby="add-h">
      <h2 id="add-h">Add a task</h2>
      <form class="stack" onSubmit={(e) => void submit(e)}>
        <label>
          Group
          <select value={f.group} onChange={(e) => setF({ ...f, group: e.currentTarget.value })}>
            <option value="cli">cli (local sessions)</option>
            {(groups.data?.groups ?? []).map((g) => (
              <option key={g.folder} value={g.folder}>
                {g.folder}
              </option>
            ))}
          </select>
        </label>
        <label>
          Prompt
          <textarea
            required
            value={f.prompt}
            onInput={(e) => setF({ ...f, prompt: e.currentTarget.value })}
          />
        </label>
        <label>
          Schedule type
          <select
            value={f.type}
            onChange={(e) => setF({ ...f, type: e.currentTarget.value as Task['schedule_type'] })}
          >
            <option value="cron">cron</option>
            <option value="interval">interval</option>
            <option value="once">once</option>
          </select>
        </label>
        <label>
          Schedule <span class="muted">({HINT[f.type]})</span>
          <input required value={f.value} onInput={(e) => setF({ ...f, value: e.currentTarget.value })} />
        </label>
        {f.type === 'cron' ? (
          <label>
            Time zone (IANA)
            <input value={f.tz} onInput={(e) => setF({ ...f, tz: e.currentTarget.value })} />
          </label>
        ) : null}
        <div role="status" aria-live="polite" class="preview">
          {preview === undefined ? null : typeof preview === 'string' ? (
            <p class="note bad">{preview}</p>
          ) : (
            <>
              <p>
                Next runs (schedule zone {preview.timezone}; shown in yours, {zone}):
              </p>
              <ol>
                {preview.next.map((t) => (
                  <li key={t}>{when(t)}</li>
                ))}
              </ol>
            </>
          )}
        </div>
        <div class="actions">
          <button type="submit">Add task</button>
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
