/**
 * One turn: a prompt and everything the agent does until it answers. The Turn owns its reply, its
 * output count and its abort; it is raced against its failure modes (wall-clock timeout, memory
 * cap, output cap, protocol violation, the process dying); whichever comes first decides the
 * outcome, which is recorded with its kind.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContentBlock, SessionNotification } from '@agentclientprotocol/sdk';
import type { Logger } from 'pino';
import { stopsTheAgent } from '../failures.js';
import type { SessionsRepo } from '../store/sessions-repo.js';
import type { LiveAgent, ResumeFailure } from './acp/client.js';
import type { AgentSpec } from './agents.js';
import { describeAgentError, SessionError } from './errors.js';
import type { EventLog } from './event-log.js';
import { MemoryWatch } from './memory-watch.js';
import type { Redactor } from './redact.js';
import { ReplyAssembler } from './reply.js';
import type { SessionRef, SupervisorEvents } from './supervisor-events.js';
import { UsageMeter } from './usage-meter.js';

export const KILL_GRACE_MS = 2_000;

const EXIT_SETTLE_MS = 1_000;

export type TurnResult = {
  readonly turn: number;
  /** The agent's messages joined by blank lines (reply.ts). */
  readonly reply: string;
  readonly messages: readonly string[];
  readonly stopReason: string;
  readonly durationMs: number;
};

/** What a turn needs from its session; given by Session, which owns the live agent. */
export type TurnContext = {
  readonly ref: SessionRef;
  readonly workspace: string;
  readonly repo: SessionsRepo;
  readonly events: EventLog;
  readonly agent: AgentSpec;
  readonly log: Logger;
  readonly redact?: Redactor;
  readonly bus?: SupervisorEvents;
  readonly ensureLive: () => Promise<LiveAgent>;
  /** True the first time a turn prompts this live agent (a loaded session may prove gone then). */
  readonly firstPromptOn: (live: LiveAgent) => boolean;
  readonly resumeFailed: (failure: ResumeFailure, previousAcpSession: string | null) => void;
  readonly stopAgent: (graceMs: number) => Promise<void>;
  readonly stderrTail: () => string;
};

/**
 * A JSON-RPC error answer from the agent is the agent's `protocol` failure; anything else thrown
 * while running a turn (SQLite, the file system, a defect) is ours: `internal`. Duck-typed: the ACP
 * SDK is loaded only with an agent.
 */
function classify(err: unknown): SessionError {
  if (err instanceof SessionError) return err;
  if (typeof (err as { code?: unknown }).code === 'number')
    return new SessionError('protocol', `agent answered with an error: ${describeAgentError(err)}`, {
      cause: err,
    });
  return new SessionError('internal', (err as Error).message ?? String(err), { cause: err });
}

export class Turn {
  readonly #reply = new ReplyAssembler();
  readonly #meter = new UsageMeter();
  #acpSessionId: string | undefined;
  #process: string | undefined;
  #outBytes = 0;
  #failure: SessionError | undefined;
  #reject: (e: SessionError) => void = () => undefined;
  /** Rejects with the first failure; raced against every step of the turn. */
  readonly #failed: Promise<never>;
  #kill: ((e: SessionError) => void) | undefined;
  /**
   * Set once the agent is live and about to get the prompt. Before that the agent's traffic is
   * its start-up (a session/load replays the whole earlier conversation, a mode change announces
   * itself): logged, but not this turn's reply nor its output.
   */
  #prompting = false;

  constructor(
    readonly number: number,
    private readonly ctx: TurnContext,
    /** The scheduled task this turn runs for, if any (usage is counted per task too). */
    readonly taskId: string | null = null,
  ) {
    this.#failed = new Promise<never>((_, reject) => {
      this.#reject = reject;
    });
    this.#failed.catch(() => undefined);
  }

  /** Ends the turn early with a classified failure (the first one wins). */
  abort(e: SessionError): void {
    this.#failure ??= e;
    this.#reject(this.#failure);
  }

  /** An update from the agent for this turn (already scrubbed). */
  update(update: SessionNotification['update']): void {
    if (!this.#prompting) return;
    this.#reply.add(update);
    this.#meter.update(update);
    this.ctx.bus?.emit('turn-update', { ...this.ctx.ref, turn: this.number, update });
  }

  /** The agent asked for a permission mid-turn: a boundary between its messages. */
  permissionAsked(): void {
    if (this.#prompting) this.#reply.break();
  }

  /** Output accounting: past max_output_bytes the agent is stopped. */
  countBytes(n: number): void {
    if (!this.#prompting) return;
    this.#outBytes += n;
    const max = this.ctx.agent.limits.maxOutputBytes;
    if (this.#outBytes > max)
      this.#stop(
        new SessionError('protocol', `agent output exceeded max_output_bytes (${max}); agent stopped`),
      );
  }

  /** Ends the turn now and stops the agent (it ignored a cancel, or must not go on). */
  kill(e: SessionError): void {
    this.#stop(e);
  }

  #stop(e: SessionError): void {
    if (this.#kill !== undefined) this.#kill(e);
    else this.abort(e);
  }

  async run(
    text: string,
    images: ReadonlyArray<{ mimeType: string; data: Buffer }> = [],
  ): Promise<TurnResult> {
    const { repo, events, agent, ref } = this.ctx;
    const turn = this.number;
    const started = Date.now();
    const failed = this.#failed;
    events.append('prompt', { text }, turn);
    let timer: NodeJS.Timeout | undefined;
    let watch: MemoryWatch | undefined;
    let exited: Promise<unknown> | undefined;
    try {
      const live = await Promise.race([this.ctx.ensureLive(), failed]);
      this.#acpSessionId = live.acpSessionId;
      this.#process = `${live.proc.pid}:${live.proc.startTime}`;
      exited = live.proc.exited;
      this.#kill = (e) => {
        this.abort(e);
        void live.stop(KILL_GRACE_MS, false);
      };
      this.#prompting = true;
      timer = setTimeout(
        () =>
          this.#stop(
            new SessionError(
              'timeout',
              `turn exceeded turn_timeout (${agent.limits.turnTimeoutMs} ms); agent killed`,
            ),
          ),
        agent.limits.turnTimeoutMs,
      );
      timer.unref();
      watch = new MemoryWatch(live.proc.pgid, agent.limits.memoryMb * 1024 * 1024, (rss) =>
        this.#stop(
          new SessionError(
            'memory',
            `agent used ${Math.round(rss / 1048576)} MB, over its ${agent.limits.memoryMb} MB cap; agent killed`,
          ),
        ),
      );
      watch.start();
      // Images go as ACP content only to an agent that says it reads them; the text names their
      // paths either way.
      const imageBlocks: ContentBlock[] =
        live.init.agentCapabilities?.promptCapabilities?.image === true
          ? images.map((i) => ({ type: 'image', mimeType: i.mimeType, data: i.data.toString('base64') }))
          : [];
      const prompt: ContentBlock[] = [{ type: 'text', text }, ...imageBlocks];
      if (images.length > 0)
        events.append('prompt_images', { count: images.length, sent: imageBlocks.length }, turn);
      const send = () =>
        Promise.race([
          live.conn.agent.request('session/prompt', {
            sessionId: live.acpSessionId,
            prompt,
          }),
          failed,
        ]);
      // The first prompt after a session/load the agent accepted may still find the conversation
      // gone (codex: "thread not found"). That is a failed resume, not a dead session: go on fresh.
      const firstAfterLoad = live.resumed && this.ctx.firstPromptOn(live);
      let res: Awaited<ReturnType<typeof send>>;
      try {
        res = await send();
      } catch (err) {
        if (
          !firstAfterLoad ||
          this.#failure !== undefined ||
          typeof (err as { code?: unknown }).code !== 'number'
        )
          throw err;
        const previous = live.acpSessionId;
        await live.startFresh();
        this.ctx.resumeFailed(
          { message: describeAgentError(err), data: (err as { data?: unknown }).data ?? null },
          previous,
        );
        res = await send();
      }
      // A burst shorter than the sampling interval would slip past the watch: sample once more
      // before calling the turn a success (the agent still holds what it allocated).
      if (watch.check()) await failed;
      const now = Date.now();
      this.#acpSessionId = live.acpSessionId;
      this.#recordUsage(now, { usage: (res as { usage?: unknown }).usage, meta: res._meta });
      const { text: replyText, messages, notices } = this.#reply.finish();
      repo.recordTurn(ref.sessionId, now);
      if (notices.length > 0) events.append('agent_notice', { notices }, turn);
      events.append(
        'turn_end',
        {
          stop_reason: res.stopReason,
          reply_bytes: Buffer.byteLength(replyText),
          messages: messages.length,
          duration_ms: now - started,
        },
        turn,
      );
      this.ctx.bus?.emit('turn-ended', {
        ...ref,
        turn,
        outcome: 'ok',
        durationMs: now - started,
        // `usage` is an unstable ACP field (codex sends it); read it untyped.
        response: {
          stopReason: res.stopReason,
          usage: (res as { usage?: unknown }).usage ?? undefined,
          meta: res._meta ?? undefined,
        },
      });
      return { turn, reply: replyText, messages, stopReason: res.stopReason, durationMs: now - started };
    } catch (err) {
      // The connection often reports "closed" a moment before the exit event says why; give the
      // exit handler the chance to classify it as `exited`.
      if (this.#failure === undefined && exited !== undefined)
        await Promise.race([exited, sleep(EXIT_SETTLE_MS)]);
      // Scrubbed once here: the message goes to the DB, the event log, the daemon log and the caller.
      const raw = this.#failure ?? classify(err);
      const e = this.ctx.redact?.error(raw) ?? raw;
      const now = Date.now();
      // A failed or cancelled turn may have spent too: what the agent reported so far counts.
      this.#recordUsage(now);
      repo.recordTurn(ref.sessionId, now);
      repo.recordFailure(ref.sessionId, e.kind, e.message, now);
      events.append('failure', { kind: e.kind, message: e.message, duration_ms: now - started }, turn);
      this.ctx.log.warn({ session: ref.sessionId, turn, kind: e.kind, err: e.message }, 'turn failed');
      this.#writeLog(e, now);
      this.ctx.bus?.emit('turn-ended', { ...ref, turn, outcome: e.kind, durationMs: now - started });
      if (stopsTheAgent(e.kind)) await this.ctx.stopAgent(KILL_GRACE_MS);
      throw e;
    } finally {
      clearTimeout(timer);
      watch?.stop();
    }
  }

  /** The turn's usage into its event log and to the bus (which records it in the global DB). */
  #recordUsage(now: number, response?: { usage?: unknown; meta?: unknown }): void {
    const usage = this.#meter.finish(response);
    if (usage === undefined || this.#acpSessionId === undefined || this.#process === undefined) return;
    const { ref, events, bus } = this.ctx;
    events.append('usage', usage, this.number);
    bus?.emit('usage', {
      ...ref,
      turn: this.number,
      taskId: this.taskId,
      acpSessionId: this.#acpSessionId,
      process: this.#process,
      at: now,
      usage,
    });
  }

  /** A per-turn error log in the group's logs/ folder: what failed and the agent's last stderr. */
  #writeLog(e: SessionError, now: number): void {
    if (e.kind === 'cancelled') return;
    const { ref } = this.ctx;
    try {
      const dir = join(this.ctx.workspace, 'logs');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const name = `${new Date(now).toISOString().replace(/[:.]/g, '-')}-${ref.sessionId}-turn${this.number}.log`;
      // The tail is scrubbed as it arrives; scrubbing the whole text again costs little and also
      // covers the failure message, which can quote the agent.
      const text = `session ${ref.sessionId} turn ${this.number}
kind ${e.kind}
${e.message}

--- agent stderr (tail) ---
${this.ctx.stderrTail()}
`;
      writeFileSync(join(dir, name), this.ctx.redact?.text(text) ?? text, { mode: 0o600 });
    } catch {
      // best effort: the failure itself is already in the event log and the daemon log
    }
  }
}
