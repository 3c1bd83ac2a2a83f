/**
 * Property-based fuzzing (fast-check) of the secret surfaces touched by audit finding 12:
 *   (a) the stderr scrubber (src/sessions/redact.ts): random credential values inside random text,
 *       cut into random chunks; no value survives, and text without one passes through unchanged;
 *   (b) `[agents.X] env` in the config parser: any key and value give a Config or a ConfigError,
 *       a key that names a secret is always refused, and the value is never echoed.
 * Runs per property are bounded (quick for CI; CHAOS_LONG=1 multiplies them); a failure prints
 * the shrunk counterexample and its seed (replay with CHAOS_SEED).
 */
import fc from 'fast-check';
import { stringify as toToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfig } from '../../src/config/load.js';
import { namesASecret } from '../../src/config/secrets.js';
import { Redactor } from '../../src/sessions/redact.js';
import { fuzzParams } from '../helpers/chaos.js';

const params = fuzzParams;

/** Cuts text at the given (sorted, deduplicated) points. */
function cut(text: string, points: number[]): string[] {
  const at = [...new Set(points.map((p) => p % (text.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let from = 0;
  for (const p of at) {
    out.push(text.slice(from, p));
    from = p;
  }
  out.push(text.slice(from));
  return out;
}

describe('fuzz: secret scrubbing', () => {
  const secretArb = fc.string({ minLength: 4, maxLength: 40 }).filter((s) => !s.includes('\n'));

  it('(a) no credential value survives the stream scrubber, however the stream is cut', () => {
    fc.assert(
      fc.property(
        fc.array(secretArb, { minLength: 1, maxLength: 3 }),
        fc.array(fc.oneof(fc.string({ maxLength: 30 }), fc.nat(2)), { maxLength: 8 }),
        fc.array(fc.nat(400), { maxLength: 10 }),
        (secrets, pieces, points) => {
          const text = `${pieces.map((p) => (typeof p === 'number' ? secrets[p % secrets.length] : p)).join('')}\n`;
          const r = new Redactor();
          r.set(secrets);
          const scrub = r.stream();
          const out = cut(text, points)
            .map((c) => scrub(c))
            .join('');
          for (const s of secrets) expect(out.includes(s), JSON.stringify({ s, out })).toBe(false);
          if (!secrets.some((s) => text.includes(s))) expect(out).toBe(text);
        },
      ),
      params(2_000),
    );
  });

  it('(b) env keys: a secret-named key is refused at its line, and no value is echoed', () => {
    const keyArb = fc.oneof(
      fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/),
      fc
        .tuple(
          fc.constantFrom('', 'OPENAI_', 'MY_', 'x', 'GITHUB_'),
          fc.constantFrom('API_KEY', 'TOKEN', 'Secret', 'PASSWORD', 'AUTH', 'LOG', 'KEYBOARD', 'MONKEY'),
          fc.constantFrom('', '_FILE', '2', '_LEVEL'),
        )
        .map((p) => p.join('')),
      fc.string({ maxLength: 12 }),
    );
    const valueArb = fc.string({ minLength: 8, maxLength: 30 }).map((s) => `v-${s}`);
    fc.assert(
      fc.property(keyArb, valueArb, (key, value) => {
        const source = `[http]\nport = 0\n\n[agents.a]\npreset = "demo"\n${toToml({ env: { [key]: value } })}\n`;
        let config;
        try {
          config = parseConfig(source, '/home/x/config.toml', '/home/x');
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          expect((err as Error).message).not.toContain(value);
          return;
        }
        expect(namesASecret(key)).toBe(false);
        expect(config.agents['a']?.env[key]).toBe(value);
      }),
      params(500),
    );
  });
});
