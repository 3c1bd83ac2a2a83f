/**
 * The API's JSON as the page reads it: the wire contract of src/contract.ts, plus the few routes
 * the dashboard added (logs, backups), typed here.
 */
import type { SessionEventInfo } from '../../src/contract.js';

export type {
  AgentInfo as Agent,
  GroupInfo as Group,
  OutboxInfo as OutboxRow,
  PairingInfo as PairingCode,
  PendingPermissionInfo as Pending,
  SessionDetail,
  SessionListItem as SessionRow,
  Status,
  TaskInfo as Task,
  TaskRunInfo as Run,
} from '../../src/contract.js';

/** An event's data is an object for every kind the daemon writes. */
export type SessionEvent = Omit<SessionEventInfo, 'data'> & {
  readonly data: Readonly<Record<string, unknown>>;
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
