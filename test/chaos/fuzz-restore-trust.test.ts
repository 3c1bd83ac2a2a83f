/**
 * Property-based fuzzing (fast-check) of restore's distrust of archives (audit finding 10). A real
 * backup gets random files planted with a consistent manifest (a token, the daemon's runtime
 * files, leftovers, ordinary workspace files, databases declared with either kind, garbage in a
 * database's place). Whatever was planted: a restored home has a token the archive did not hold and
 * none of the runtime files; a database path declared as kind "file" is refused; whatever verify
 * refuses, restore refuses too, and a refused restore leaves no home.
 * Runs per property are bounded (quick for CI; CHAOS_LONG=1 multiplies them); a failure prints
 * the shrunk counterexample and its seed (replay with CHAOS_SEED).
 */
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initHome } from '../../src/config/home.js';
import { createBackup } from '../../src/ops/backup.js';
import { RestoreError, restoreBackup, verifyBackup } from '../../src/ops/restore.js';
import { EventLog } from '../../src/sessions/event-log.js';
import { openDatabase } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { GLOBAL_MIGRATIONS } from '../../src/store/migrations/index.js';
import { fuzzParams } from '../helpers/chaos.js';
import { testConfig } from '../helpers/harness.js';

const params = fuzzParams;
const outcomes = { restored: 0, refused: 0 };
afterAll(() => console.log(`fuzz-restore-trust: restored=${outcomes.restored}, refused=${outcomes.refused}`));

const scratch = mkdtempSync(join(tmpdir(), 'af-fuzz-rt-'));
const savedTmp = process.env['TMPDIR'];
let backupDir: string;
let n = 0;

const RUNTIME = ['api.token', 'daemon.json', 'daemon.lock', 'daemon.sock'];

type Plant = { path: string; content: string; kind: 'file' | 'sqlite' };

const plant: fc.Arbitrary<Plant> = fc.record({
  path: fc.oneof(
    fc.constantFrom(
      ...RUNTIME,
      'config.toml.tmp',
      'agentforge.db-wal',
      'agentforge.db-shm',
      'sessions/s-1/events.db-wal',
    ),
    fc.constantFrom('agentforge.db', 'sessions/s-1/events.db', 'sessions/s-2/events.db'),
    fc.stringMatching(/^groups\/team\/[a-z]{1,8}(\.txt|\.db|\.tmp)?$/),
  ),
  content: fc.string({ maxLength: 200 }),
  kind: fc.constantFrom('file' as const, 'file' as const, 'sqlite' as const),
});

function plantAll(dir: string, plants: readonly Plant[]): void {
  const manifestFile = join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
    files: Array<Omit<Plant, 'content'> & { bytes: number; sha256: string }>;
  };
  for (const p of plants) {
    const body = Buffer.from(p.content);
    mkdirSync(dirname(join(dir, p.path)), { recursive: true });
    writeFileSync(join(dir, p.path), body);
    m.files = m.files.filter((f) => f.path !== p.path);
    m.files.push({
      path: p.path,
      kind: p.kind,
      bytes: body.length,
      sha256: createHash('sha256').update(body).digest('hex'),
    });
  }
  writeFileSync(manifestFile, JSON.stringify(m));
}

beforeAll(async () => {
  const tmp = join(scratch, 'tmp');
  mkdirSync(tmp);
  const { paths } = initHome(join(scratch, 'source'));
  writeFileSync(paths.config, testConfig(0), { mode: 0o600 });
  const db = openDatabase(paths.db);
  migrate(db, GLOBAL_MIGRATIONS, 'agentforge.db');
  db.close();
  mkdirSync(join(paths.sessions, 's-1'), { recursive: true });
  const log = new EventLog(join(paths.sessions, 's-1', 'events.db'));
  log.append('prompt', { text: 'hi' }, 1);
  log.close();
  mkdirSync(join(paths.groups, 'team'), { recursive: true });
  writeFileSync(join(paths.groups, 'team', 'AGENTS.md'), '# Memory\n');
  backupDir = (await createBackup(paths)).dir;
  expect((await verifyBackup(backupDir)).problems).toEqual([]);
  process.env['TMPDIR'] = tmp; // verify's trial homes, kept under our eyes
});
afterAll(() => {
  if (savedTmp === undefined) delete process.env['TMPDIR'];
  else process.env['TMPDIR'] = savedTmp;
  rmSync(scratch, { recursive: true, force: true });
});

describe('fuzz: restore does not trust the archive', () => {
  it('no planted token or runtime file survives; database kinds are enforced; restore refuses what verify refuses', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(plant, { minLength: 1, maxLength: 5 }), async (plants) => {
        const dir = join(scratch, `case-${++n}`);
        cpSync(backupDir, join(dir, 'backup'), { recursive: true });
        plantAll(join(dir, 'backup'), plants);
        const home = join(dir, 'home');
        const what = JSON.stringify(plants).slice(0, 400);
        const report = await verifyBackup(join(dir, 'backup'));
        let restored = false;
        try {
          restoreBackup(join(dir, 'backup'), home);
          restored = true;
          outcomes.restored++;
        } catch (err) {
          expect(err, `${what}: ${String(err)}`).toBeInstanceOf(RestoreError);
          outcomes.refused++;
          expect(existsSync(home) ? readdirSync(home) : [], what).toEqual([]);
        }
        if (!report.ok)
          expect(
            restored,
            `verify refused (${JSON.stringify(report.problems)}) but restore did not: ${what}`,
          ).toBe(false);
        // A path planted twice ends with its last plant in the manifest (plantAll replaces it).
        const final = [...new Map(plants.map((p) => [p.path, p])).values()];
        const dbDeclaredFile = final.some(
          (p) =>
            p.kind === 'file' && (p.path === 'agentforge.db' || /^sessions\/[^/]+\/events\.db$/.test(p.path)),
        );
        if (dbDeclaredFile) expect(restored, what).toBe(false);
        if (restored) {
          const token = readFileSync(join(home, 'api.token'), 'utf8').trim();
          for (const p of plants) if (p.path === 'api.token') expect(token, what).not.toBe(p.content.trim());
          expect(token.length, what).toBeGreaterThanOrEqual(32);
          for (const f of ['daemon.json', 'daemon.lock', 'daemon.sock', 'config.toml.tmp'])
            expect(existsSync(join(home, f)), `${what}: ${f}`).toBe(false);
          for (const p of plants.filter((x) => /-(wal|shm)$/.test(x.path) && x.content !== ''))
            if (existsSync(join(home, p.path)))
              expect(readFileSync(join(home, p.path), 'utf8'), what).not.toBe(p.content);
          expect(statSync(join(home, 'api.token')).mode & 0o777).toBe(0o600);
        }
        expect(readdirSync(join(scratch, 'tmp')), what).toEqual([]);
        rmSync(dir, { recursive: true, force: true });
      }),
      params(25),
    );
    // The property must have seen both sides, or it proved nothing about the restored homes.
    expect(outcomes.restored).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});
