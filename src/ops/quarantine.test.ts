import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { GLOBAL_MIGRATIONS } from '../store/migrations/index.js';
import { createQuarantine, MAX_QUARANTINE_BYTES } from './quarantine.js';
import { sweepRetention } from './retention.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'af-q-'));
  dirs.push(d);
  return d;
};

describe('quarantine', () => {
  it('keeps the rejected input with its source and reason, capped in size', () => {
    const dir = join(temp(), 'quarantine');
    const q = createQuarantine(dir);
    q('telegram', 'text must be a string', { text: 42 });
    q('agent-demo', 'huge', 'x'.repeat(MAX_QUARANTINE_BYTES * 2));
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    const first = JSON.parse(
      readFileSync(
        join(
          dir,
          files.find((f) => f.includes('telegram'))!,
        ),
        'utf8',
      ),
    );
    expect(first).toEqual({ source: 'telegram', reason: 'text must be a string', payload: { text: 42 } });
    const big = readFileSync(
      join(
        dir,
        files.find((f) => f.includes('agent-demo'))!,
      ),
      'utf8',
    );
    expect(big.length).toBeLessThan(MAX_QUARANTINE_BYTES + 1024);
    expect(big).toContain('truncated');
  });

  it('is pruned by the retention sweep together with per-turn logs, by age and count', () => {
    const home = temp();
    const db = openDatabase(join(home, 'agentforge.db'));
    migrate(db, GLOBAL_MIGRATIONS, 'test');
    const qdir = join(home, 'logs', 'quarantine');
    const q = createQuarantine(qdir);
    for (let i = 0; i < 6; i++) q('telegram', `bad ${i}`, i);
    const old = readdirSync(qdir)[0]!;
    const longAgo = (Date.now() - 40 * 86_400_000) / 1000;
    utimesSync(join(qdir, old), longAgo, longAgo);
    const report = sweepRetention({
      db,
      sessionsDir: join(home, 'sessions'),
      groupsDir: join(home, 'groups'),
      quarantineDir: qdir,
      policy: { messages_days: 90, events_days: 30, run_logs_days: 14, error_artifacts_max: 3 },
      log: pino({ level: 'silent' }),
    });
    db.close();
    const left = readdirSync(qdir);
    expect(left).not.toContain(old);
    expect(left).toHaveLength(3);
    expect(report.turnLogs).toBe(3);
  });
});
