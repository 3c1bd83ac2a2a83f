import { describe, expect, it } from 'vitest';
import { escapeHtml, toTelegramHtml } from './render.js';

describe('escapeHtml', () => {
  it('escapes the three characters Telegram HTML requires, & first', () => {
    expect(escapeHtml('a < b && c > d')).toBe('a &lt; b &amp;&amp; c &gt; d');
    expect(escapeHtml('&lt;')).toBe('&amp;lt;');
    expect(escapeHtml('plain "quotes" \'too\'')).toBe('plain "quotes" \'too\'');
  });
});

describe('toTelegramHtml', () => {
  it('escapes text that looks like markup instead of passing it through', () => {
    expect(toTelegramHtml('<b>not bold</b> & <script>')).toBe(
      '&lt;b&gt;not bold&lt;/b&gt; &amp; &lt;script&gt;',
    );
  });

  it('renders **bold**', () => {
    expect(toTelegramHtml('this is **very** important')).toBe('this is <b>very</b> important');
    expect(toTelegramHtml('**a < b**')).toBe('<b>a &lt; b</b>');
  });

  it('renders `inline code` with its content escaped once', () => {
    expect(toTelegramHtml('run `ls -l > out.txt` now')).toBe('run <code>ls -l &gt; out.txt</code> now');
    expect(toTelegramHtml('`a && b`')).toBe('<code>a &amp;&amp; b</code>');
  });

  it('renders fenced code blocks as <pre>, dropping the language tag, formatting nothing inside', () => {
    const text = 'before\n```ts\nconst x = a < b && **c**;\n`y`\n```\nafter **bold**';
    expect(toTelegramHtml(text)).toBe(
      'before\n<pre>const x = a &lt; b &amp;&amp; **c**;\n`y`\n</pre>\nafter <b>bold</b>',
    );
  });

  it('handles several code blocks and leaves an unclosed fence as text', () => {
    expect(toTelegramHtml('```\none\n``` and ```\ntwo\n```')).toBe('<pre>one\n</pre> and <pre>two\n</pre>');
    expect(toTelegramHtml('```\nno end <here>')).toBe('```\nno end &lt;here&gt;');
  });

  it('never nests bold inside code (Telegram rejects entities inside code)', () => {
    expect(toTelegramHtml('`a **b** c`')).toBe('<code>a **b** c</code>');
    expect(toTelegramHtml('**x** and `**y**`')).toBe('<b>x</b> and <code>**y**</code>');
  });

  it('leaves unmatched markers alone', () => {
    expect(toTelegramHtml('2 ** 3 and a ` tick')).toBe('2 ** 3 and a ` tick');
    expect(toTelegramHtml('**across\nlines**')).toBe('**across\nlines**');
  });

  it('produces only balanced <b>, <code> and <pre> tags on arbitrary input', () => {
    const samples = [
      '**a `b` c**',
      '`x` **y** `z`',
      '****',
      '``` ``` **',
      '<<>>&&**`**`**',
      '**a** **b** `c` ```\nd\n```',
    ];
    for (const s of samples) {
      const html = toTelegramHtml(s);
      const tags = [...html.matchAll(/<\/?([a-z]+)>/g)];
      const stack: string[] = [];
      for (const [tag, name] of tags) {
        expect(['b', 'code', 'pre']).toContain(name);
        if (tag.startsWith('</')) expect(stack.pop(), `in ${JSON.stringify(html)}`).toBe(name);
        else {
          // code and pre never contain other tags
          expect(
            stack.some((t) => t === 'code' || t === 'pre'),
            `nested in code: ${html}`,
          ).toBe(false);
          stack.push(name as string);
        }
      }
      expect(stack).toEqual([]);
    }
  });
});
