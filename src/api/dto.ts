/**
 * Rows → the wire types of contract.ts, field by field: the API never returns a raw SQLite row, so
 * internal columns (a process's start time, a pairing code's chat, delivery bookkeeping) stay inside.
 */
import type {
  GroupInfo,
  OutboxInfo,
  PairingInfo,
  PendingPermissionInfo,
  SessionInfo,
  TaskInfo,
  TaskRunInfo,
} from '../contract.js';
import type { PendingPermission } from '../sessions/permissions.js';
import type { GroupRow } from '../store/groups-repo.js';
import type { OutboxRow } from '../store/outbox-repo.js';
import type { PairingRow } from '../store/pairing-repo.js';
import type { SessionRow } from '../store/sessions-repo.js';
import type { RunRow, TaskRow } from '../store/tasks-repo.js';

export const sessionInfo = (r: SessionRow): SessionInfo => ({
  id: r.id,
  agent: r.agent,
  group_folder: r.group_folder,
  workspace: r.workspace,
  acp_session_id: r.acp_session_id,
  state: r.state,
  created_at: r.created_at,
  updated_at: r.updated_at,
  turns: r.turns,
  last_turn_at: r.last_turn_at,
  last_error_kind: r.last_error_kind,
  last_error: r.last_error,
  last_error_at: r.last_error_at,
  pid: r.pid,
  pgid: r.pgid,
});

export const permissionInfo = (p: PendingPermission): PendingPermissionInfo => ({
  id: p.id,
  title: p.title,
  kind: p.kind,
  options: p.options,
  askedAt: p.askedAt,
  expiresAt: p.expiresAt,
});

export const groupInfo = (r: GroupRow): GroupInfo => ({
  folder: r.folder,
  channel: r.channel,
  chat_id: r.chat_id,
  name: r.name,
  agent: r.agent,
  is_main: r.is_main,
  is_dm: r.is_dm,
  trigger: r.trigger,
  session_id: r.session_id,
  created_at: r.created_at,
});

export const pairingInfo = (r: PairingRow): PairingInfo => ({
  code: r.code,
  channel: r.channel,
  user_id: r.user_id,
  user_name: r.user_name,
  created_at: r.created_at,
  expires_at: r.expires_at,
});

export const taskInfo = (r: TaskRow): TaskInfo => ({
  id: r.id,
  group_folder: r.group_folder,
  prompt: r.prompt,
  schedule_type: r.schedule_type,
  schedule_value: r.schedule_value,
  timezone: r.timezone,
  context_mode: r.context_mode,
  status: r.status,
  next_run_at: r.next_run_at,
  created_by: r.created_by,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

export const taskRunInfo = (r: RunRow): TaskRunInfo => ({
  id: r.id,
  task_id: r.task_id,
  scheduled_for: r.scheduled_for,
  due_at: r.due_at,
  attempt: r.attempt,
  status: r.status,
  started_at: r.started_at,
  finished_at: r.finished_at,
  duration_ms: r.duration_ms,
  result_excerpt: r.result_excerpt,
  error: r.error,
  error_kind: r.error_kind,
});

export const outboxInfo = (r: OutboxRow): OutboxInfo => ({
  id: r.id,
  channel: r.channel,
  chat_id: r.chat_id,
  group_folder: r.group_folder,
  text: r.text,
  sender: r.sender,
  source: r.source,
  reply_to_message: r.reply_to_message,
  status: r.status,
  parts_sent: r.parts_sent,
  attempts: r.attempts,
  next_attempt_at: r.next_attempt_at,
  last_error: r.last_error,
  created_at: r.created_at,
  sent_at: r.sent_at,
});
