/**
 * Helpers for process-level session tests: the daemon's API over its Unix socket, the event log
 * through the CLI, and /proc views of the agent processes the daemon runs.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { udsRequest, type UdsResponse } from '../../src/net/uds-http.js';
import { waitFor, type RunResult, type TestHome } from './harness.js';

export type SessionEventRow = {
  seq: number;
  ts: number;
  turn: number | null;
  kind: string;
  data: Record<string, unknown>;
};

export type SessionShow = {
  id: string;
  agent: string;
  state: string;
  live: string;
  turns: number;
  pid: number | null;
  pgid: number | null;
  last_error_kind: string | null;
  last_error: string | null;
  pending_permissions: Array<{ id: string; title: string; kind: string }>;
};

export const DEMO_AGENT_MAIN = 'dist/demo-agent/main.js';

export function socketPath(h: TestHome): string {
  return join(h.home, 'daemon.sock');
}

export function apiToken(h: TestHome): string {
  return readFileSync(join(h.home, 'api.token'), 'utf8').trim();
}

/** One authenticated API call over the daemon's Unix socket. */
export function api(h: TestHome, method: string, path: string, body?: unknown): Promise<UdsResponse> {
  return udsRequest({
    socketPath: socketPath(h),
    method,
    path,
    token: apiToken(h),
    body,
    timeoutMs: 60_000,
  });
}

/** `agentforge session new -o json` → the new session id. */
export async function newSession(h: TestHome, args: readonly string[] = []): Promise<string> {
  const r = await h.run(['session', 'new', ...args, '-o', 'json']);
  if (r.code !== 0) throw new Error(`session new exited ${r.code}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { id: string }).id;
}

/** `agentforge session prompt ID TEXT -o json`; the raw result (exit code, stdout, stderr). */
export function prompt(
  h: TestHome,
  id: string,
  text: string,
  extra: readonly string[] = [],
): Promise<RunResult> {
  return h.run(['session', 'prompt', id, ...extra, '-o', 'json', '--', ...text.split(' ')]);
}

/** The reply of a prompt that must succeed. */
export async function reply(h: TestHome, id: string, text: string): Promise<string> {
  const r = await prompt(h, id, text);
  if (r.code !== 0) throw new Error(`prompt "${text}" exited ${r.code}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { reply: string }).reply;
}

/** The reply of a prompt that must succeed, over the socket (cheaper than a CLI run). */
export async function apiReply(h: TestHome, id: string, text: string): Promise<string> {
  const res = await api(h, 'POST', `/api/sessions/${id}/prompt`, { text });
  if (res.status !== 200) throw new Error(`prompt "${text}": HTTP ${res.status} ${res.body}`);
  return (res.json() as { reply: string }).reply;
}

/** GET /api/sessions/:id over the socket: what `session show -o json` prints, cheap enough to poll. */
export async function apiShow(h: TestHome, id: string): Promise<SessionShow> {
  const res = await api(h, 'GET', `/api/sessions/${id}`);
  if (res.status !== 200) throw new Error(`GET session: HTTP ${res.status} ${res.body}`);
  return res.json() as SessionShow;
}

export async function show(h: TestHome, id: string): Promise<SessionShow> {
  return h.json<SessionShow>(['session', 'show', id]);
}

/** `agentforge session events ID -o json`, parsed (the CLI pages through the whole log itself). */
export async function events(h: TestHome, id: string): Promise<SessionEventRow[]> {
  const r = await h.run(['session', 'events', id, '-o', 'json']);
  if (r.code !== 0) throw new Error(`session events exited ${r.code}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { events: SessionEventRow[] }).events;
}

/** The text of an agent_message_chunk update, or undefined for any other event. */
export function chunkText(e: SessionEventRow): string | undefined {
  const content = e.data['content'] as { type?: string; text?: string } | undefined;
  return e.kind === 'update' && e.data['sessionUpdate'] === 'agent_message_chunk' && content?.type === 'text'
    ? content.text
    : undefined;
}

/** The reply of one turn, as the event log recorded it. */
export function turnReply(evs: readonly SessionEventRow[], turn: number): string {
  return evs
    .filter((e) => e.turn === turn)
    .map(chunkText)
    .filter((t) => t !== undefined)
    .join('');
}

/** The event log over the socket (GET /api/sessions/:id/events, paged): cheap enough to poll. */
export async function apiEvents(h: TestHome, id: string): Promise<SessionEventRow[]> {
  const all: SessionEventRow[] = [];
  for (;;) {
    const res = await api(h, 'GET', `/api/sessions/${id}/events?after=${all.at(-1)?.seq ?? 0}`);
    if (res.status !== 200) throw new Error(`GET events: HTTP ${res.status} ${res.body}`);
    const page = (res.json() as { events: SessionEventRow[] }).events;
    if (page.length === 0) return all;
    all.push(...page);
  }
}

/** Waits until the session's event log holds an event matching `pred`; returns it. */
export function waitForEvent(
  h: TestHome,
  id: string,
  pred: (e: SessionEventRow) => boolean,
  timeoutMs = 10_000,
  what = 'event',
): Promise<SessionEventRow> {
  return waitFor(async () => (await apiEvents(h, id)).find(pred), timeoutMs, what);
}

/** Reads /proc/<pid>/stat: state and parent pid, or undefined when the process is gone. */
export function procStat(pid: number): { state: string; ppid: number; pgid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '', ppid: Number(rest[1]), pgid: Number(rest[2]) };
  } catch {
    return undefined;
  }
}

/** Live (non-zombie) processes whose parent is ppid and whose command line contains `needle`. */
export function childrenMatching(ppid: number, needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const stat = procStat(pid);
    if (stat === undefined || stat.ppid !== ppid || stat.state === 'Z') continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle)) found.push(pid);
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/** The environment of a running process as a map (Linux /proc). */
export function procEnviron(pid: number): Map<string, string> {
  const env = new Map<string, string>();
  for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}

/** Every regular file under dir, recursively (symlinks are not followed). */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (st === undefined) continue;
    if (st.isDirectory()) out.push(...filesUnder(p));
    else if (st.isFile()) out.push(p);
  }
  return out;
}

/** Every live process below pid (by parent pids over all of /proc), with start times. */
export function descendants(pid: number): Array<{ pid: number; startTime: string }> {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat !== undefined && stat.state !== 'Z') parent.set(Number(entry), stat.ppid);
  }
  const out: Array<{ pid: number; startTime: string }> = [];
  for (const p of parent.keys()) {
    let up = parent.get(p);
    for (let hops = 0; up !== undefined && up !== pid && hops < 64; hops++) up = parent.get(up);
    const start = up === pid ? startTimeOf(p) : undefined;
    if (start !== undefined) out.push({ pid: p, startTime: start });
  }
  return out;
}

/** The kernel start time of pid, or undefined when it is gone or a zombie. */
export function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[0] === 'Z' ? undefined : rest[19];
  } catch {
    return undefined;
  }
}

/** The NUL-separated command line of pid, or '' when it is gone. */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}
