/** Overview: is it ready (and if not, why), channels, queues, scheduler, spend, storage, backup, build. */
import { useGet } from '../hooks.js';
import { ago, bytes, when, zone } from '../format.js';
import { href } from '../router.js';
import type { Status } from '../types.js';
import { Badge, ErrorNote, Loading } from '../ui.js';

/** Status is cheap to compute; every 5 s is plenty for counts (events stream on their pages). */
const REFRESH_MS = 5_000;

const amount = (n: number, unit: string): string =>
  unit === 'tokens' ? `${Math.round(n).toLocaleString()} tokens` : `${n.toFixed(2)} ${unit}`;

const spend = (costs: Readonly<Record<string, number>>, tokens: number): string => {
  const money = Object.entries(costs).map(([cur, n]) => amount(n, cur));
  return [...money, `${tokens.toLocaleString()} tokens`].join(', ');
};

export function Overview() {
  const { data: s, error } = useGet<Status>('/api/status', REFRESH_MS);
  return (
    <>
      <h1>Overview</h1>
      <ErrorNote error={error} />
      {s === undefined ? (
        <Loading what="status" />
      ) : (
        <div class="grid">
          <section class="card" aria-labelledby="ov-ready">
            <h2 id="ov-ready">Readiness</h2>
            <p>
              {s.ready.ready ? <Badge tone="ok">ready</Badge> : <Badge tone="bad">not ready</Badge>}{' '}
              {s.last_shutdown === 'unclean' ? (
                <Badge tone="warn">recovered from an unclean stop</Badge>
              ) : null}
            </p>
            {s.ready.reasons.length > 0 ? (
              <ul>
                {s.ready.reasons.map((r) => (
                  <li key={r}>
                    <code>{r}</code>
                  </li>
                ))}
              </ul>
            ) : null}
            <dl class="facts">
              <dt>Up since</dt>
              <dd>{when(s.started_at)}</dd>
              <dt>Sessions</dt>
              <dd>
                {s.sessions.active} active, {s.sessions.live_agents} live agents
              </dd>
            </dl>
          </section>
          <section class="card" aria-labelledby="ov-channels">
            <h2 id="ov-channels">Channels</h2>
            {s.channels.length === 0 ? (
              <p class="muted">
                No chat channel is on. Enable <code>[channels.telegram]</code> in config.toml and restart;
                until then, talk to agents on the <a href={href('chat')}>Chat</a> page.
              </p>
            ) : (
              <ul>
                {s.channels.map((c) => (
                  <li key={c.name}>
                    {c.name}:{' '}
                    {c.connected ? (
                      <Badge tone="ok">connected</Badge>
                    ) : (
                      <Badge tone="bad">disconnected</Badge>
                    )}{' '}
                    <span class="muted">last poll {ago(c.last_poll_at)}</span>
                    {c.error === null ? null : <div class="muted">{c.error}</div>}
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section class="card" aria-labelledby="ov-queue">
            <h2 id="ov-queue">Queue and outbox</h2>
            <dl class="facts">
              <dt>Queued turns</dt>
              <dd>{s.queue.depth}</dd>
              <dt>Outbox pending</dt>
              <dd>{s.deliveries.pending}</dd>
              <dt>Failed deliveries</dt>
              <dd>
                {s.deliveries.failed > 0 ? (
                  <a href={href('deliveries')}>{s.deliveries.failed} failed — review</a>
                ) : (
                  '0'
                )}
              </dd>
              <dt>Sent</dt>
              <dd>{s.deliveries.sent}</dd>
            </dl>
          </section>
          <section class="card" aria-labelledby="ov-sched">
            <h2 id="ov-sched">Scheduler</h2>
            <dl class="facts">
              <dt>Tasks</dt>
              <dd>{s.scheduler.tasks}</dd>
              <dt>Next due</dt>
              <dd>
                {s.scheduler.next_due_at === null
                  ? 'nothing scheduled'
                  : `${when(s.scheduler.next_due_at)} (${ago(s.scheduler.next_due_at)})`}
              </dd>
            </dl>
            {s.scheduler.recent_failures.length > 0 ? (
              <p>
                <Badge tone="warn">{s.scheduler.recent_failures.length} recent failed runs</Badge>{' '}
                <a href={href('tasks')}>see tasks</a>
              </p>
            ) : null}
          </section>
          {s.budgets.limits.length > 0 || Object.keys(s.budgets.month.costs).length > 0 ? (
            <section class="card" aria-labelledby="ov-spend">
              <h2 id="ov-spend">Spend</h2>
              <dl class="facts">
                <dt>Today ({s.budgets.today.day})</dt>
                <dd>{spend(s.budgets.today.costs, s.budgets.today.tokens)}</dd>
                <dt>This month ({s.budgets.month.month})</dt>
                <dd>{spend(s.budgets.month.costs, s.budgets.month.tokens)}</dd>
              </dl>
              {s.budgets.limits.length > 0 ? (
                <ul class="limits">
                  {s.budgets.limits.map((l) => (
                    <li key={`${l.scope}:${l.name}:${l.period}:${l.unit}`}>
                      {l.scope} {l.name}, {l.period === 'day' ? 'daily' : 'monthly'} {l.mode}:{' '}
                      {amount(l.spent, l.unit)} of {amount(l.limit, l.unit)}{' '}
                      {l.state === 'ok' ? null : (
                        <Badge tone={l.state === 'refusing' ? 'bad' : 'warn'}>
                          {l.state === 'refusing' ? 'refusing turns' : `paused (${l.state})`}
                        </Badge>
                      )}
                    </li>
                  ))}
                </ul>
              ) : null}
            </section>
          ) : null}
          <section class="card" aria-labelledby="ov-storage">
            <h2 id="ov-storage">Storage</h2>
            <dl class="facts">
              <dt>Disk free</dt>
              <dd>
                {bytes(s.disk.free_bytes)} of {bytes(s.disk.total_bytes)}
              </dd>
              <dt>Database</dt>
              <dd>
                {bytes(s.db.size_bytes)} + {bytes(s.db.wal_bytes)} WAL
              </dd>
              <dt>Last backup</dt>
              <dd>
                {s.last_backup === null ? (
                  <>
                    none yet — <a href={href('backups')}>take one</a>
                  </>
                ) : (
                  `${when(s.last_backup.at)} (${ago(s.last_backup.at)})`
                )}
              </dd>
            </dl>
          </section>
          <section class="card" aria-labelledby="ov-build">
            <h2 id="ov-build">Build</h2>
            <dl class="facts">
              <dt>Version</dt>
              <dd>
                {s.version} <code>{s.git_sha}</code>
              </dd>
              <dt>Node</dt>
              <dd>{s.node}</dd>
              <dt>Home</dt>
              <dd>
                <code>{s.home}</code>
              </dd>
              <dt>Your time zone</dt>
              <dd>{zone}</dd>
            </dl>
            {s.sandbox.some((x) => !x.sandboxed && x.mode !== 'none') ? (
              <p>
                <Badge tone="warn">some agents run without a sandbox</Badge>
              </p>
            ) : null}
          </section>
        </div>
      )}
    </>
  );
}
