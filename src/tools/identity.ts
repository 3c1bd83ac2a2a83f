/**
 * Who is calling a tool. Each live agent gets a random bearer token bound to its session when it
 * starts; the tool server maps the token back to the session and its group. Identity never comes
 * from tool arguments, so an agent cannot act as another group by naming it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export type Caller = { readonly sessionId: string; readonly group: string; readonly isMain: boolean };

export class ToolTokens {
  readonly #bySession = new Map<string, string>();
  readonly #byToken = new Map<string, string>();

  issue(sessionId: string): string {
    this.revoke(sessionId);
    const token = randomBytes(24).toString('base64url');
    this.#bySession.set(sessionId, token);
    this.#byToken.set(token, sessionId);
    return token;
  }

  revoke(sessionId: string): void {
    const old = this.#bySession.get(sessionId);
    if (old !== undefined) this.#byToken.delete(old);
    this.#bySession.delete(sessionId);
  }

  /** The session a presented token belongs to, compared in constant time. */
  sessionFor(token: string): string | undefined {
    const sessionId = this.#byToken.get(token);
    if (sessionId === undefined) return undefined;
    const expected = this.#bySession.get(sessionId) ?? '';
    const a = Buffer.from(token);
    const b = Buffer.from(expected);
    return a.length === b.length && timingSafeEqual(a, b) ? sessionId : undefined;
  }
}

/** A sliding-window limit per session: tools are for agents, not for loops. */
export class ToolRateLimit {
  readonly #calls = new Map<string, number[]>();
  constructor(
    readonly maxCalls: number,
    readonly windowMs: number,
  ) {}

  allow(sessionId: string, now = Date.now()): boolean {
    const recent = (this.#calls.get(sessionId) ?? []).filter((t) => t > now - this.windowMs);
    if (recent.length >= this.maxCalls) {
      this.#calls.set(sessionId, recent);
      return false;
    }
    recent.push(now);
    this.#calls.set(sessionId, recent);
    return true;
  }
}
