import { describe, expect, it } from 'vitest';
import { UsageMeter } from './usage-meter.js';

describe('UsageMeter', () => {
  it("reads Claude's usage_update cost and context, and the prompt response's usage", () => {
    const m = new UsageMeter();
    m.update({ sessionUpdate: 'usage_update', used: 1200, size: 200000 } as never);
    m.update({
      sessionUpdate: 'usage_update',
      used: 1500,
      size: 200000,
      cost: { amount: 0.012, currency: 'USD' },
    } as never);
    expect(
      m.finish({
        usage: {
          inputTokens: 100,
          outputTokens: 20,
          cachedReadTokens: 1000,
          cachedWriteTokens: 50,
          totalTokens: 1170,
        },
      }),
    ).toEqual({
      inputTokens: 100,
      outputTokens: 20,
      cachedTokens: 1050,
      totalTokens: 1170,
      contextUsed: 1500,
      contextSize: 200000,
      cumulativeCost: { amount: 0.012, currency: 'USD' },
    });
  });

  it("reads gemini's snake_case _meta.quota.token_count when there is no usage", () => {
    const m = new UsageMeter();
    expect(
      m.finish({ meta: { quota: { token_count: { input_tokens: 40, output_tokens: 2 }, model_usage: [] } } }),
    ).toEqual({
      inputTokens: 40,
      outputTokens: 2,
      cachedTokens: 0,
      totalTokens: 42,
      contextUsed: null,
      contextSize: null,
      cumulativeCost: null,
    });
  });

  it('ignores malformed reports and turns that said nothing', () => {
    const m = new UsageMeter();
    m.update({ sessionUpdate: 'usage_update', used: -1, cost: { amount: 'lots', currency: 'USD' } } as never);
    m.update({ sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'hi' } } as never);
    expect(m.finish({ usage: { inputTokens: 'many' }, meta: 'x' })).toBeUndefined();
  });
});
