/**
 * What the supervisor tells the rest of the daemon, as typed events. Chat, automation and metrics
 * subscribe; the supervisor knows none of them, so the composition root needs no late binding.
 *
 * Hand-written rather than node:events: a listener's exception must not fail the turn or the exit
 * handling that emitted it (EventEmitter rethrows into the emitter), and the payloads are typed.
 */
import type { SessionNotification } from '@agentclientprotocol/sdk';
import type { Logger } from 'pino';
import type { FailureKind } from '../failures.js';
import type { PermissionAsk } from './permission-broker.js';
import type { TurnUsage } from './usage-meter.js';
import type { Decision } from './permissions.js';

export type SessionRef = { readonly sessionId: string; readonly group: string; readonly agent: string };

export type SupervisorEventMap = {
  /** The agent process of a session stopped (for any reason). */
  readonly 'agent-stopped': SessionRef;
  /** A permission request waits for the operator (mode `ask`). */
  readonly 'permission-asked': SessionRef & { readonly ask: PermissionAsk };
  /** An asked permission request was decided: by a person, or by its timeout. */
  readonly 'permission-decided': SessionRef & { readonly ask: PermissionAsk; readonly decision: Decision };
  /** A resume could not restore the earlier conversation; a fresh one was started. */
  readonly 'resume-failed': SessionRef & { readonly reason: string };
  /** An update from the agent during a turn, scrubbed of credentials. */
  readonly 'turn-update': SessionRef & {
    readonly turn: number;
    readonly update: SessionNotification['update'];
  };
  /** A turn ended: `ok` or the failure kind; `response` is the agent's prompt answer when ok. */
  readonly 'turn-ended': SessionRef & {
    readonly turn: number;
    readonly outcome: 'ok' | FailureKind;
    readonly durationMs: number;
    readonly response?: { readonly stopReason: string; readonly usage?: unknown; readonly meta?: unknown };
  };
  /**
   * What the agent reported it spent: at the end of a turn (`turn` set, whatever its outcome), or
   * a `usage_update` with a cost between turns (`turn` null). The cost is the agent's cumulative
   * figure for `acpSessionId`; the listener turns it into a delta.
   */
  readonly usage: SessionRef & {
    readonly turn: number | null;
    readonly taskId: string | null;
    readonly acpSessionId: string;
    /** The agent process (pid:start time): cumulative totals are exact within one. */
    readonly process: string;
    readonly at: number;
    readonly usage: TurnUsage;
  };
  /** Rows committed to sessions' event logs (metrics). */
  readonly 'events-committed': { readonly count: number };
};

type Listener<K extends keyof SupervisorEventMap> = (event: SupervisorEventMap[K]) => void;

export class SupervisorEvents {
  readonly #listeners = new Map<keyof SupervisorEventMap, Array<(e: never) => void>>();

  constructor(private readonly log?: Logger) {}

  on<K extends keyof SupervisorEventMap>(name: K, listener: Listener<K>): () => void {
    const list = this.#listeners.get(name) ?? [];
    list.push(listener);
    this.#listeners.set(name, list);
    return () => {
      const i = list.indexOf(listener);
      if (i >= 0) list.splice(i, 1);
    };
  }

  emit<K extends keyof SupervisorEventMap>(name: K, event: SupervisorEventMap[K]): void {
    for (const listener of this.#listeners.get(name) ?? []) {
      try {
        (listener as Listener<K>)(event);
      } catch (err) {
        this.log?.error({ err, event: name }, 'a supervisor event listener failed');
      }
    }
  }
}
