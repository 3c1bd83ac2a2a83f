import { describe, expect, it } from 'vitest';
import { ToolRateLimit, ToolTokens } from './identity.js';

describe('ToolTokens', () => {
  it('a token resolves to the session it was issued for, and only that one', () => {
    const tokens = new ToolTokens();
    const a = tokens.issue('s-a');
    const b = tokens.issue('s-b');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9_-]{32}$/); // 24 random bytes, base64url
    expect(tokens.sessionFor(a)).toBe('s-a');
    expect(tokens.sessionFor(b)).toBe('s-b');
  });

  it('unknown, altered, truncated or empty tokens resolve to nobody', () => {
    const tokens = new ToolTokens();
    const a = tokens.issue('s-a');
    const flipped = (a[0] === 'A' ? 'B' : 'A') + a.slice(1);
    for (const t of [flipped, a.slice(0, -1), `${a}x`, '', ' ', `Bearer ${a}`, 's-a'])
      expect(tokens.sessionFor(t), JSON.stringify(t)).toBeUndefined();
  });

  it('revoke ends a token; other sessions keep theirs', () => {
    const tokens = new ToolTokens();
    const a = tokens.issue('s-a');
    const b = tokens.issue('s-b');
    tokens.revoke('s-a');
    expect(tokens.sessionFor(a)).toBeUndefined();
    expect(tokens.sessionFor(b)).toBe('s-b');
    tokens.revoke('s-a'); // twice is harmless
    tokens.revoke('never-issued');
    expect(tokens.sessionFor(b)).toBe('s-b');
  });

  it('issuing again (the agent restarted) replaces the old token', () => {
    const tokens = new ToolTokens();
    const first = tokens.issue('s-a');
    const second = tokens.issue('s-a');
    expect(second).not.toBe(first);
    expect(tokens.sessionFor(first)).toBeUndefined();
    expect(tokens.sessionFor(second)).toBe('s-a');
    // Revoking after a re-issue ends the current token too.
    tokens.revoke('s-a');
    expect(tokens.sessionFor(second)).toBeUndefined();
  });

  it('tokens are unpredictable: many issues never repeat', () => {
    const tokens = new ToolTokens();
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(tokens.issue(`s-${i}`));
    expect(seen.size).toBe(1000);
  });
});

describe('ToolRateLimit', () => {
  const T = 1_700_000_000_000;

  it('allows maxCalls in the window, then refuses', () => {
    const rl = new ToolRateLimit(3, 60_000);
    expect([rl.allow('s', T), rl.allow('s', T + 1), rl.allow('s', T + 2)]).toEqual([true, true, true]);
    expect(rl.allow('s', T + 3)).toBe(false);
    expect(rl.allow('s', T + 59_999)).toBe(false);
  });

  it('is a sliding window: each call frees its slot windowMs after it was made', () => {
    const rl = new ToolRateLimit(3, 60_000);
    rl.allow('s', T);
    rl.allow('s', T + 10_000);
    rl.allow('s', T + 20_000);
    expect(rl.allow('s', T + 59_999)).toBe(false);
    expect(rl.allow('s', T + 60_000)).toBe(true); // the call at T has left the window
    expect(rl.allow('s', T + 60_001)).toBe(false);
    expect(rl.allow('s', T + 70_000)).toBe(true); // T + 10 s has left
    expect(rl.allow('s', T + 70_000)).toBe(false);
  });

  it('refused calls do not count against the session', () => {
    const rl = new ToolRateLimit(2, 1000);
    rl.allow('s', T);
    rl.allow('s', T + 1);
    for (let i = 0; i < 50; i++) expect(rl.allow('s', T + 2 + i)).toBe(false);
    // Once the two allowed calls age out, there is room again despite the refusals.
    expect(rl.allow('s', T + 1001)).toBe(true);
    expect(rl.allow('s', T + 1001)).toBe(true);
    expect(rl.allow('s', T + 1001)).toBe(false);
  });

  it('counts each session separately', () => {
    const rl = new ToolRateLimit(1, 60_000);
    expect(rl.allow('a', T)).toBe(true);
    expect(rl.allow('a', T)).toBe(false);
    expect(rl.allow('b', T)).toBe(true);
    expect(rl.allow('c', T)).toBe(true);
    expect(rl.allow('b', T + 1)).toBe(false);
  });
});
