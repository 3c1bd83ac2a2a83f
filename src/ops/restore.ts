/**
 * Verifying and restoring backups. verify re-hashes every file against the manifest, runs SQLite's
 * integrity_check on every database, then restores into a temporary home and runs doctor there.
 * restore writes only into an empty (or absent) home, refuses what verify refuses, never restores
 * the API token or the daemon's runtime files, and makes a new API token.
 */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { ZodError } from 'zod';
import { initHome } from '../config/home.js';
import { loadConfig } from '../config/load.js';
import { ConfigError } from '../config/errors.js';
import { GROUP_FOLDER_RE, homePaths } from '../config/paths.js';
import { openDatabase } from '../store/db.js';
import { MANIFEST, readManifest, sha256File, type Manifest } from './backup.js';
import type { Finding } from '../contract.js';
import { configValid } from './doctor/checks-home.js';
import { dbIntegrity, dbSchema } from './doctor/checks-store.js';
import { runDoctor } from './doctor/run.js';

export type BackupProblem = { readonly file: string; readonly problem: string };
export type VerifyReport = {
  readonly ok: boolean;
  readonly dir: string;
  readonly files: number;
  readonly problems: readonly BackupProblem[];
};

export class RestoreError extends Error {
  override readonly name = 'RestoreError';
}

function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, base));
    else out.push(relative(base, p).split(sep).join('/'));
  }
  return out;
}

/** Hashes and integrity only (no trial restore). */
export function checkFiles(dir: string): { manifest: Manifest | undefined; problems: BackupProblem[] } {
  let manifest: Manifest;
  try {
    manifest = readManifest(dir);
  } catch (err) {
    // A ZodError's message is a JSON dump whose first line is "["; name each bad field instead.
    const why =
      err instanceof ZodError
        ? err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
        : (err as Error).message.split('\n')[0];
    return {
      manifest: undefined,
      problems: [{ file: MANIFEST, problem: `missing or invalid manifest: ${why}` }],
    };
  }
  const problems: BackupProblem[] = [];
  for (const f of manifest.files) {
    const p = join(dir, f.path);
    // lstat: a backup holds regular files only. A directory named in the manifest would make the
    // hash read throw; a symlink would pull content from outside the archive into the home.
    let st;
    try {
      st = lstatSync(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push({ file: f.path, problem: code === 'ENOENT' ? 'missing' : `cannot be read (${code})` });
      continue;
    }
    if (!st.isFile()) {
      problems.push({
        file: f.path,
        problem: st.isSymbolicLink() ? 'is a symbolic link' : 'not a regular file',
      });
      continue;
    }
    if (f.kind === 'file' && isDatabasePath(f.path)) {
      // The daemon opens this path as a database: it is checked as one whatever the manifest says
      // (a corrupt database declared as a plain file went through unchecked).
      problems.push({ file: f.path, problem: 'a database path declared as kind "file"; expected "sqlite"' });
      continue;
    }
    if (st.size !== f.bytes)
      problems.push({ file: f.path, problem: `size ${st.size} differs from manifest ${f.bytes}` });
    else if (sha256File(p) !== f.sha256)
      problems.push({ file: f.path, problem: 'sha256 does not match the manifest' });
    else if (f.kind === 'sqlite') {
      try {
        const db = openDatabase(p, { readonly: true, fileMustExist: true });
        try {
          const result = db.pragma('integrity_check', { simple: true });
          if (result !== 'ok') problems.push({ file: f.path, problem: `integrity_check: ${String(result)}` });
        } finally {
          db.close();
        }
      } catch (err) {
        problems.push({ file: f.path, problem: `not a readable database: ${(err as Error).message}` });
      }
    }
  }
  const listed = new Set([MANIFEST, ...manifest.files.map((f) => f.path)]);
  for (const extra of listFiles(dir))
    if (!listed.has(extra) && !extra.endsWith('-wal') && !extra.endsWith('-shm'))
      problems.push({ file: extra, problem: 'not in the manifest' });
  return { manifest, problems };
}

export async function verifyBackup(dir: string): Promise<VerifyReport> {
  const { manifest, problems } = checkFiles(dir);
  if (manifest !== undefined && problems.length === 0) {
    const home = mkdtempSync(join(tmpdir(), 'af-verify-'));
    try {
      try {
        restoreFiles(dir, manifest, home);
      } catch (err) {
        problems.push({ file: '(restored home)', problem: (err as Error).message });
        return { ok: false, dir, files: manifest.files.length, problems };
      }
      const paths = homePaths(home);
      let config;
      try {
        config = loadConfig(home);
      } catch (err) {
        config =
          err instanceof ConfigError
            ? err
            : new ConfigError([{ file: paths.config, line: undefined, path: '', message: String(err) }]);
      }
      const report = await runDoctor({
        paths,
        config,
        inDaemon: false,
        uid: process.getuid?.(),
        env: process.env,
      });
      for (const f of report.findings) {
        if (f.severity === 'error' && f.id !== 'disk.free')
          problems.push({ file: '(restored home)', problem: `doctor ${f.id}: ${f.message}` });
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }
  return { ok: problems.length === 0, dir, files: manifest?.files.length ?? 0, problems };
}

function restoreFiles(dir: string, manifest: Manifest, home: string): void {
  const root = resolve(home);
  for (const f of manifest.files) {
    const dest = resolve(root, f.path);
    if (!dest.startsWith(root + sep))
      throw new RestoreError(`manifest path ${f.path} escapes the home; refusing`);
    if (isSkippedOnRestore(f.path)) continue;
    mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
    copyFileSync(join(dir, f.path), dest);
    chmodSync(dest, 0o600);
  }
  rehomeSessions(homePaths(root));
  initHome(home); // the missing folders and a new API token
}

/** Where the daemon keeps SQLite databases: always checked as databases, whatever the manifest says. */
export function isDatabasePath(path: string): boolean {
  return path === 'agentforge.db' || /^sessions\/[^/]+\/events\.db$/.test(path);
}

/** Runtime files of the daemon that took the backup; a restored home must not start with them. */
const RUNTIME_FILES = new Set(['api.token', 'daemon.json', 'daemon.lock', 'daemon.sock']);

/**
 * Never restored, even when an archive lists them: the API token (restore makes a new one, so an
 * archive cannot plant a token its author knows), the daemon's runtime files (a pid, a lock, a
 * socket of another machine's daemon) and leftovers (*.tmp, SQLite's -wal/-shm beside a copy that
 * is meant to be one self-contained file).
 */
export function isSkippedOnRestore(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return (
    RUNTIME_FILES.has(path) ||
    name.endsWith('.tmp') ||
    name.endsWith('-wal') ||
    name.endsWith('-shm') ||
    name.endsWith('-journal')
  );
}

/**
 * The doctor's checks of a restored home that need no running daemon: config valid, database
 * readable and of a schema this build knows. Restore refuses on the same findings verify reports.
 */
function restoredHomeProblems(home: string): string[] {
  const paths = homePaths(home);
  let config;
  try {
    config = loadConfig(home);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    config = err;
  }
  const ctx = { paths, config, inDaemon: false, uid: process.getuid?.(), env: process.env };
  const out: string[] = [];
  for (const check of [configValid, dbIntegrity, dbSchema]) {
    const f = check.run(ctx) as Finding;
    if (f.severity === 'error') out.push(`doctor ${f.id}: ${f.message}`);
  }
  return out;
}

/**
 * The sessions index records absolute paths and live processes of the home it was taken from.
 * In the restored home each session works in the restored workspace, and no process is recorded:
 * otherwise boot-time orphan recovery would kill the agents of the original, still-running home
 * (same pid and start time), and agents would read and write the original home's workspace.
 */
function rehomeSessions(paths: ReturnType<typeof homePaths>): void {
  if (!existsSync(paths.db)) return;
  const db = openDatabase(paths.db);
  try {
    const hasSessions = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sessions'")
      .get();
    if (hasSessions === undefined) return;
    const rows = db.prepare('SELECT id, group_folder FROM sessions').all() as Array<{
      id: string;
      group_folder: string;
    }>;
    const update = db.prepare(
      'UPDATE sessions SET workspace = ?, pid = NULL, pgid = NULL, proc_start_time = NULL WHERE id = ?',
    );
    db.transaction(() => {
      for (const r of rows) {
        if (!GROUP_FOLDER_RE.test(r.group_folder))
          throw new RestoreError(
            `session ${r.id} has an invalid group folder ${JSON.stringify(r.group_folder)}`,
          );
        update.run(join(paths.groups, r.group_folder), r.id);
      }
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

/** Restores into `home`, which must not exist or be empty. Verifies the files first. */
export function restoreBackup(dir: string, home: string): { files: number } {
  if (existsSync(home) && readdirSync(home).length > 0) {
    throw new RestoreError(
      `${home} is not empty; restore writes only into an empty or new home (set AGENTFORGE_HOME to a new folder)`,
    );
  }
  const { manifest, problems } = checkFiles(dir);
  if (manifest === undefined || problems.length > 0) {
    throw new RestoreError(
      `backup ${dir} failed verification: ${problems.map((p) => `${p.file}: ${p.problem}`).join('; ')}`,
    );
  }
  const created = !existsSync(home);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  chmodSync(home, 0o700);
  try {
    restoreFiles(dir, manifest, home);
    const refused = restoredHomeProblems(home);
    if (refused.length > 0)
      throw new RestoreError(`backup ${dir} failed verification: ${refused.join('; ')}`);
  } catch (err) {
    // The home was empty or absent: leave it as it was.
    if (created) rmSync(home, { recursive: true, force: true });
    else for (const e of readdirSync(home)) rmSync(join(home, e), { recursive: true, force: true });
    throw err;
  }
  return { files: manifest.files.length };
}
