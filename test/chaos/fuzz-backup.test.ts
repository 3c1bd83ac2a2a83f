/**
 * Property-based fuzzing (fast-check) of backup archives: a real backup (createBackup over a real
 * home), randomly damaged (flipped and truncated bytes, deleted and added files, evil paths,
 * forged manifests, symlinks), then verified and restored. Verify names a file for each problem,
 * restore succeeds or refuses with a RestoreError and no partial home, and nothing is written
 * outside the target home.
 * Runs per property are bounded (quick for CI; CHAOS_LONG=1 multiplies them); a failure prints
 * the shrunk counterexample and its seed (replay with CHAOS_SEED).
 */
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initHome } from '../../src/config/home.js';
import { createBackup } from '../../src/ops/backup.js';
import { RestoreError, restoreBackup, verifyBackup } from '../../src/ops/restore.js';
import { EventLog } from '../../src/sessions/event-log.js';
import { openDatabase } from '../../src/store/db.js';
import { GroupsRepo } from '../../src/store/groups-repo.js';
import { migrate } from '../../src/store/migrate.js';
import { GLOBAL_MIGRATIONS } from '../../src/store/migrations/index.js';
import { SessionsRepo } from '../../src/store/sessions-repo.js';
import { testConfig } from '../helpers/harness.js';
import { anyJson, fuzzParams, runCounter } from '../helpers/chaos.js';

const params = fuzzParams;
const count = runCounter('fuzz-backup');
const scratch = mkdtempSync(join(tmpdir(), 'af-fuzz-backup-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Every path under dir (files, dirs, links) with a content hash for files: a tree fingerprint. */
function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      const rel = relative(dir, p);
      if (st.isDirectory()) {
        out.set(rel, 'dir');
        walk(p);
      } else if (st.isSymbolicLink()) out.set(rel, 'link');
      else out.set(rel, createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

type Mutation =
  | { op: 'flip'; file: number; at: number }
  | { op: 'truncate'; file: number; to: number }
  | { op: 'delete'; file: number }
  | { op: 'add'; path: string; content: string }
  | { op: 'field'; entry: number; field: 'path' | 'bytes' | 'sha256' | 'kind'; value: unknown }
  | { op: 'top'; field: string; value: unknown }
  | { op: 'entries'; value: unknown }
  | { op: 'manifest'; text: string }
  | { op: 'consistent'; file: number; content: string }
  | { op: 'symlink'; file: number; target: 'outside' | 'dir' | 'passwd' }
  | { op: 'dir-entry' };

const EVIL_PATHS = [
  '../x',
  '../../outside/pwned',
  '/etc/passwd',
  '/tmp/pwned',
  'groups/../../x',
  './config.toml',
  '.',
  '',
  'groups//team/AGENTS.md',
  'a\\b',
  'nul\u0000',
  'x'.repeat(5_000),
  `${'d/'.repeat(200)}f`,
  'groups',
  'sessions',
  'manifest.json',
  'agentforge.db',
  'config.toml',
  'api.token',
  'daemon.sock',
];

describe('fuzz: backup archives', () => {
  const root = join(scratch, 'backup');
  const source = join(root, 'source');
  const outside = join(root, 'outside');
  let backupDir: string;
  let files: string[];
  const savedTmp = process.env['TMPDIR'];
  const tmp = join(root, 'tmp');

  beforeAll(async () => {
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'secret'), 'outside the home\n');
    mkdirSync(tmp, { recursive: true });
    const { paths } = initHome(source);
    writeFileSync(paths.config, testConfig(0), { mode: 0o600 });
    const db = openDatabase(paths.db);
    migrate(db, GLOBAL_MIGRATIONS, 'agentforge.db');
    new GroupsRepo(db).add({ folder: 'team', channel: 'telegram', chatId: '-200' }, Date.now());
    new SessionsRepo(db).create({
      id: 's-000000000001',
      agent: 'demo',
      groupFolder: 'team',
      workspace: join(paths.groups, 'team'),
      now: Date.now(),
    });
    db.close();
    mkdirSync(join(paths.sessions, 's-000000000001'), { recursive: true });
    const log = new EventLog(join(paths.sessions, 's-000000000001', 'events.db'));
    log.append('prompt', { text: 'echo hi' }, 1);
    log.flush();
    log.close();
    mkdirSync(join(paths.groups, 'team'), { recursive: true });
    writeFileSync(join(paths.groups, 'team', 'AGENTS.md'), '# Memory\n');
    writeFileSync(join(paths.groups, 'team', 'notes.txt'), 'hello\n');
    backupDir = (await createBackup(paths)).dir;
    files = (
      JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8')) as { files: Array<{ path: string }> }
    ).files.map((f) => f.path);
    expect(files.length).toBeGreaterThanOrEqual(4);
    // The pristine backup verifies: the property's "no change, no problem" side holds.
    expect((await verifyBackup(backupDir)).problems).toEqual([]);
    // verifyBackup restores into a temporary home: keep those under our eyes.
    process.env['TMPDIR'] = tmp;
  });
  afterAll(() => {
    if (savedTmp === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = savedTmp;
  });

  const mutation = (): fc.Arbitrary<Mutation> => {
    const file = fc.nat(files.length);
    const evil = fc.oneof(fc.constantFrom(...EVIL_PATHS), fc.string({ maxLength: 30 }));
    const junk = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      anyJson,
      evil,
    );
    return fc.oneof(
      fc.record({ op: fc.constant('flip' as const), file, at: fc.nat() }),
      fc.record({ op: fc.constant('truncate' as const), file, to: fc.nat() }),
      fc.record({ op: fc.constant('delete' as const), file }),
      fc.record({ op: fc.constant('add' as const), path: evil, content: fc.string({ maxLength: 50 }) }),
      fc.record({
        op: fc.constant('field' as const),
        entry: fc.nat(files.length),
        field: fc.constantFrom('path' as const, 'bytes' as const, 'sha256' as const, 'kind' as const),
        value: junk,
      }),
      fc.record({
        op: fc.constant('top' as const),
        field: fc.constantFrom('format', 'version', 'created_at', 'files', 'extra'),
        value: junk,
      }),
      fc.record({
        op: fc.constant('entries' as const),
        value: fc.array(
          fc.record({
            path: evil,
            bytes: fc.nat(),
            sha256: fc.constant('0'.repeat(64)),
            kind: fc.constantFrom('file', 'sqlite'),
          }),
          { maxLength: 3 },
        ),
      }),
      fc.record({
        op: fc.constant('manifest' as const),
        text: fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', '{', 'null', '[]', '{"format":1}')),
      }),
      fc.record({
        op: fc.constant('consistent' as const),
        file,
        content: fc.oneof(
          fc.string({ maxLength: 100 }),
          fc.constantFrom('SQLite format 3\u0000garbage', '[daemon]\nbogus = 1\n', ''),
        ),
      }),
      fc.record({
        op: fc.constant('symlink' as const),
        file,
        target: fc.constantFrom('outside' as const, 'dir' as const, 'passwd' as const),
      }),
      fc.constant({ op: 'dir-entry' as const }),
    );
  };

  /** Applies the mutations to a copy of the backup; returns that copy. */
  function damaged(mutations: readonly Mutation[], n: number): string {
    const dir = join(root, `case-${n}`, 'backup');
    rmSync(join(root, `case-${n}`), { recursive: true, force: true });
    cpSync(backupDir, dir, { recursive: true });
    const manifestPath = join(dir, 'manifest.json');
    const readM = (): Record<string, unknown> | undefined => {
      try {
        const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as unknown;
        return m !== null && typeof m === 'object' && !Array.isArray(m)
          ? (m as Record<string, unknown>)
          : undefined;
      } catch {
        return undefined;
      }
    };
    const writeM = (m: unknown): void => writeFileSync(manifestPath, JSON.stringify(m, null, 2));
    const entries = (m: Record<string, unknown>): unknown[] | undefined =>
      Array.isArray(m['files']) ? (m['files'] as unknown[]) : undefined;
    // An earlier mutation may have put null or a number where an entry was: only objects can be edited.
    const isEntry = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object';
    const entry = (
      m: Record<string, unknown> | undefined,
      i: number,
    ): Record<string, unknown> | undefined => {
      const e = m && entries(m)?.[i % Math.max(1, files.length)];
      return isEntry(e) ? e : undefined;
    };
    const target = (i: number): string => join(dir, i < files.length ? files[i]! : 'manifest.json');
    for (const mu of mutations) {
      try {
        switch (mu.op) {
          case 'flip': {
            const p = target(mu.file);
            const buf = readFileSync(p);
            if (buf.length === 0) break;
            const at = mu.at % buf.length;
            buf[at] = (buf[at] ?? 0) ^ 0xff;
            writeFileSync(p, buf);
            break;
          }
          case 'truncate': {
            const p = target(mu.file);
            const buf = readFileSync(p);
            writeFileSync(p, buf.subarray(0, mu.to % (buf.length + 1)));
            break;
          }
          case 'delete':
            rmSync(target(mu.file), { force: true });
            break;
          case 'add': {
            const p = join(dir, mu.path);
            if (!p.startsWith(dir + '/')) break; // we damage the archive, not the machine
            mkdirSync(join(p, '..'), { recursive: true });
            writeFileSync(p, mu.content);
            break;
          }
          case 'field': {
            const m = readM();
            const e = entry(m, mu.entry);
            if (m === undefined || e === undefined) break;
            e[mu.field] = mu.value;
            writeM(m);
            break;
          }
          case 'top': {
            const m = readM();
            if (m === undefined) break;
            m[mu.field] = mu.value;
            writeM(m);
            break;
          }
          case 'entries': {
            const m = readM();
            const list = m && entries(m);
            if (m === undefined || list === undefined) break;
            list.push(...(mu.value as Array<Record<string, unknown>>));
            writeM(m);
            break;
          }
          case 'manifest':
            writeFileSync(manifestPath, mu.text);
            break;
          case 'consistent': {
            // A changed file whose manifest entry is updated to match: hashes alone cannot tell.
            const m = readM();
            const e = entry(m, mu.file);
            if (m === undefined || e === undefined || typeof e['path'] !== 'string') break;
            const p = join(dir, e['path']);
            if (!p.startsWith(dir + '/')) break;
            writeFileSync(p, mu.content);
            e['bytes'] = Buffer.byteLength(mu.content);
            e['sha256'] = createHash('sha256').update(mu.content).digest('hex');
            writeM(m);
            break;
          }
          case 'symlink': {
            const p = target(mu.file);
            const to =
              mu.target === 'outside'
                ? join(outside, 'secret')
                : mu.target === 'dir'
                  ? outside
                  : '/etc/passwd';
            rmSync(p, { force: true, recursive: true });
            symlinkSync(to, p);
            // …with a manifest entry that matches what the link points at.
            const m = readM();
            const e =
              m &&
              entries(m)?.find(
                (x): x is Record<string, unknown> => isEntry(x) && join(dir, String(x['path'])) === p,
              );
            if (m !== undefined && e !== undefined && mu.target !== 'dir') {
              const content = readFileSync(to);
              e['bytes'] = content.length;
              e['sha256'] = createHash('sha256').update(content).digest('hex');
              writeM(m);
            }
            break;
          }
          case 'dir-entry': {
            // A manifest entry naming a directory, with its size as bytes.
            const m = readM();
            const list = m && entries(m);
            if (m === undefined || list === undefined) break;
            mkdirSync(join(dir, 'groups', 'sub'), { recursive: true });
            list.push({
              path: 'groups/sub',
              bytes: statSync(join(dir, 'groups', 'sub')).size,
              sha256: '0'.repeat(64),
              kind: 'file',
            });
            writeM(m);
            break;
          }
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === undefined) throw err;
        // an operation that could not apply (ENOENT after a delete, a link in the way …)
      }
    }
    return dir;
  }

  it('verify and restore never throw an unexpected error, name a file for each problem, and write only inside the target home', async () => {
    const pristine = tree(backupDir);
    let n = 0;
    const outcomes = { verifiedOk: 0, problems: 0, restored: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(mutation(), { minLength: 1, maxLength: 4 }), async (mutations) => {
        count('backup');
        const dir = damaged(mutations, ++n);
        const caseRoot = join(dir, '..');
        const home = join(caseRoot, 'home');
        const changed = JSON.stringify([...tree(dir)]) !== JSON.stringify([...pristine]);
        const outsideBefore = tree(outside);
        const archiveBefore = tree(dir);
        const what = JSON.stringify(mutations).slice(0, 400);

        const report = await verifyBackup(dir);
        for (const p of report.problems) {
          expect(typeof p.file, what).toBe('string');
          expect(p.file.trim(), what).not.toBe('');
          expect(p.problem.trim(), what).not.toBe('');
        }
        expect(report.ok, what).toBe(report.problems.length === 0);
        if (!changed) expect(report.problems, what).toEqual([]);
        if (report.ok) outcomes.verifiedOk++;
        else outcomes.problems++;

        try {
          restoreBackup(dir, home);
          outcomes.restored++;
          expect(existsSync(join(home, 'api.token')), what).toBe(true);
        } catch (err) {
          expect(err, `${what}: ${String(err)}`).toBeInstanceOf(RestoreError);
          expect((err as Error).message, what).toMatch(/\S/);
          outcomes.refused++;
          // A refused restore leaves no partial home behind.
          expect(existsSync(home) ? readdirSync(home) : [], what).toEqual([]);
        }
        // Nothing was written outside the target home: not the archive, not next to it, not
        // elsewhere, and no temporary home was left behind.
        expect(tree(dir), what).toEqual(archiveBefore);
        expect(tree(outside), what).toEqual(outsideBefore);
        expect(readdirSync(caseRoot).sort(), what).toEqual(
          existsSync(home) ? ['backup', 'home'] : ['backup'],
        );
        expect(readdirSync(tmp), what).toEqual([]);
        expect(existsSync(join(root, 'pwned')) || existsSync('/tmp/pwned'), what).toBe(false);
        rmSync(caseRoot, { recursive: true, force: true });
      }),
      params(200),
    );
    console.log(`fuzz-backup: ${JSON.stringify(outcomes)}`);
    expect(outcomes.problems).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
    // The original archive was only ever read.
    expect(tree(backupDir)).toEqual(pristine);
  });
});
