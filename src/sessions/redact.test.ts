import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SessionError } from './errors.js';
import { EventLog } from './event-log.js';
import { Redactor } from './redact.js';

const KEY = 'sk-live-0123456789abcdef';

describe('Redactor', () => {
  it('replaces every credential value, the longest first, and nothing when it has none', () => {
    const r = new Redactor();
    expect(r.text(`key ${KEY}`)).toBe(`key ${KEY}`);
    r.set([KEY, 'sk-live', '']);
    expect(r.text(`a ${KEY} b ${KEY} c sk-live d`)).toBe('a [redacted] b [redacted] c [redacted] d');
    r.set([]);
    expect(r.text(KEY)).toBe(KEY);
  });

  it('scrubs strings anywhere in a value, and returns the same object when nothing matched', () => {
    const r = new Redactor();
    r.set([KEY]);
    const clean = { a: ['x', { b: 'y' }], n: 1 };
    expect(r.deep(clean)).toBe(clean);
    expect(r.deep({ a: [`k=${KEY}`, { [KEY]: KEY }], n: 1, z: null })).toEqual({
      a: ['k=[redacted]', { '[redacted]': '[redacted]' }],
      n: 1,
      z: null,
    });
  });

  it('scrubs a value split over stream chunks, holding back only a possible prefix', () => {
    const r = new Redactor();
    r.set([KEY]);
    const scrub = r.stream();
    const out = [scrub('error: key='), scrub(KEY.slice(0, 7)), scrub(`${KEY.slice(7)} rejected\n`)].join('');
    expect(out).toBe('error: key=[redacted] rejected\n');
    // Every split point of the key, including one character at a time.
    for (let cut = 1; cut < KEY.length; cut++) {
      const s = r.stream();
      expect(s(`a${KEY.slice(0, cut)}`) + s(`${KEY.slice(cut)}b\n`)).toBe('a[redacted]b\n');
    }
    const one = r.stream();
    expect([...`x${KEY}y`].map((c) => one(c)).join('')).toBe('x[redacted]y');
    // A fragment held back at the end is never emitted.
    const s = r.stream();
    expect(s(`tail ${KEY.slice(0, 10)}`)).toBe('tail ');
  });

  it('rewrites a failure message that quotes the value, keeping its kind', () => {
    const r = new Redactor();
    r.set([KEY]);
    const e = new SessionError('protocol', `agent answered with an error: bad key ${KEY}`);
    expect(r.error(e)).toMatchObject({
      kind: 'protocol',
      message: 'agent answered with an error: bad key [redacted]',
    });
    const plain = new SessionError('timeout', 'slow');
    expect(r.error(plain)).toBe(plain);
  });
});

describe('an EventLog with a redactor', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stores no credential value in events.db', () => {
    dir = mkdtempSync(join(tmpdir(), 'af-redact-'));
    const r = new Redactor();
    r.set([KEY]);
    const file = join(dir, 'events.db');
    const log = new EventLog(file, undefined, { redact: (d) => r.deep(d) });
    log.append('update', { content: { text: `here: ${KEY}` } }, 1);
    log.flush();
    expect(log.read()[0]?.data).toEqual({ content: { text: 'here: [redacted]' } });
    log.close();
    expect(readFileSync(file).includes(KEY)).toBe(false);
  });
});
