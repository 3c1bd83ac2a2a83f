/**
 * One durable session: its row, its event log, and (while warm) a live agent process. Turns run
 * one at a time; a prompt that arrives mid-turn waits in the queue or interrupts the running turn.
 * Every failure ends the turn with a classified kind, and the session stays resumable.
 */
import type { Logger } from 'pino';
import type { SessionsRepo, SessionRow } from '../store/sessions-repo.js';
import type { AgentSpec } from './agents.js';
import type { LiveAgent, ResumeFailure } from './acp/client.js';
import { SessionError, SessionRequestError, type FailureKind } from './errors.js';
import type { EventLog } from './event-log.js';
import { PendingPermissions } from './permissions.js';
import type { Redactor } from './redact.js';
import type { RequestIds } from './request-ids.js';
import { ToolCallIndex } from './tool-identity.js';
import type { SupervisorEvents } from './supervisor-events.js';
import { Turn, type TurnResult } from './turn.js';
import type { AgentSlots, Release } from './slots.js';

/** The last few KB the agent wrote to stderr, kept for the per-turn error log. */
export const STDERR_TAIL_BYTES = 8 * 1024;
/** How long a cancelled turn may take to answer before its agent is stopped (`/stop`). */
export const STOP_GRACE_MS = 3_000;

export type SessionDeps = {
  readonly repo: SessionsRepo;
  readonly events: EventLog;
  readonly agent: AgentSpec;
  readonly slots: AgentSlots;
  readonly log: Logger;
  /** Starts the agent process for this session (spawn + handshake). */
  readonly start: (session: Session) => Promise<LiveAgent>;
  readonly maxQueue: number;
  /**
   * The agent could not restore the earlier conversation and works in a fresh ACP session now:
   * recorded, and the chat is told once.
   */
  readonly resumeFailed: (s: Session, failure: ResumeFailure, previousAcpSession: string | null) => void;
  /** Where turns report their updates and outcomes (metrics, live replies, usage). */
  readonly bus?: SupervisorEvents;
  /** The agent's credential values, scrubbed from failures and the per-turn log. */
  readonly redact?: Redactor;
  /** The daemon-wide source of permission request ids (unique across sessions). */
  readonly requestIds?: RequestIds;
};

/** An image for the prompt; sent as ACP image content only to an agent that advertises images. */
export type PromptImage = { readonly mimeType: string; readonly data: Buffer };

type Queued = {
  text: string;
  images: readonly PromptImage[];
  taskId: string | null;
  resolve: (r: TurnResult) => void;
  reject: (e: Error) => void;
};

export type LiveState = 'cold' | 'starting' | 'idle' | 'busy';

export class Session {
  readonly id: string;
  readonly permissions: PendingPermissions;
  /** The agent's recent tool calls, to match its permission requests (tool-identity.ts). */
  readonly toolCalls = new ToolCallIndex();
  readonly events: EventLog;
  readonly redact: Redactor | undefined;
  readonly log: Logger;
  #live: LiveAgent | undefined;
  /** This session's place among max_concurrent_agents, held while its agent lives. */
  #slot: Release | undefined;
  #starting: Promise<LiveAgent> | undefined;
  #queue: Queued[] = [];
  #busy = false;
  #idleTimer: NodeJS.Timeout | undefined;
  #prompted: LiveAgent | undefined;
  #turn: Turn | undefined;
  #stderrTail = '';

  constructor(
    private readonly deps: SessionDeps,
    row: SessionRow,
  ) {
    this.id = row.id;
    this.events = deps.events;
    this.redact = deps.redact;
    this.log = deps.log;
    this.permissions = new PendingPermissions(deps.requestIds);
  }

  /** The live agent, while one runs for this session. */
  get live(): LiveAgent | undefined {
    return this.#live;
  }

  /** The running turn, if any: the agent's traffic is handed to it (agent-hooks.ts). */
  get turn(): Turn | undefined {
    return this.#turn;
  }

  /** The running turn's number, for event rows; null between turns. */
  get turnNumber(): number | null {
    return this.#turn?.number ?? null;
  }

  get stderrTail(): string {
    return this.#stderrTail;
  }

  noteStderr(text: string): void {
    this.#stderrTail = (this.#stderrTail + text).slice(-STDERR_TAIL_BYTES);
  }

  get row(): SessionRow {
    const row = this.deps.repo.get(this.id);
    if (row === undefined) throw new SessionRequestError('session_not_found', `no session ${this.id}`);
    return row;
  }

  get state(): LiveState {
    if (this.#busy) return 'busy';
    if (this.#starting !== undefined) return 'starting';
    return this.#live === undefined ? 'cold' : 'idle';
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** `taskId`: the scheduled task this prompt runs for (its usage is counted per task). */
  prompt(
    text: string,
    mode: 'queue' | 'interrupt' = 'queue',
    images: readonly PromptImage[] = [],
    taskId: string | null = null,
  ): Promise<TurnResult> {
    const state = this.row.state;
    if (state === 'removed')
      throw new SessionRequestError('session_removed', `session ${this.id} was removed`);
    // A prompt is an implicit resume of a stopped session.
    if (state === 'stopped') this.deps.repo.setState(this.id, 'active', Date.now());
    if (this.#queue.length >= this.deps.maxQueue) {
      throw new SessionRequestError(
        'queue_full',
        `session ${this.id} already has ${this.#queue.length} prompts waiting; try again later`,
      );
    }
    const result = new Promise<TurnResult>((resolve, reject) =>
      this.#queue.push({ text, images, taskId, resolve, reject }),
    );
    if (mode === 'interrupt' && this.#busy) this.cancel();
    void this.#pump();
    return result;
  }

  /** Cancels the running turn (ACP session/cancel); queued prompts still run. */
  cancel(): boolean {
    if (!this.#busy || this.#live === undefined) return false;
    this.permissions.rejectAll();
    void this.#live.conn.agent
      .notify('session/cancel', { sessionId: this.#live.acpSessionId })
      .catch(() => undefined);
    return true;
  }

  /**
   * Stops the running turn: ACP session/cancel first; an agent that has not ended the turn after
   * `graceMs` is stopped (the turn fails `cancelled`). False when no turn runs.
   */
  stopTurn(graceMs = STOP_GRACE_MS): boolean {
    const turn = this.#turn;
    if (turn === undefined) return false;
    this.cancel();
    const timer = setTimeout(() => {
      if (this.#turn === turn) turn.kill(new SessionError('cancelled', 'the turn was stopped'));
    }, graceMs);
    timer.unref();
    return true;
  }

  /** Makes sure a live, handshaken agent exists; shared by concurrent callers. */
  async ensureLive(): Promise<LiveAgent> {
    this.#clearIdle();
    if (this.#live !== undefined) return this.#live;
    this.#starting ??= (async () => {
      this.#slot = await this.deps.slots.acquire();
      try {
        const live = await this.deps.start(this);
        this.#live = live;
        void live.proc.exited.then(({ code, signal }) => this.#onExit(live, code, signal));
        return live;
      } catch (err) {
        this.#releaseSlot();
        throw err;
      }
    })().finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  /** Stops the live agent process; the session stays resumable. */
  async stopAgent(graceMs?: number): Promise<void> {
    this.#clearIdle();
    const live = this.#live;
    if (live === undefined) return;
    await live.stop(graceMs);
  }

  /** Fails the waiting prompts and the running turn; used by stop, rm and shutdown. */
  failAll(kind: FailureKind, message: string): void {
    for (const q of this.#queue.splice(0)) q.reject(new SessionError(kind, message));
    this.#turn?.abort(new SessionError(kind, message));
  }

  isIdleLive(): boolean {
    return (
      this.#live !== undefined && !this.#busy && this.#queue.length === 0 && this.#starting === undefined
    );
  }

  async #pump(): Promise<void> {
    if (this.#busy) return;
    const next = this.#queue.shift();
    if (next === undefined) return;
    this.#busy = true;
    const turn = new Turn(this.row.turns + 1, this.#turnContext(), next.taskId);
    this.#turn = turn;
    try {
      next.resolve(await turn.run(next.text, next.images));
    } catch (err) {
      next.reject(err as Error);
    } finally {
      this.#turn = undefined;
      this.#busy = false;
      this.#afterTurn();
      void this.#pump();
    }
  }

  #turnContext(): ConstructorParameters<typeof Turn>[1] {
    const row = this.row;
    return {
      ref: { sessionId: this.id, group: row.group_folder, agent: row.agent },
      workspace: row.workspace,
      repo: this.deps.repo,
      events: this.events,
      agent: this.deps.agent,
      log: this.log,
      redact: this.redact,
      bus: this.deps.bus,
      ensureLive: () => this.ensureLive(),
      firstPromptOn: (live) => {
        if (this.#prompted === live) return false;
        this.#prompted = live;
        return true;
      },
      resumeFailed: (failure, previous) => this.deps.resumeFailed(this, failure, previous),
      stopAgent: (graceMs) => this.stopAgent(graceMs),
      stderrTail: () => this.#stderrTail,
    };
  }

  #afterTurn(): void {
    if (this.#queue.length > 0 || this.#live === undefined) return;
    if (this.deps.slots.waiting > 0) {
      void this.stopAgent(); // someone is waiting for a slot: do not keep a warm process
      return;
    }
    this.#idleTimer = setTimeout(() => void this.stopAgent(), this.deps.agent.limits.idleTimeoutMs);
    this.#idleTimer.unref();
  }

  #clearIdle(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  #onExit(live: LiveAgent, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#live !== live) return;
    this.#live = undefined;
    this.#clearIdle();
    this.permissions.rejectAll();
    const now = Date.now();
    this.deps.repo.recordProcess(this.id, null, now);
    this.events.append('process', { event: 'exited', pid: live.proc.pid, code, signal });
    this.#turn?.abort(new SessionError('exited', `agent exited mid-turn (${signal ?? `code ${code}`})`));
    this.#releaseSlot();
  }

  #releaseSlot(): void {
    const slot = this.#slot;
    this.#slot = undefined;
    slot?.();
  }
}
