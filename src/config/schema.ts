/**
 * The config schema: every section of SPEC §3 with its documented default. Unknown keys are errors
 * (strict objects throughout) so a typo never silently falls back to a default.
 * docs/configuration.md mirrors this file key by key.
 */
import { Cron } from 'croner';
import * as z from 'zod';
import { DURATION_HINT, parseDuration } from './duration.js';
import { SECRET_REF_HINT, parseSecretRef, type SecretRef } from './secrets.js';

// On an object schema's first parse zod compiles a validator with new Function: ~15 ms of the
// daemon's start for one config file, and eval in a process that needs none. Set here because the
// config is the first thing every command and the daemon parse; it holds process-wide.
z.config({ jitless: true });

export const DEFAULT_HTTP_PORT = 2180;
export const DEFAULT_SHUTDOWN_TIMEOUT = '30s';

export const PERMISSION_MODES = ['approve-reads', 'approve-all', 'deny-all', 'ask'] as const;
export const AGENT_PRESETS = ['claude', 'codex', 'gemini', 'demo'] as const;
/** `auto`: bubblewrap where it works here, else none (with a warning in status and doctor). */
export const SANDBOX_MODES = ['auto', 'bwrap', 'none'] as const;

export const MAIL_TLS_MODES = ['auto', 'implicit', 'starttls', 'none'] as const;
export const MAIL_ACK_MODES = ['seen', 'move', 'label'] as const;

/**
 * Builds the schema. A function, not a constant: the daemon parses its config at boot (and at a
 * reload) and then never again, and the ~400 schema objects would otherwise stay in its heap for
 * good (~1 MB of an idle daemon's memory). Building it takes about a millisecond.
 */
export function configSchema() {
  const duration = z.string({ error: `expected ${DURATION_HINT}` }).transform((text, ctx): number => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected ${DURATION_HINT}, got "${text}"` });
      return z.NEVER;
    }
    return ms;
  });

  const secretRef = z.string({ error: `expected ${SECRET_REF_HINT}` }).transform((text, ctx): SecretRef => {
    const ref = parseSecretRef(text);
    if (ref === undefined) {
      // Never echo the value: it may be a secret pasted in by mistake.
      ctx.addIssue({ code: 'custom', message: `expected ${SECRET_REF_HINT}` });
      return z.NEVER;
    }
    return ref;
  });

  const positiveInt = z.number().int().positive();
  const nonNegativeInt = z.number().int().nonnegative();
  const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');

  const daemonSection = z.strictObject({
    /** Unix socket of the control plane; default `<home>/daemon.sock`. */
    socket: z.string().optional(),
    shutdown_timeout: duration.prefault(DEFAULT_SHUTDOWN_TIMEOUT),
    /** Default `<home>/daemon.json`. */
    state_file: z.string().optional(),
    /** Default `<home>/daemon.lock`. */
    lock_file: z.string().optional(),
  });

  const httpSection = z.strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(DEFAULT_HTTP_PORT),
    allow_remote: z.boolean().default(false),
    /** Extra Host header names accepted (DNS-rebinding check), e.g. the machine's name when remote. */
    allowed_hosts: z.array(z.string().min(1)).default([]),
  });

  const logSection = z.strictObject({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    max_size_mb: z.number().positive().default(10),
    max_backups: positiveInt.default(5),
    max_age_days: positiveInt.default(30),
    compress_backups: z.boolean().default(false),
  });

  const limitFields = {
    agent_memory_mb: positiveInt,
    turn_timeout: duration,
    idle_timeout: duration,
    max_output_bytes: positiveInt,
  };

  const limitsSection = z.strictObject({
    max_concurrent_agents: positiveInt.default(5),
    agent_memory_mb: limitFields.agent_memory_mb.default(2048),
    turn_timeout: limitFields.turn_timeout.prefault('15m'),
    idle_timeout: limitFields.idle_timeout.prefault('30m'),
    max_output_bytes: limitFields.max_output_bytes.default(4 * 1024 * 1024),
    max_queue_per_group: positiveInt.default(100),
    /** How long a permission request in `ask` mode waits for an answer before it is rejected. */
    permission_timeout: duration
      .refine((ms) => ms >= 1_000, { message: 'must be at least 1s' })
      .prefault('5m'),
  });

  const agentSection = z
    .strictObject({
      preset: z.enum(AGENT_PRESETS).optional(),
      command: z.string().min(1).optional(),
      args: z.array(z.string()).optional(),
      env: z.record(envName, z.string()).default({}),
      credentials: z.record(envName, secretRef).default({}),
      permission_mode: z.enum(PERMISSION_MODES).default('approve-reads'),
      /**
       * The ACP session mode to select after session/new (session/set_mode); overrides the preset's
       * mapping from permission_mode. Unset for a custom command: the agent's own mode is kept.
       */
      session_mode: z.string().min(1).optional(),
      default: z.boolean().default(false),
      limits: z.strictObject(limitFields).partial().default({}),
      sandbox: z.enum(SANDBOX_MODES).default('auto'),
      /** Extra host paths the sandboxed agent sees read-only / read-write (load.ts checks them). */
      sandbox_ro_paths: z.array(z.string().min(1)).default([]),
      sandbox_rw_paths: z.array(z.string().min(1)).default([]),
    })
    .refine((a) => a.preset !== undefined || a.command !== undefined, {
      message: 'an agent needs either `command` or `preset` (one of claude, codex, gemini, demo)',
    });

  const telegramSection = z
    .strictObject({
      enabled: z.boolean().default(false),
      token: secretRef.optional(),
      api_root: z.url().default('https://api.telegram.org'),
      dm_policy: z.enum(['pairing', 'allowlist', 'disabled']).default('pairing'),
      allowed_users: z.array(z.union([z.number().int(), z.string().min(1)])).default([]),
      /**
       * Telegram user ids whose `approve`/`deny` replies answer permission requests in chats.
       * Unset: the integer ids in allowed_users. Ids only: a username can change hands.
       */
      approvers: z
        .array(
          z.number({ error: 'expected a Telegram user id (an integer); usernames can change hands' }).int(),
        )
        .optional(),
      trigger: z.string().min(1).optional(),
      bot_pool: z.array(secretRef).default([]),
      poll_timeout: duration.prefault('30s'),
      stall_threshold: duration.prefault('90s'),
      /** How long to wait after a 409 conflict (another instance polling) before polling again. */
      conflict_retry: duration.prefault('10s'),
      rate_per_chat_per_s: z.number().positive().default(1),
      rate_per_group_per_min: z.number().positive().default(20),
      rate_global_per_s: z.number().positive().default(30),
      /**
       * Replies that grow while the turn runs: `draft` (drafts in private chats, an edited preview
       * in groups), `edit` (an edited preview everywhere) or `off` (only the final message).
       */
      /** Files that come with messages larger than this are described, not fetched (the Bot API serves ≤ 20 MB). */
      max_download_mb: z
        .number()
        .positive()
        .max(20, { message: 'the Bot API serves files of at most 20 MB' })
        .default(20),
      /** The largest file `send_file` may send (the Bot API takes up to 50 MB; photos up to 10 MB). */
      max_upload_mb: z
        .number()
        .positive()
        .max(50, { message: 'the Bot API takes files of at most 50 MB' })
        .default(50),
      live_replies: z.enum(['off', 'draft', 'edit']).default('draft'),
      /** A turn that answers sooner shows only its final message. */
      live_start_after: duration.prefault('1s'),
      /** The least time between two updates of a live reply (the pacer may hold them longer). */
      live_interval: duration
        .refine((ms) => ms >= 250, { message: 'must be at least 250ms' })
        .prefault('1500ms'),
    })
    .refine((t) => !t.enabled || t.token !== undefined, {
      message: 'telegram is enabled but has no `token`; set token = "env:TELEGRAM_BOT_TOKEN"',
      path: ['token'],
    });

  const mailEndpoint = z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    /** auto: implicit TLS on 993/465, STARTTLS required on any other port. `none` only on loopback. */
    tls: z.enum(MAIL_TLS_MODES).default('auto'),
    /** A PEM file of the CA that signed the server's certificate (a self-hosted server). */
    ca_file: z.string().min(1).optional(),
    user: z.string().min(1),
    password: secretRef.optional(),
  });

  const mailOauth = z.strictObject({
    token_url: z.url({ protocol: /^https?$/ }),
    client_id: z.string().min(1),
    client_secret: secretRef.optional(),
    refresh_token: secretRef,
  });

  const mailAddress = z
    .string()
    .regex(/^[^\s@<>]+@[^\s@<>]+$/, 'expected an address such as "ann@example.com"');

  const emailSection = z
    .strictObject({
      enabled: z.boolean().default(false),
      imap: mailEndpoint.optional(),
      smtp: mailEndpoint.optional(),
      auth: z.enum(['password', 'oauth2']).default('password'),
      oauth2: mailOauth.optional(),
      from: mailAddress.optional(),
      from_name: z.string().min(1).default('AgentForge'),
      /** The mailbox (on Gmail: the label) whose mail is for the agent. */
      trigger_label: z.string().min(1).default('AgentForge'),
      subject_prefix: z.string().min(1).optional(),
      allowed_senders: z
        .array(
          z
            .string()
            .regex(/^([^\s@<>]+@[^\s@<>]+|@[^\s@<>]+)$/, 'expected "ann@example.com" or "@example.com"'),
        )
        .default([]),
      authserv_id: z.string().min(1).optional(),
      require_authentication: z.boolean().default(true),
      ack: z.enum(MAIL_ACK_MODES).default('seen'),
      ack_mailbox: z.string().min(1).default('AgentForge/Done'),
      sent_mailbox: z.string().min(1).default('Sent'),
      sent_copy: z.enum(['append', 'server']).default('append'),
      poll_interval: duration.prefault('2m'),
      idle_restart: duration.prefault('4m'),
      max_message_bytes: positiveInt.default(10 * 1024 * 1024),
      max_attachment_bytes: positiveInt.default(5 * 1024 * 1024),
      max_replies_per_hour: positiveInt.default(20),
    })
    .refine((e) => !e.enabled || (e.imap !== undefined && e.smtp !== undefined), {
      message: 'e-mail is enabled but [channels.email.imap] or [channels.email.smtp] is missing',
    })
    .refine((e) => !e.enabled || e.from !== undefined, {
      message: 'e-mail is enabled but `from` (the address replies are sent from) is missing',
      path: ['from'],
    })
    .refine(
      (e) =>
        !e.enabled ||
        (e.auth === 'oauth2'
          ? e.oauth2 !== undefined
          : e.imap?.password !== undefined && e.smtp?.password !== undefined),
      {
        message:
          'e-mail is enabled but has no credentials: set `password` in [channels.email.imap] and [channels.email.smtp] (auth = "password"), or [channels.email.oauth2] (auth = "oauth2")',
      },
    )
    .refine((e) => !e.enabled || !e.require_authentication || e.authserv_id !== undefined, {
      message:
        'require_authentication is on but authserv_id is missing: name the server whose Authentication-Results header is trusted (e.g. "mx.google.com"), or set require_authentication = false for a server that adds none',
      path: ['authserv_id'],
    })
    .refine((e) => !e.enabled || e.allowed_senders.length > 0, {
      message: 'e-mail is enabled but allowed_senders is empty: nobody could write to the agent',
      path: ['allowed_senders'],
    });

  const schedulerSection = z.strictObject({
    timezone: z
      .string()
      .refine(isValidTimeZone, { message: 'expected an IANA time zone such as "Europe/Berlin" or "UTC"' })
      .optional(),
    missed_runs: z.enum(['skip', 'run-once', 'catch-up']).default('run-once'),
    catch_up_window: duration.prefault('6h'),
  });

  const retentionSection = z.strictObject({
    messages_days: positiveInt.default(90),
    events_days: positiveInt.default(30),
    run_logs_days: positiveInt.default(14),
    error_artifacts_max: nonNegativeInt.default(200),
    sweep_interval: duration.prefault('6h'),
  });

  const backupSection = z.strictObject({
    enabled: z.boolean().default(true),
    schedule: z
      .string()
      .refine(isFiveFieldCron, { message: 'expected a 5-field cron expression such as "0 3 * * *"' })
      .default('0 3 * * *'),
    keep: positiveInt.default(7),
    /** Default `<home>/backups`. */
    dir: z.string().optional(),
  });

  const currencyCode = z
    .string()
    .regex(/^[A-Z]{3}$/, 'expected a three-letter currency code such as "USD" or "EUR"');

  /** One budget: a group's or an agent's spend in a local day or month, in cost or in tokens. */
  const budgetLimit = z
    .strictObject({
      group: z.string().min(1).optional(),
      agent: z.string().min(1).optional(),
      period: z.enum(['day', 'month']),
      /** In [budgets] currency. */
      cost: z.number().positive().optional(),
      tokens: positiveInt.optional(),
      /** soft: pause the group and ask an approver; hard: refuse turns until the period rolls over. */
      mode: z.enum(['soft', 'hard']).default('soft'),
      /** What an approver's "continue" adds to a soft limit for the rest of the period; default the limit. */
      extend: z.number().positive().optional(),
    })
    .refine((b) => (b.group === undefined) !== (b.agent === undefined), {
      message: 'a budget names exactly one of `group` or `agent`',
    })
    .refine((b) => (b.cost === undefined) !== (b.tokens === undefined), {
      message: 'a budget sets exactly one of `cost` or `tokens`',
    })
    .refine((b) => b.mode === 'soft' || b.extend === undefined, {
      message: '`extend` is for soft budgets only (a hard one is never extended)',
      path: ['extend'],
    });

  /** Per million tokens; estimates a cost for an agent that reports tokens but no cost. */
  const priceEntry = z.strictObject({
    input_per_mtok: z.number().nonnegative(),
    output_per_mtok: z.number().nonnegative(),
    /** Cached input tokens; default the input price. */
    cached_per_mtok: z.number().nonnegative().optional(),
    /** Default: [budgets] currency. */
    currency: currencyCode.optional(),
  });

  const budgetsSection = z.strictObject({
    currency: currencyCode.default('USD'),
    limits: z.array(budgetLimit).default([]),
    /** By agent name. */
    prices: z.record(z.string().min(1), priceEntry).default({}),
  });

  const metricsSection = z.strictObject({
    enabled: z.boolean().default(false),
  });

  const dashboardSection = z.strictObject({
    /** Serve the web dashboard at `/` on the TCP listener (docs/operations.md "Dashboard"). */
    enabled: z.boolean().default(true),
    /** How long a login link from `agentforge dashboard` can be used (once). */
    link_ttl: duration.prefault('10m'),
    /** How long a browser stays logged in; a daemon restart also ends every session. */
    session_ttl: duration.prefault('12h'),
  });

  return z.strictObject({
    daemon: daemonSection.prefault({}),
    http: httpSection.prefault({}),
    log: logSection.prefault({}),
    limits: limitsSection.prefault({}),
    agents: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'agent names are lowercase letters, digits, - and _'),
        agentSection,
      )
      .default({}),
    channels: z
      .strictObject({
        telegram: telegramSection.prefault({}),
        email: emailSection.prefault({}),
      })
      .prefault({}),
    scheduler: schedulerSection.prefault({}),
    retention: retentionSection.prefault({}),
    backup: backupSection.prefault({}),
    metrics: metricsSection.prefault({}),
    dashboard: dashboardSection.prefault({}),
    budgets: budgetsSection.prefault({}),
  });
}

export type ConfigFile = z.output<ReturnType<typeof configSchema>>;
export type AgentConfig = ConfigFile['agents'][string];

function isFiveFieldCron(expr: string): boolean {
  if (expr.trim().split(/\s+/).length !== 5) return false;
  try {
    new Cron(expr, { mode: '5-part', paused: true });
    return true;
  } catch {
    return false;
  }
}

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
