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
  /** What else the channel reports (e-mail: account, mailbox, IDLE alive, UID cursor, SMTP error). */
  readonly details?: Readonly<Record<string, string | number | boolean | null>>;
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
};

export type ApiErrorBody = { readonly error: { readonly code: string; readonly message: string } };
