/**
 * Ids of permission requests (`ask` mode), e.g. `pk7m2qx`: random, so nobody can guess the id of a
 * request they did not see, and unique for the daemon's lifetime, so an answer never lands on a
 * newer request that happens to reuse an older id (ids used to be `p1`, `p2` … per session).
 */
import { randomBytes } from 'node:crypto';

/** Lowercase letters and digits without the look-alikes l, o, 0 and 1: 32 symbols, 5 bits each. */
export const REQUEST_ID_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
export const REQUEST_ID_LENGTH = 6;
/** What a typed answer must name: `p` and six symbols (matched without regard to case). */
export const REQUEST_ID_RE = new RegExp(`^p[${REQUEST_ID_ALPHABET}]{${REQUEST_ID_LENGTH}}$`);
/** Ids remembered to stay unique; older ones are long expired (the ask timeout is minutes). */
const REMEMBERED = 10_000;

export class RequestIds {
  readonly #issued = new Set<string>();

  next(): string {
    for (;;) {
      // 256 is a multiple of 32: masking a random byte keeps every symbol equally likely.
      const id = `p${[...randomBytes(REQUEST_ID_LENGTH)].map((b) => REQUEST_ID_ALPHABET[b & 31]).join('')}`;
      if (this.#issued.has(id)) continue;
      this.#issued.add(id);
      if (this.#issued.size > REMEMBERED) this.#issued.delete(this.#issued.values().next().value!);
      return id;
    }
  }
}
