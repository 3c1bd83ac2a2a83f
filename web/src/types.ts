/** The API's JSON as the page reads it (the daemon's own types are in src/contract.ts and the repos). */
export type { Status } from '../../src/contract.js';

export type SessionRow = {
  id: string;
  agent: string;
  group_folder: string;
  state: 'active' | 'stopped' | 'removed';
  live: string;
  queued: number;
  turns: number;
  created_at: number;
  last_turn_at: number | null;
  last_error_kind: string | null;
  last_error: string | null;
};
export type Pending = { id: string; title: string; kind: string; askedAt: number; expiresAt: number };
export type SessionDetail = SessionRow & { pending_permissions: Pending[] };
export type SessionEvent = {
  seq: number;
  ts: number;
  turn: number | null;
  kind: string;
  data: Record<string, unknown>;
};

export type Agent = { name: string; preset: string; default: boolean; permission_mode: string };

export type Group = {
  folder: string;
  channel: string;
  chat_id: string;
  name: string | null;
  agent: string | null;
  is_main: number;
  is_dm: number;
  trigger: string | null;
  created_at: number;
};
export type PairingCode = {
  code: string;
  channel: string;
  user_id: string;
  user_name: string | null;
  expires_at: number;
  created_at: number;
};

export type Task = {
  id: string;
  group_folder: string;
  prompt: string;
  schedule_type: 'cron' | 'interval' | 'once';
  schedule_value: string;
  timezone: string;
  status: string;
  next_run_at: number | null;
  context_mode: string;
};
export type Run = {
  id: number;
  scheduled_for: number;
  attempt: number;
  status: string;
  duration_ms: number | null;
  result_excerpt: string | null;
  error: string | null;
  error_kind: string | null;
};

export type OutboxRow = {
  id: number;
  channel: string;
  chat_id: string;
  group_folder: string | null;
  text: string;
  source: string;
  status: 'pending' | 'sent' | 'failed';
  parts_sent: number;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
};

export type LogLine = {
  seq: number;
  level: number;
  time: string;
  msg: string;
  component: string | null;
  group: string | null;
  session: string | null;
  fields: Record<string, unknown>;
};

export type Backup = { name: string; createdAt: string; files: number; bytes: number };
export type VerifyReport = { ok: boolean; files: number; problems: Array<{ file: string; problem: string }> };
