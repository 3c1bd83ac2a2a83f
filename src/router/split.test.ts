import { describe, expect, it } from 'vitest';
import { splitMessage } from './split.js';

/**
 * Every part is a verbatim slice of the text, in order, and only whitespace lies between (and
 * around) consecutive parts: nothing is lost, reordered or invented.
 */
function expectLossless(text: string, parts: readonly string[]): void {
  let at = 0;
  for (const part of parts) {
    expect(part.length).toBeGreaterThan(0);
    const found = text.indexOf(part, at);
    expect(found, `part not found in order: ${JSON.stringify(part.slice(0, 40))}`).toBeGreaterThanOrEqual(at);
    expect(text.slice(at, found).trim(), 'only whitespace may be dropped between parts').toBe('');
    at = found + part.length;
  }
  expect(text.slice(at).trim()).toBe('');
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const words = (n: number, w = 'word'): string => Array.from({ length: n }, (_, i) => `${w}${i}`).join(' ');

describe('splitMessage', () => {
  it('returns short text as one part', () => {
    expect(splitMessage('hello world', 100)).toEqual(['hello world']);
    expect(splitMessage('x'.repeat(100), 100)).toEqual(['x'.repeat(100)]);
  });

  it('prefers a paragraph break over a later line break', () => {
    const text = `${'a'.repeat(30)}\n\n${'b'.repeat(30)}\n${'c'.repeat(30)}`;
    // max 80: the window holds both the paragraph break (30) and the line break (62).
    const parts = splitMessage(text, 80);
    expect(parts).toEqual(['a'.repeat(30), `${'b'.repeat(30)}\n${'c'.repeat(30)}`]);
  });

  it('prefers a line break over a later space', () => {
    const text = `${'a'.repeat(30)}\n${'b'.repeat(20)} ${'c'.repeat(20)} ${'d'.repeat(20)}`;
    const parts = splitMessage(text, 60);
    expect(parts[0]).toBe('a'.repeat(30));
    expectLossless(text, parts);
  });

  it('cuts at a space when there is no line break', () => {
    const text = words(50);
    const parts = splitMessage(text, 40);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(40);
      // every part is whole words
      for (const w of p.split(' ')) expect(w).toMatch(/^word\d+$/);
    }
    expect(parts.join(' ')).toBe(text);
  });

  it('hard-cuts only a single word longer than the limit', () => {
    const text = `short ${'y'.repeat(25)} tail`;
    const parts = splitMessage(text, 10);
    expect(parts).toEqual(['short', 'y'.repeat(10), 'y'.repeat(10), 'yyyyy tail']);
  });

  it('uses a break sitting exactly at the limit', () => {
    expect(splitMessage(`${'a'.repeat(10)}\n${'b'.repeat(5)}`, 10)).toEqual(['a'.repeat(10), 'b'.repeat(5)]);
    expect(splitMessage(`${'a'.repeat(10)} ${'b'.repeat(5)}`, 10)).toEqual(['a'.repeat(10), 'b'.repeat(5)]);
    expect(splitMessage(`${'a'.repeat(9)}\n\n${'b'.repeat(5)}`, 10)).toEqual(['a'.repeat(9), 'b'.repeat(5)]);
  });

  it('never cuts an astral character (surrogate pair) in half', () => {
    const text = '😀'.repeat(10); // 20 UTF-16 units, no spaces
    const parts = splitMessage(text, 5);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(5);
      expect(p, 'no lone surrogate').not.toMatch(LONE_SURROGATE);
    }
    expect(parts.join('')).toBe(text);
  });

  it('splits a 10 000-character reply of 1 KB lines at line boundaries under 4096', () => {
    const line = 'x'.repeat(1023);
    const text = Array.from({ length: 10 }, () => line).join('\n');
    const parts = splitMessage(text, 4096);
    expect(parts).toHaveLength(3);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(4096);
      for (const l of p.split('\n')) expect(l).toBe(line);
    }
    expect(parts.join('\n')).toBe(text);
  });

  it('keeps every part within the limit and loses nothing, on varied random text', () => {
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pieces = [' ', ' ', ' ', '\n', '\n\n', 'é', '😀', '<b>', '&'];
    for (let round = 0; round < 200; round++) {
      let text = '';
      const len = 1 + rand(3000);
      while (text.length < len) {
        text +=
          rand(4) === 0
            ? pieces[rand(pieces.length)]
            : 'abcdefghij'.slice(0, 1 + rand(10)).repeat(1 + rand(30));
      }
      const max = 10 + rand(500);
      const parts = splitMessage(text, max);
      for (const p of parts) {
        expect(p.length).toBeLessThanOrEqual(max);
        expect(p).toBe(p.trim());
        expect(p).not.toMatch(LONE_SURROGATE);
      }
      expectLossless(text, parts);
    }
  });

  it('rejects a non-positive limit', () => {
    expect(() => splitMessage('abc', 0)).toThrow();
  });
});
