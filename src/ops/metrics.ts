/**
 * Prometheus metrics (prom-client, a private registry). Values the parts already count are read at
 * scrape time through `collect`, so nothing runs between scrapes. We deliberately do not enable
 * prom-client's default metrics: its event-loop-lag monitor samples every 10 ms, which would break
 * "nothing wakes up when idle"; process memory is reported from process.memoryUsage() instead.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type MetricSources = {
  readonly queueDepth: () => number;
  readonly liveAgents: () => number;
  readonly deliveries: () => { sent: number; retried: number; failed: number; rateLimited: number };
  readonly pollErrors: () => number;
  readonly dbBytes: () => { main: number; wal: number };
  readonly lastBackupAt: () => number | null;
  /** The e-mail channel, when enabled: connection, IDLE, and its counters since start. */
  readonly email?: () =>
    { connected: boolean; idle: boolean; counters: Readonly<Record<string, number>> } | undefined;
  /** Groups and agents a soft budget holds now. */
  readonly budgetsPaused?: () => number;
};

/** One recorded usage row (usage/recorder.ts RecordedUsage, structurally). */
export type UsageSample = {
  readonly agent: string;
  readonly group: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly totalTokens: number;
  readonly cost: number;
  readonly currency: string | null;
  readonly estimated: boolean;
};

export type Metrics = {
  readonly registry: Registry;
  readonly turnFinished: (outcome: string, ms: number) => void;
  readonly eventsIngested: (n: number) => void;
  readonly usageRecorded: (u: UsageSample) => void;
};

/** Sets a counter to a cumulative value someone else keeps (called from collect, after reset). */
function mirror(counter: Counter<string>, value: number, labels?: Record<string, string>): void {
  if (labels === undefined) {
    counter.reset();
    counter.inc(value);
  } else counter.inc(labels, value);
}

export function createMetrics(src: MetricSources): Metrics {
  const registry = new Registry();
  const turns = new Counter({
    name: 'agentforge_turns_total',
    help: 'Agent turns by outcome (ok or the failure kind).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'agentforge_turn_duration_seconds',
    help: 'Wall time of agent turns.',
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900],
    registers: [registry],
  });
  const events = new Counter({
    name: 'agentforge_events_ingested_total',
    help: 'ACP session events committed to the event logs.',
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'agentforge_usage_tokens_total',
    help: 'Tokens the agents reported since start, by agent, group and kind (input, output, total).',
    labelNames: ['agent', 'group', 'kind'],
    registers: [registry],
  });
  const cost = new Counter({
    name: 'agentforge_usage_cost_total',
    help: 'Cost the agents reported (or the price table estimated) since start, by agent, group and currency.',
    labelNames: ['agent', 'group', 'currency', 'estimated'],
    registers: [registry],
  });
  new Gauge({
    name: 'agentforge_budget_paused',
    help: 'Groups and agents a soft budget holds now (waiting for an approver or stopped).',
    registers: [registry],
    collect() {
      this.set(src.budgetsPaused?.() ?? 0);
    },
  });
  new Gauge({
    name: 'agentforge_queue_depth',
    help: 'Prompts and messages waiting for a turn.',
    registers: [registry],
    collect() {
      this.set(src.queueDepth());
    },
  });
  new Gauge({
    name: 'agentforge_live_agents',
    help: 'Live agent processes.',
    registers: [registry],
    collect() {
      this.set(src.liveAgents());
    },
  });
  new Counter({
    name: 'agentforge_deliveries_total',
    help: 'Outbox deliveries by outcome since start.',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      const d = src.deliveries();
      this.reset();
      for (const [outcome, n] of [
        ['sent', d.sent],
        ['retried', d.retried],
        ['failed', d.failed],
        ['rate_limited', d.rateLimited],
      ] as const)
        mirror(this, n, { outcome });
    },
  });
  new Counter({
    name: 'agentforge_poll_errors_total',
    help: 'Channel receive-loop errors since start.',
    registers: [registry],
    collect() {
      mirror(this, src.pollErrors());
    },
  });
  new Gauge({
    name: 'agentforge_email_connected',
    help: 'E-mail channel state: connected (IMAP logged in) and idle (IDLE running); absent when e-mail is off.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.reset();
      const e = src.email?.();
      if (e === undefined) return;
      this.set({ state: 'connected' }, e.connected ? 1 : 0);
      this.set({ state: 'idle' }, e.idle ? 1 : 0);
    },
  });
  new Counter({
    name: 'agentforge_email_messages_total',
    help: 'E-mail since start: received_{accepted,skipped,quarantined}, sent_{sent,retry,failed,found_in_sent}, syncs.',
    labelNames: ['event'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [event, n] of Object.entries(src.email?.()?.counters ?? {})) mirror(this, n, { event });
    },
  });
  new Gauge({
    name: 'agentforge_db_size_bytes',
    help: 'Size of the global database files.',
    labelNames: ['file'],
    registers: [registry],
    collect() {
      const b = src.dbBytes();
      this.set({ file: 'db' }, b.main);
      this.set({ file: 'wal' }, b.wal);
    },
  });
  new Gauge({
    name: 'agentforge_last_backup_age_seconds',
    help: 'Age of the newest complete backup (-1 when there is none).',
    registers: [registry],
    collect() {
      const at = src.lastBackupAt();
      this.set(at === null ? -1 : (Date.now() - at) / 1000);
    },
  });
  new Gauge({
    name: 'agentforge_process_memory_bytes',
    help: 'Daemon process memory.',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      const m = process.memoryUsage();
      this.set({ kind: 'rss' }, m.rss);
      this.set({ kind: 'heap_used' }, m.heapUsed);
      this.set({ kind: 'external' }, m.external);
    },
  });
  return {
    registry,
    turnFinished: (outcome, ms) => {
      turns.inc({ outcome });
      latency.observe(ms / 1000);
    },
    eventsIngested: (n) => events.inc(n),
    usageRecorded: (u) => {
      const who = { agent: u.agent, group: u.group };
      tokens.inc({ ...who, kind: 'input' }, u.inputTokens);
      tokens.inc({ ...who, kind: 'output' }, u.outputTokens);
      tokens.inc({ ...who, kind: 'total' }, u.totalTokens);
      if (u.currency !== null)
        cost.inc({ ...who, currency: u.currency, estimated: u.estimated ? 'true' : 'false' }, u.cost);
    },
  };
}
