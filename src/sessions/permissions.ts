/**
 * Answers session/request_permission by the agent's permission_mode. `ask` parks the request until
 * the operator decides (`agentforge session approve`) or a timeout rejects it.
 */
import type {
  PermissionOption,
  RequestPermissionRequest,
  RequestPermissionResponse,
} from '@agentclientprotocol/sdk';
import type { PermissionMode } from './agents.js';

export const DEFAULT_ASK_TIMEOUT_MS = 5 * 60_000;
const READ_KINDS = new Set(['read', 'search', 'think', 'fetch']);

export type Decision = {
  readonly allow: boolean;
  readonly optionId: string | null;
  readonly by: 'policy' | 'operator' | 'timeout';
};

function pick(options: readonly PermissionOption[], allow: boolean): string | null {
  const kinds = allow ? ['allow_once', 'allow_always'] : ['reject_once', 'reject_always'];
  for (const k of kinds) {
    const o = options.find((opt) => opt.kind === k);
    if (o !== undefined) return o.optionId;
  }
  return null;
}

export function toResponse(d: Decision): RequestPermissionResponse {
  return d.optionId === null
    ? { outcome: { outcome: 'cancelled' } }
    : { outcome: { outcome: 'selected', optionId: d.optionId } };
}

/** The policy's decision, or undefined when the operator must be asked. */
export function decideByPolicy(mode: PermissionMode, req: RequestPermissionRequest): Decision | undefined {
  const allow =
    mode === 'approve-all'
      ? true
      : mode === 'deny-all'
        ? false
        : mode === 'approve-reads'
          ? READ_KINDS.has(req.toolCall.kind ?? 'other')
          : undefined;
  if (allow === undefined) return undefined;
  return { allow, optionId: pick(req.options, allow), by: 'policy' };
}

export type PendingPermission = {
  readonly id: string;
  readonly title: string;
  readonly kind: string;
  readonly options: readonly PermissionOption[];
  readonly askedAt: number;
};

/** Requests waiting for the operator, per session. */
export class PendingPermissions {
  readonly #pending = new Map<
    string,
    { info: PendingPermission; resolve: (d: Decision) => void; timer: NodeJS.Timeout }
  >();
  #seq = 0;

  ask(
    req: RequestPermissionRequest,
    timeoutMs: number,
    now = Date.now(),
  ): { id: string; decision: Promise<Decision> } {
    const id = `p${++this.#seq}`;
    const info: PendingPermission = {
      id,
      title: req.toolCall.title ?? 'tool call',
      kind: req.toolCall.kind ?? 'other',
      options: req.options,
      askedAt: now,
    };
    const decision = new Promise<Decision>((resolve) => {
      const timer = setTimeout(
        () => this.#settle(id, { allow: false, optionId: pick(req.options, false), by: 'timeout' }),
        timeoutMs,
      );
      timer.unref();
      this.#pending.set(id, { info, resolve, timer });
    });
    return { id, decision };
  }

  /** The operator's answer; false when no such request is pending. */
  answer(id: string | undefined, allow: boolean): PendingPermission | undefined {
    const entry = id === undefined ? [...this.#pending.values()][0] : this.#pending.get(id);
    if (entry === undefined) return undefined;
    this.#settle(entry.info.id, { allow, optionId: pick(entry.info.options, allow), by: 'operator' });
    return entry.info;
  }

  list(): PendingPermission[] {
    return [...this.#pending.values()].map((e) => e.info);
  }

  /** Rejects everything pending (turn ended, process died, shutdown). */
  rejectAll(): void {
    for (const id of [...this.#pending.keys()])
      this.#settle(id, { allow: false, optionId: null, by: 'timeout' });
  }

  #settle(id: string, d: Decision): void {
    const entry = this.#pending.get(id);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.#pending.delete(id);
    entry.resolve(d);
  }
}
