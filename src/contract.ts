/**
 * The JSON the control plane returns: shared by the API, the CLI and ops. Types only, no imports,
 * so any layer may depend on it.
 */
export type Severity = 'ok' | 'info' | 'warn' | 'error';

export type Finding = {
  readonly id: string;
  readonly severity: Severity;
  readonly message: string;
  readonly fix?: string;
};

export type DoctorReport = {
  readonly ok: boolean;
  readonly counts: Readonly<Record<Severity, number>>;
  readonly findings: readonly Finding[];
};

export type ReadinessReport = { readonly ready: boolean; readonly reasons: readonly string[] };

export type ChannelStatus = {
  readonly name: string;
  readonly enabled: boolean;
  readonly connected: boolean;
  readonly last_poll_at: string | null;
  readonly error: string | null;
};

export type Status = {
  readonly running: true;
  readonly pid: number;
  readonly started_at: string;
  readonly uptime_s: number;
  readonly version: string;
  readonly git_sha: string;
  readonly node: string;
  readonly home: string;
  readonly http: { readonly host: string; readonly port: number | null };
  readonly ready: ReadinessReport;
  readonly last_shutdown: 'clean' | 'unclean' | 'first-run';
  readonly sessions: { readonly active: number; readonly idle: number; readonly live_agents: number };
  readonly queue: { readonly depth: number };
  readonly channels: readonly ChannelStatus[];
  /** Outbox totals; `failed` are deliveries that failed for good (never silently dropped). */
  readonly deliveries: { readonly pending: number; readonly failed: number; readonly sent: number };
  readonly scheduler: {
    readonly tasks: number;
    readonly next_due_at: string | null;
    /** The newest failed runs (after their retries), newest first. */
    readonly recent_failures: ReadonlyArray<{
      readonly task_id: string;
      readonly group: string;
      readonly at: string;
      readonly kind: string | null;
      readonly error: string | null;
    }>;
  };
  readonly db: { readonly path: string; readonly size_bytes: number; readonly wal_bytes: number };
  readonly disk: { readonly path: string; readonly free_bytes: number; readonly total_bytes: number };
  readonly last_backup: { readonly at: string; readonly age_s: number } | null;
  /** Per agent: runs under bubblewrap or not, and why not. */
  readonly sandbox: ReadonlyArray<{
    readonly agent: string;
    readonly mode: 'auto' | 'bwrap' | 'none';
    readonly sandboxed: boolean;
    readonly reason: string | null;
  }>;
  readonly budgets: Budgets;
};

/** Spend against budgets (`status`), in the scheduler's time zone. */
export type Budgets = {
  readonly currency: string;
  readonly timezone: string;
  /** Cost per currency (agents may report several) and tokens of everyone. */
  readonly today: {
    readonly day: string;
    readonly costs: Readonly<Record<string, number>>;
    readonly tokens: number;
  };
  readonly month: {
    readonly month: string;
    readonly costs: Readonly<Record<string, number>>;
    readonly tokens: number;
  };
  readonly limits: ReadonlyArray<{
    readonly scope: 'group' | 'agent';
    readonly name: string;
    readonly period: 'day' | 'month';
    readonly mode: 'soft' | 'hard';
    /** The currency, or `tokens`. */
    readonly unit: string;
    /** Including what approvers added with `continue` this period. */
    readonly limit: number;
    readonly spent: number;
    /** `asked`/`stopped`: a soft budget holds its group; `refusing`: a hard one is spent. */
    readonly state: 'ok' | 'asked' | 'stopped' | 'refusing';
  }>;
};

/** `agentforge usage`: spend per day, agent, group and task. */
export type UsageReport = {
  readonly since: string | null;
  readonly timezone: string;
  readonly rows: ReadonlyArray<{
    readonly day: string;
    readonly agent: string;
    readonly group: string;
    readonly task: string | null;
    readonly turns: number;
    readonly input_tokens: number;
    readonly output_tokens: number;
    readonly total_tokens: number;
    readonly cost: number;
    readonly currency: string | null;
    /** How many of these turns' costs are estimates from the price table. */
    readonly estimated: number;
  }>;
};

export type ApiErrorBody = { readonly error: { readonly code: string; readonly message: string } };
