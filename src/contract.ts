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
  /** Telegram's bot pool: which bot speaks for which sender (send_message's `sender`). */
  readonly bot_pool?: ReadonlyArray<{ readonly sender: string; readonly bot: string }>;
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

// ---- Resources of /api: one declaration for the daemon that sends them and the CLI that reads them.
// The API maps its rows to these explicitly (api/dto.ts): a column added to a table is not exposed
// until it is added here.

export type SessionInfo = {
  readonly id: string;
  readonly agent: string;
  readonly group_folder: string;
  readonly workspace: string;
  readonly acp_session_id: string | null;
  readonly state: 'active' | 'stopped' | 'removed';
  readonly created_at: number;
  readonly updated_at: number;
  readonly turns: number;
  readonly last_turn_at: number | null;
  readonly last_error_kind: string | null;
  readonly last_error: string | null;
  readonly last_error_at: number | null;
  /** The live agent's pid and process group, null when none runs. */
  readonly pid: number | null;
  readonly pgid: number | null;
};

/** A session in `GET /api/sessions`: plus whether its agent is live and how many prompts wait. */
export type SessionListItem = SessionInfo & { readonly live: string; readonly queued: number };

export type PendingPermissionInfo = {
  readonly id: string;
  readonly title: string;
  readonly kind: string;
  /** The agent's choices (ACP PermissionOption: optionId, name, kind). */
  readonly options: readonly unknown[];
  readonly askedAt: number;
  /** Past this time the request is rejected and can no longer be answered. */
  readonly expiresAt: number;
};

export type SessionDetail = SessionListItem & {
  readonly pending_permissions: readonly PendingPermissionInfo[];
};

export type SessionEventInfo = {
  readonly seq: number;
  readonly ts: number;
  readonly turn: number | null;
  readonly kind: string;
  readonly data: unknown;
};

export type GroupInfo = {
  readonly folder: string;
  readonly channel: string;
  readonly chat_id: string;
  readonly name: string | null;
  readonly agent: string | null;
  /** 1 for the operator's main group. */
  readonly is_main: number;
  readonly is_dm: number;
  readonly trigger: string | null;
  readonly session_id: string | null;
  readonly created_at: number;
};

export type PairingInfo = {
  readonly code: string;
  readonly channel: string;
  readonly user_id: string;
  readonly user_name: string | null;
  readonly created_at: number;
  readonly expires_at: number;
};

export type TaskInfo = {
  readonly id: string;
  readonly group_folder: string;
  readonly prompt: string;
  readonly schedule_type: 'cron' | 'interval' | 'once';
  readonly schedule_value: string;
  readonly timezone: string;
  readonly context_mode: 'group' | 'isolated';
  readonly status: string;
  readonly next_run_at: number | null;
  readonly created_by: string;
  readonly created_at: number;
  readonly updated_at: number;
};

export type TaskRunInfo = {
  readonly id: number;
  readonly task_id: string;
  readonly scheduled_for: number;
  readonly due_at: number;
  readonly attempt: number;
  readonly status: string;
  readonly started_at: number | null;
  readonly finished_at: number | null;
  readonly duration_ms: number | null;
  readonly result_excerpt: string | null;
  readonly error: string | null;
  readonly error_kind: string | null;
};

export type AgentInfo = {
  readonly name: string;
  readonly preset: string | null;
  readonly command: string;
  readonly args: readonly string[];
  readonly resolved: string | null;
  readonly version: string | null;
  readonly permission_mode: string;
  readonly session_mode: string | null;
  readonly default: boolean;
  /** The names of its credential variables, never their values. */
  readonly credentials: readonly string[];
  readonly limits: unknown;
  readonly warnings: readonly string[];
};

export type AgentTestReport = {
  readonly agent: string;
  readonly ok: boolean;
  readonly command: string;
  readonly resolved: string | null;
  readonly warnings: readonly string[];
  readonly duration_ms: number;
  readonly protocol_version?: number;
  /** What the agent said of itself in `initialize` (ACP Implementation). */
  readonly agent_info?: {
    readonly name?: string;
    readonly version?: string;
    readonly title?: string | null;
  } | null;
  readonly capabilities?: unknown;
  /** The session modes the agent offers, and the one AgentForge selects for its permission_mode. */
  readonly modes?: readonly string[];
  readonly mode?: string | null;
  readonly permission_mode: string;
  readonly version: string | null;
  readonly error?: { readonly kind: string; readonly message: string };
};

export type OutboxInfo = {
  readonly id: number;
  readonly channel: string;
  readonly chat_id: string;
  readonly group_folder: string | null;
  readonly text: string;
  readonly sender: string | null;
  readonly source: string;
  readonly reply_to_message: string | null;
  readonly status: 'pending' | 'sent' | 'failed';
  readonly parts_sent: number;
  readonly attempts: number;
  readonly next_attempt_at: number;
  readonly last_error: string | null;
  readonly created_at: number;
  readonly sent_at: number | null;
};
