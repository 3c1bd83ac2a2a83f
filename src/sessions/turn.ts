/**
 * One turn: a prompt and everything the agent does until it answers. The turn is raced against
 * its failure modes (wall-clock timeout, memory cap, output cap, protocol violation, the process
 * dying); whichever comes first decides the outcome, which is recorded with its kind.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeAgentError, SessionError } from './errors.js';
import { MemoryWatch } from './memory-watch.js';
import { ReplyAssembler } from './reply.js';
import type { Session } from './session.js';

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

/** A per-turn error log in the group's logs/ folder: what failed and the agent's last stderr. */
function writeTurnLog(s: Session, turn: number, e: SessionError, now: number): void {
  if (e.kind === 'cancelled') return;
  try {
    const dir = join(s.row.workspace, 'logs');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const name = `${new Date(now).toISOString().replace(/[:.]/g, '-')}-${s.id}-turn${turn}.log`;
    // The tail is scrubbed as it arrives; scrubbing the whole text again costs little and also
    // covers the failure message, which can quote the agent.
    const text = `session ${s.id} turn ${turn}
kind ${e.kind}
${e.message}

--- agent stderr (tail) ---
${s.stderrTail}
`;
    writeFileSync(join(dir, name), s.deps.redact?.text(text) ?? text, { mode: 0o600 });
  } catch {
    // best effort: the failure itself is already in the event log and the daemon log
  }
}

function classify(err: unknown): SessionError {
  if (err instanceof SessionError) return err;
  // A JSON-RPC error answer from the agent, duck-typed: the ACP SDK is loaded only with an agent.
  if (typeof (err as { code?: unknown }).code === 'number')
    return new SessionError('protocol', `agent answered with an error: ${describeAgentError(err)}`, {
      cause: err,
    });
  return new SessionError('protocol', (err as Error).message ?? String(err), { cause: err });
}

export async function runTurn(s: Session, text: string): Promise<TurnResult> {
  const { repo, events, agent } = s.deps;
  const turn = s.row.turns + 1;
  const started = Date.now();
  s.currentTurn = turn;
  events.append('prompt', { text }, turn);
  let failure: SessionError | undefined;
  let fail: (e: SessionError) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    fail = (e) => {
      failure ??= e;
      reject(failure);
    };
  });
  failed.catch(() => undefined);
  s.abortTurn = (e) => fail(e);
  let timer: NodeJS.Timeout | undefined;
  let watch: MemoryWatch | undefined;
  const reply = new ReplyAssembler();
  let outBytes = 0;
  let exited: Promise<unknown> | undefined;
  try {
    const live = await Promise.race([s.ensureLive(), failed]);
    exited = live.proc.exited;
    const kill = (e: SessionError): void => {
      fail(e);
      void live.stop(KILL_GRACE_MS, false);
    };
    timer = setTimeout(
      () =>
        kill(
          new SessionError(
            'timeout',
            `turn exceeded turn_timeout (${agent.limits.turnTimeoutMs} ms); agent killed`,
          ),
        ),
      agent.limits.turnTimeoutMs,
    );
    timer.unref();
    watch = new MemoryWatch(live.proc.pgid, agent.limits.memoryMb * 1024 * 1024, (rss) =>
      kill(
        new SessionError(
          'memory',
          `agent used ${Math.round(rss / 1048576)} MB, over its ${agent.limits.memoryMb} MB cap; agent killed`,
        ),
      ),
    );
    watch.start();
    s.onTurnUpdate = (n) => reply.add(n.update);
    s.onTurnPermission = () => reply.break();
    s.onTurnBytes = (n) => {
      outBytes += n;
      if (outBytes > agent.limits.maxOutputBytes) {
        kill(
          new SessionError(
            'protocol',
            `agent output exceeded max_output_bytes (${agent.limits.maxOutputBytes}); agent stopped`,
          ),
        );
      }
    };
    const send = () =>
      Promise.race([
        live.conn.agent.request('session/prompt', {
          sessionId: live.acpSessionId,
          prompt: [{ type: 'text', text }],
        }),
        failed,
      ]);
    // The first prompt after a session/load the agent accepted may still find the conversation
    // gone (codex: "thread not found"). That is a failed resume, not a dead session: go on fresh.
    const firstAfterLoad = live.resumed && s.firstPromptOn(live);
    let res: Awaited<ReturnType<typeof send>>;
    try {
      res = await send();
    } catch (err) {
      if (!firstAfterLoad || failure !== undefined || typeof (err as { code?: unknown }).code !== 'number')
        throw err;
      const previous = live.acpSessionId;
      await live.startFresh();
      s.deps.resumeFailed(
        s,
        { message: describeAgentError(err), data: (err as { data?: unknown }).data ?? null },
        previous,
      );
      res = await send();
    }
    // A burst shorter than the sampling interval would slip past the watch: sample once more
    // before calling the turn a success (the agent still holds what it allocated).
    if (watch.check()) await failed;
    const now = Date.now();
    const { text: replyText, messages, notices } = reply.finish();
    repo.recordTurn(s.id, now);
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
    s.deps.onTurnEnd?.('ok', now - started);
    return { turn, reply: replyText, messages, stopReason: res.stopReason, durationMs: now - started };
  } catch (err) {
    // The connection often reports "closed" a moment before the exit event says why; give the
    // exit handler the chance to classify it as `exited`.
    if (failure === undefined && exited !== undefined) await Promise.race([exited, sleep(EXIT_SETTLE_MS)]);
    // Scrubbed once here: the message goes to the DB, the event log, the daemon log and the caller.
    const raw = failure ?? classify(err);
    const e = s.deps.redact?.error(raw) ?? raw;
    const now = Date.now();
    repo.recordTurn(s.id, now);
    repo.recordFailure(s.id, e.kind, e.message, now);
    events.append('failure', { kind: e.kind, message: e.message, duration_ms: now - started }, turn);
    s.deps.log.warn({ session: s.id, turn, kind: e.kind, err: e.message }, 'turn failed');
    writeTurnLog(s, turn, e, now);
    s.deps.onTurnEnd?.(e.kind, now - started);
    if (
      e.kind !== 'cancelled' &&
      e.kind !== 'spawn' &&
      e.kind !== 'handshake' &&
      e.kind !== 'policy' &&
      e.kind !== 'sandbox'
    )
      await s.release(KILL_GRACE_MS);
    throw e;
  } finally {
    clearTimeout(timer);
    watch?.stop();
    s.abortTurn = undefined;
    s.onTurnUpdate = undefined;
    s.onTurnBytes = undefined;
    s.onTurnPermission = undefined;
    s.currentTurn = null;
  }
}
