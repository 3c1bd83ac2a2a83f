/**
 * Owns every session: creates them, starts their agents (environment allowlist, credentials,
 * memory cap, workspace-confined fs, permission policy), enforces max_concurrent_agents, kills
 * agents orphaned by a previous daemon, and drains everything on shutdown.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentCapabilities, McpServer } from '@agentclientprotocol/sdk';
import type { Logger } from 'pino';
import type { SessionsRepo, SessionRow } from '../store/sessions-repo.js';
import type { AgentSpec } from './agents.js';
import type { LiveAgent } from './acp/client.js';
import { killGroup, orphanGroupAlive } from './acp/process.js';
import { ensureWorkspace } from './workspace-setup.js';
import { SessionError, SessionRequestError } from './errors.js';
import { memoryCapMethod, type MemoryCapMethod } from './memory-watch.js';
import { EventLog } from './event-log.js';
import { Redactor } from './redact.js';
import { RequestIds } from './request-ids.js';
import { SupervisorEvents, type SupervisorEventMap } from './supervisor-events.js';
import { resumeFailed, startSessionAgent } from './agent-start.js';
import { Session } from './session.js';
import { AgentSlots } from './slots.js';
import type { SandboxGuard } from '../config/sandbox-paths.js';
import {
  probeSandbox,
  probeSandboxAsync,
  sandboxDecision,
  type SandboxDecision,
  type SandboxProbe,
} from './sandbox-probe.js';
import { GROUP_FOLDER_RE } from '../config/paths.js';

export type SupervisorDeps = {
  readonly repo: SessionsRepo;
  readonly agents: ReadonlyMap<string, AgentSpec>;
  readonly sessionsDir: string;
  readonly groupsDir: string;
  /** `<home>/agents`: one state directory per agent definition (agent-state.ts). */
  readonly agentsDir: string;
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  /** The daemon's environment: the allowlist and env: secret references read from it. */
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
  readonly askTimeoutMs?: number; // DEFAULT_ASK_TIMEOUT_MS
  /** The daemon's tool server for this session, by what the agent supports; none when absent. */
  readonly mcpServersFor?: (sessionId: string, caps: AgentCapabilities | undefined) => McpServer[];
  /** Keeps what a misbehaving agent wrote for the operator to inspect (logs/quarantine/). */
  readonly quarantine?: (source: string, reason: string, payload: unknown) => void;
  /** Whether bubblewrap runs here (probed once; default: probeSandbox over `env`). */
  readonly sandboxProbe?: SandboxProbe;
  /** What a sandbox may never show (the home, the operator's home, credential files). */
  readonly sandboxGuard?: SandboxGuard;
};

export class Supervisor {
  readonly #sessions = new Map<string, Session>();
  readonly slots: AgentSlots;
  /** One id source for every session: a request id names one request in the whole daemon. */
  readonly #requestIds = new RequestIds();
  readonly memoryCap: MemoryCapMethod = memoryCapMethod();
  #sandboxProbe: SandboxProbe | undefined;
  #sandboxProbed: Promise<SandboxProbe> | undefined;
  readonly #bus: SupervisorEvents;
  #closing = false;

  constructor(private readonly deps: SupervisorDeps) {
    this.#bus = new SupervisorEvents(deps.log);
    this.slots = new AgentSlots(deps.maxConcurrent, () => this.#evictIdle());
    this.#sandboxProbe = deps.sandboxProbe;
  }

  /**
   * Whether bubblewrap runs here. Probed once, in the background (#probed: waiting for its child
   * process was the largest part of the daemon's time to ready); whoever needs the answer before
   * that finished probes synchronously, and both see the same cached answer.
   */
  get sandboxProbe(): SandboxProbe {
    this.#sandboxProbe ??= probeSandbox(this.deps.env);
    return this.#sandboxProbe;
  }

  /** Every agent's sandbox, once the background probe has answered (the boot's warnings). */
  async sandboxesProbed(): Promise<SandboxDecision[]> {
    await this.#probed();
    return this.sandboxes();
  }

  /**
   * The probe, once, without blocking: started by the first agent or by sandboxesProbed(), which
   * the daemon calls once it is ready (spawning bwrap blocked the boot for ~25 ms).
   */
  #probed(): Promise<SandboxProbe> {
    this.#sandboxProbed ??=
      this.#sandboxProbe !== undefined
        ? Promise.resolve(this.#sandboxProbe)
        : probeSandboxAsync(this.deps.env).then((p) => (this.#sandboxProbe ??= p));
    return this.#sandboxProbed;
  }

  /** Subscribes to what happens to sessions (supervisor-events.ts); returns the unsubscribe. */
  on<K extends keyof SupervisorEventMap>(name: K, listener: (e: SupervisorEventMap[K]) => void): () => void {
    return this.#bus.on(name, listener);
  }

  /** Every agent's sandbox as it will run (status, doctor). */
  sandboxes(): SandboxDecision[] {
    return [...this.deps.agents.values()].map((spec) => sandboxDecision(spec, this.sandboxProbe));
  }

  agent(name: string | undefined): AgentSpec {
    const spec =
      name === undefined
        ? [...this.deps.agents.values()].find((a) => a.isDefault)
        : this.deps.agents.get(name);
    if (spec === undefined) {
      throw new SessionRequestError(
        'agent_not_found',
        `no agent named ${name ?? '(default)'}; see: agentforge agent list`,
      );
    }
    return spec;
  }

  create(opts: { agent?: string; group?: string } = {}): Session {
    if (this.#closing) throw new SessionRequestError('invalid_request', 'the daemon is shutting down');
    const spec = this.agent(opts.agent);
    const group = opts.group ?? 'cli';
    if (!GROUP_FOLDER_RE.test(group)) {
      throw new SessionRequestError(
        'invalid_request',
        `group folder "${group}" is invalid: use lowercase letters, digits, - and _`,
      );
    }
    const workspace = ensureWorkspace(this.deps.groupsDir, group);
    const id = `s-${randomBytes(6).toString('hex')}`;
    this.deps.repo.create({ id, agent: spec.name, groupFolder: group, workspace, now: Date.now() });
    return this.get(id);
  }

  get(id: string): Session {
    const open = this.#sessions.get(id);
    if (open !== undefined) return open;
    const row = this.deps.repo.get(id);
    if (row === undefined || row.state === 'removed')
      throw new SessionRequestError('session_not_found', `no session ${id}; see: agentforge session list`);
    // An agent removed from config keeps its sessions readable, but never borrows another agent's
    // command or credentials: starting it fails with a clear `spawn` error.
    const spec = this.deps.agents.get(row.agent) ?? {
      ...this.agent(undefined),
      name: row.agent,
      credentials: {},
      missing: true,
    };
    const dir = join(this.deps.sessionsDir, id);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Filled with the agent's credential values when it starts; every event is scrubbed of them.
    const redact = new Redactor();
    const session = new Session(
      {
        repo: this.deps.repo,
        redact,
        events: new EventLog(
          join(dir, 'events.db'),
          (count) => this.#bus.emit('events-committed', { count }),
          {
            redact: (data) => redact.deep(data),
            onBusy: (info) =>
              this.deps.log.warn({ session: id, ...info }, 'events.db is locked; keeping events in memory'),
            onUnblocked: (info) =>
              this.deps.log.warn({ session: id, ...info }, 'events.db unlocked; kept events written'),
          },
        ),
        bus: this.#bus,
        agent: spec,
        slots: this.slots,
        log: this.deps.log,
        start: (s) => this.#start(s, spec),
        resumeFailed: (s, failure, previous) =>
          resumeFailed(s, failure, previous, { repo: this.deps.repo, bus: this.#bus }),
        maxQueue: this.deps.maxQueue,
        requestIds: this.#requestIds,
      },
      row,
    );
    this.#sessions.set(id, session);
    return session;
  }

  list(): Array<SessionRow & { live: string; queued: number }> {
    return this.deps.repo.list().map((row) => {
      const s = this.#sessions.get(row.id);
      return { ...row, live: s?.state ?? 'cold', queued: s?.queued ?? 0 };
    });
  }

  /** Whether a session's agent runs, without opening the session (cold when not in memory). */
  liveState(id: string): Session['state'] {
    return this.#sessions.get(id)?.state ?? 'cold';
  }

  async stop(id: string): Promise<void> {
    const s = this.get(id);
    s.failAll('cancelled', 'session stopped by the operator');
    await s.stopAgent();
    this.deps.repo.setState(id, 'stopped', Date.now());
  }

  async resume(id: string): Promise<LiveAgent> {
    const s = this.get(id);
    this.deps.repo.setState(id, 'active', Date.now());
    return s.ensureLive();
  }

  async remove(id: string): Promise<void> {
    const s = this.get(id);
    s.failAll('cancelled', 'session removed');
    await s.stopAgent();
    s.events.close();
    this.#sessions.delete(id);
    this.deps.repo.setState(id, 'removed', Date.now());
    rmSync(join(this.deps.sessionsDir, id), { recursive: true, force: true });
  }

  /**
   * Answers a pending permission request of a group's session (an approver's `approve pk7m2qx`
   * in the chat). A request of another group's session is not answered: ids are unique in the
   * daemon, so the id alone would otherwise let one chat decide for another.
   */
  answerForGroup(groupFolder: string, requestId: string, allow: boolean, decidedBy: string): boolean {
    for (const s of this.#sessions.values()) {
      if (!s.permissions.has(requestId)) continue;
      if (s.row.group_folder !== groupFolder) return false;
      return s.permissions.answer(requestId, allow, decidedBy) !== undefined;
    }
    return false;
  }

  /** Appends to a session's event log (tool calls and other daemon-side actions). */
  record(sessionId: string, kind: string, data: unknown): void {
    try {
      const s = this.get(sessionId);
      s.events.append(kind, data, s.turnNumber);
    } catch {
      // session removed meanwhile: nothing to record into
    }
  }

  counts(): { active: number; idle: number; live_agents: number } {
    let active = 0;
    let idle = 0;
    for (const s of this.#sessions.values()) {
      if (s.state === 'busy' || s.state === 'starting') active++;
      else if (s.state === 'idle') idle++;
    }
    return { active, idle, live_agents: this.slots.live };
  }

  queueDepth(): number {
    let n = this.slots.waiting;
    for (const s of this.#sessions.values()) n += s.queued;
    return n;
  }

  /** Kills agent process groups a previous daemon left behind (matched by pid + start time). */
  recoverOrphans(): number {
    let killed = 0;
    for (const row of this.deps.repo.withProcess()) {
      if (row.pid !== null && row.pgid !== null && orphanGroupAlive(row.pid, row.pgid, row.proc_start_time)) {
        killGroup(row.pgid, 'SIGKILL');
        killed++;
        this.deps.log.warn({ session: row.id, pid: row.pid }, 'killed orphaned agent from a previous run');
      }
      this.deps.repo.recordProcess(row.id, null, Date.now());
    }
    return killed;
  }

  /** Lets running turns finish until the deadline, then cancels them and stops every agent. */
  async shutdown(deadlineMs: number): Promise<void> {
    this.#closing = true;
    const until = Date.now() + deadlineMs;
    const busy = (): Session[] =>
      [...this.#sessions.values()].filter((s) => s.state === 'busy' || s.state === 'starting');
    while (busy().length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    for (const s of this.#sessions.values()) {
      s.failAll('cancelled', 'daemon shutting down');
      s.cancel();
    }
    await Promise.all([...this.#sessions.values()].map((s) => s.stopAgent(1_000)));
    for (const s of this.#sessions.values()) s.events.close();
    this.#sessions.clear();
  }

  /**
   * A session with no live agent, no queued prompt, no pending permission and no one watching its
   * events is dropped from memory and its events.db closed; get() reopens it on demand. Without
   * this, months of DM groups and isolated runs would each keep a file handle open.
   */
  #evictIfCold(s: Session): void {
    if (this.#closing || this.#sessions.get(s.id) !== s) return;
    if (s.state !== 'cold' || s.queued > 0 || s.permissions.list().length > 0 || s.events.watchers > 0)
      return;
    s.events.close();
    this.#sessions.delete(s.id);
  }

  #evictIdle(): boolean {
    for (const s of this.#sessions.values()) {
      if (s.isIdleLive()) {
        void s.stopAgent();
        return true;
      }
    }
    return false;
  }

  async #start(s: Session, spec: AgentSpec & { missing?: boolean }): Promise<LiveAgent> {
    // The background probe, not a second synchronous one, when the first agent starts right after boot.
    const probe = await this.#probed();
    // Once shutdown began no agent may start: it would outlive the drain and hold the process.
    if (this.#closing) throw new SessionError('cancelled', 'the daemon is shutting down');
    if (spec.missing === true) {
      throw new SessionError(
        'spawn',
        `agent ${spec.name} is no longer configured; add [agents.${spec.name}] back or start a new session`,
      );
    }
    const row = s.row;
    const live = await startSessionAgent(s, spec, {
      ...this.deps,
      bus: this.#bus,
      probe: this.#sandboxProbe ?? probe,
      memoryCap: this.memoryCap,
    });
    void live.proc.exited.then(() => {
      this.#bus.emit('agent-stopped', { sessionId: s.id, group: row.group_folder, agent: row.agent });
      // After the session's own exit handling (same tick, registered first) has run.
      setImmediate(() => this.#evictIfCold(s));
    });
    return live;
  }
}
