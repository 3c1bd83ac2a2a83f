/**
 * What an agent says it spent, read from ACP the way the adapters report it (checked against
 * their sources): `usage_update` carries the context (`used`/`size`) and, from Claude, the
 * session's cumulative `cost` {amount, currency}; the prompt response's unstable `usage` holds the
 * turn's tokens (Claude, codex); `_meta.quota.token_count` holds them too, camelCase (Claude,
 * codex) or snake_case (gemini, which reports nothing else). Untyped input, checked field by field:
 * a malformed report is ignored, never a failed turn.
 */
import type { SessionNotification } from '@agentclientprotocol/sdk';

export type Cost = { readonly amount: number; readonly currency: string };

/** One turn's usage as the agent reported it; `cumulativeCost` is the session total so far. */
export type TurnUsage = {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedTokens: number;
  readonly totalTokens: number;
  readonly contextUsed: number | null;
  readonly contextSize: number | null;
  readonly cumulativeCost: Cost | null;
};

type Tokens = Pick<TurnUsage, 'inputTokens' | 'outputTokens' | 'cachedTokens' | 'totalTokens'>;

const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;

const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** `{inputTokens, outputTokens, …}` or `{input_tokens, output_tokens, …}`; undefined when neither. */
export function tokensOf(v: unknown): Tokens | undefined {
  const o = obj(v);
  if (o === undefined) return undefined;
  const input = num(o['inputTokens']) ?? num(o['input_tokens']);
  const output = num(o['outputTokens']) ?? num(o['output_tokens']);
  if (input === undefined && output === undefined) return undefined;
  const cached =
    (num(o['cachedReadTokens']) ?? num(o['cachedInputTokens']) ?? num(o['cached_input_tokens']) ?? 0) +
    (num(o['cachedWriteTokens']) ?? 0);
  const total = num(o['totalTokens']) ?? num(o['total_tokens']) ?? (input ?? 0) + (output ?? 0) + cached;
  return { inputTokens: input ?? 0, outputTokens: output ?? 0, cachedTokens: cached, totalTokens: total };
}

/** A `usage_update`'s context and cumulative cost; undefined for any other update. */
export function usageUpdateOf(
  update: SessionNotification['update'],
): { used?: number; size?: number; cost?: Cost } | undefined {
  if (update.sessionUpdate !== 'usage_update') return undefined;
  const u = update as unknown as Record<string, unknown>;
  const c = obj(u['cost']);
  const amount = num(c?.['amount']);
  const currency = typeof c?.['currency'] === 'string' && c['currency'] !== '' ? c['currency'] : undefined;
  return {
    ...(num(u['used']) !== undefined ? { used: num(u['used']) } : {}),
    ...(num(u['size']) !== undefined ? { size: num(u['size']) } : {}),
    ...(amount !== undefined && currency !== undefined ? { cost: { amount, currency } } : {}),
  };
}

/** Collects one turn's reports; `finish` gives the turn's usage, or undefined if nothing was said. */
export class UsageMeter {
  #used: number | null = null;
  #size: number | null = null;
  #cost: Cost | null = null;

  update(update: SessionNotification['update']): void {
    const u = usageUpdateOf(update);
    if (u === undefined) return;
    if (u.used !== undefined) this.#used = u.used;
    if (u.size !== undefined) this.#size = u.size;
    if (u.cost !== undefined) this.#cost = u.cost;
  }

  finish(response?: { usage?: unknown; meta?: unknown }): TurnUsage | undefined {
    const quota = obj(obj(response?.meta)?.['quota']);
    const tokens = tokensOf(response?.usage) ?? tokensOf(quota?.['token_count']);
    if (tokens === undefined && this.#used === null && this.#cost === null) return undefined;
    return {
      ...(tokens ?? { inputTokens: 0, outputTokens: 0, cachedTokens: 0, totalTokens: 0 }),
      contextUsed: this.#used,
      contextSize: this.#size,
      cumulativeCost: this.#cost,
    };
  }
}
