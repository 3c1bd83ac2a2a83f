import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogTap } from './log-tap.js';

const line = (msg: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    level: 30,
    time: '2026-01-01T00:00:00.000Z',
    pid: 1,
    version: 'v',
    sha: 's',
    msg,
    ...extra,
  });

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('LogTap', () => {
  it('numbers lines, keeps the newest, tells watchers, and drops pid/version/sha', () => {
    const tap = new LogTap(3);
    const seen: string[] = [];
    const unwatch = tap.watch((l) => seen.push(l.msg));
    for (const m of ['a', 'b', 'c', 'd']) tap.write(`${line(m, { component: 'x', group: 'g', n: 1 })}\n`);
    unwatch();
    tap.write(line('e'));
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
    expect(tap.read(0, 10).map((l) => [l.seq, l.msg])).toEqual([
      [3, 'c'],
      [4, 'd'],
      [5, 'e'],
    ]);
    expect(tap.read(4, 10).map((l) => l.msg)).toEqual(['e']);
    expect(tap.read(0, 1)[0]).toEqual({
      seq: 3,
      level: 30,
      time: '2026-01-01T00:00:00.000Z',
      msg: 'c',
      component: 'x',
      group: 'g',
      session: null,
      fields: { n: 1 },
    });
  });

  it('seeds from the end of an existing file, without notifying, and keeps raw lines as text', () => {
    dir = mkdtempSync(join(tmpdir(), 'af-tap-'));
    const file = join(dir, 'agentforge.log');
    writeFileSync(file, `${line('old')}\nnot json at all\n${line('newest')}\n`);
    const tap = new LogTap();
    let told = 0;
    tap.watch(() => told++);
    tap.seedFrom(file);
    tap.seedFrom(join(dir, 'missing.log'));
    expect(tap.read(0, 10).map((l) => l.msg)).toEqual(['old', 'not json at all', 'newest']);
    expect(told).toBe(0);
  });
});
