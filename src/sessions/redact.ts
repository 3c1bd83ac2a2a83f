/**
 * Scrubbing an agent's resolved credential values out of what the daemon writes about it: turn
 * logs, daemon log lines, quarantine files, events. An agent that prints its API key to stderr
 * (an SDK's debug dump, a failing curl -v) must not put it on disk, where backups copy it.
 *
 * Matching is by exact value, so a key the agent transforms (base64, split over two replies) is
 * not caught; stderr is scrubbed as a stream, so a value split across two chunks is.
 */
import { SessionError } from './errors.js';

export const REDACTED = '[redacted]';

export class Redactor {
  /** Longest first, so a value that contains another is replaced whole. */
  #values: string[] = [];

  /** The agent's resolved credentials; replaced on every start (a secret may have rotated). */
  set(values: Iterable<string>): void {
    this.#values = [...new Set([...values].filter((v) => v !== ''))].sort((a, b) => b.length - a.length);
  }

  get active(): boolean {
    return this.#values.length > 0;
  }

  text(s: string): string {
    let out = s;
    for (const v of this.#values) if (out.includes(v)) out = out.split(v).join(REDACTED);
    return out;
  }

  /** Strings anywhere in a JSON-like value; the same object back when nothing matched. */
  deep<T>(value: T): T {
    if (!this.active) return value;
    return this.#deep(value, 0) as T;
  }

  #deep(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.text(value);
    if (value === null || typeof value !== 'object' || depth > 64) return value;
    if (Array.isArray(value)) {
      let changed = false;
      const out = value.map((v) => {
        const r = this.#deep(v, depth + 1);
        if (r !== v) changed = true;
        return r;
      });
      return changed ? out : value;
    }
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const rk = this.text(k);
      const rv = this.#deep(v, depth + 1);
      if (rk !== k || rv !== v) changed = true;
      out[rk] = rv;
    }
    return changed ? out : value;
  }

  /** A failure whose message may quote the agent (its JSON-RPC error text). */
  error(e: SessionError): SessionError {
    const message = this.text(e.message);
    return message === e.message ? e : new SessionError(e.kind, message);
  }

  /**
   * A scrubber for a stream of chunks. The end of each chunk that could be the start of a secret
   * is held back until the next chunk shows whether it is; what is held back at the end is never
   * written (it is at most a fragment shorter than the longest secret).
   */
  stream(): (chunk: string) => string {
    let held = '';
    return (chunk) => {
      if (!this.active) return chunk;
      const text = this.text(held + chunk);
      let keep = 0;
      for (const v of this.#values) {
        for (let k = Math.min(v.length - 1, text.length); k > keep; k--) {
          if (text.endsWith(v.slice(0, k))) {
            keep = k;
            break;
          }
        }
      }
      held = text.slice(text.length - keep);
      return text.slice(0, text.length - keep);
    };
  }
}
