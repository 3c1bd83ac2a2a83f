import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLogFile, pruneOldLogs, type LogFileOptions } from './log-files.js';

const DAY = 86_400_000;
const LINE = `${JSON.stringify({ level: 30, msg: 'x'.repeat(1000) })}\n`; // ~1 KB

describe('the daemon log file', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'af-logs-'));
    file = join(dir, 'agentforge.log');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const backups = (): string[] =>
    readdirSync(dir)
      .filter((f) => /^agentforge\.log\.\d+(\.gz)?$/.test(f))
      .sort();

  /** Writes `kb` ~1 KB lines, waiting for each, and counts rotations; closes the stream. */
  async function writeKb(opts: Omit<LogFileOptions, 'file'>, kb: number): Promise<number> {
    const stream = openLogFile({ file, ...opts });
    let rotations = 0;
    stream.on('rotated', () => rotations++);
    for (let i = 0; i < kb; i++) {
      await new Promise<void>((resolveP, reject) =>
        stream.write(LINE, (err) => (err ? reject(err) : resolveP())),
      );
    }
    const finished = once(stream, 'finish');
    stream.end();
    await finished;
    return rotations;
  }

  it('rotates once the file passes max_size_mb and keeps the current file under the limit', async () => {
    const rotations = await writeKb({ maxSizeMb: 0.02, maxBackups: 3, maxAgeDays: 30, compress: false }, 30);
    expect(rotations).toBeGreaterThanOrEqual(1);
    expect(backups()).toContain('agentforge.log.1');
    expect(statSync(file).size).toBeLessThanOrEqual(21 * 1024);
    expect(readFileSync(join(dir, 'agentforge.log.1'), 'utf8')).toContain('"level":30');
  });

  it('never keeps more than max_backups backups, however often it rotates', async () => {
    const rotations = await writeKb({ maxSizeMb: 0.02, maxBackups: 3, maxAgeDays: 30, compress: false }, 200);
    expect(rotations).toBeGreaterThanOrEqual(6);
    expect(backups()).toEqual(['agentforge.log.1', 'agentforge.log.2', 'agentforge.log.3']);
    for (const b of backups()) expect(statSync(join(dir, b)).mode & 0o077).toBe(0);
  });

  it('gzips the backups when compress is on', async () => {
    const rotations = await writeKb({ maxSizeMb: 0.02, maxBackups: 2, maxAgeDays: 30, compress: true }, 100);
    expect(rotations).toBeGreaterThanOrEqual(3);
    expect(backups()).toEqual(['agentforge.log.1.gz', 'agentforge.log.2.gz']);
    for (const b of backups()) {
      const bytes = readFileSync(join(dir, b));
      expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
      expect(gunzipSync(bytes).toString('utf8')).toContain('"level":30');
      expect(statSync(join(dir, b)).mode & 0o077).toBe(0);
    }
  });

  it('pruneOldLogs deletes only this log’s backups older than max_age_days', () => {
    const now = Date.now();
    const ages: Record<string, number> = {
      'agentforge.log': 90, // the live file: never pruned
      'agentforge.log.1': 1,
      'agentforge.log.2.gz': 40,
      'agentforge.log.3': 31,
      'agentforge.log.bak': 90, // not a rotation backup
      'other.log.1': 90, // another log's backup
    };
    for (const [name, days] of Object.entries(ages)) {
      const p = join(dir, name);
      writeFileSync(p, 'x');
      const t = (now - days * DAY) / 1000;
      utimesSync(p, t, t);
    }
    const removed = pruneOldLogs(dir, 'agentforge.log', 30, now);
    expect(removed.sort()).toEqual([join(dir, 'agentforge.log.2.gz'), join(dir, 'agentforge.log.3')]);
    expect(readdirSync(dir).sort()).toEqual(
      ['agentforge.log', 'agentforge.log.1', 'agentforge.log.bak', 'other.log.1'].sort(),
    );
    expect(pruneOldLogs(join(dir, 'missing'), 'agentforge.log', 30, now)).toEqual([]);
  });

  it('prunes expired backups when the log is opened', async () => {
    const old = join(dir, 'agentforge.log.4');
    writeFileSync(old, 'x');
    const t = (Date.now() - 10 * DAY) / 1000;
    utimesSync(old, t, t);
    await writeKb({ maxSizeMb: 1, maxBackups: 5, maxAgeDays: 7, compress: false }, 1);
    expect(readdirSync(dir)).toEqual(['agentforge.log']);
  });
});
