/**
 * Verifying and restoring backups. verify re-hashes every file against the manifest, runs SQLite's
 * integrity_check on every database, then restores into a temporary home and runs doctor there.
 * restore writes only into an empty (or absent) home and makes a new API token.
 */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { initHome } from '../config/home.js';
import { loadConfig } from '../config/load.js';
import { ConfigError } from '../config/errors.js';
import { homePaths } from '../config/paths.js';
import { openDatabase } from '../store/db.js';
import { MANIFEST, readManifest, sha256File, type Manifest } from './backup.js';
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
    return {
      manifest: undefined,
      problems: [
        { file: MANIFEST, problem: `missing or invalid manifest: ${(err as Error).message.split('\n')[0]}` },
      ],
    };
  }
  const problems: BackupProblem[] = [];
  for (const f of manifest.files) {
    const p = join(dir, f.path);
    if (!existsSync(p)) {
      problems.push({ file: f.path, problem: 'missing' });
      continue;
    }
    if (statSync(p).size !== f.bytes)
      problems.push({ file: f.path, problem: `size ${statSync(p).size} differs from manifest ${f.bytes}` });
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
      restoreFiles(dir, manifest, home);
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
    mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
    copyFileSync(join(dir, f.path), dest);
    chmodSync(dest, 0o600);
  }
  initHome(home); // the missing folders and a new API token
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
  mkdirSync(home, { recursive: true, mode: 0o700 });
  chmodSync(home, 0o700);
  restoreFiles(dir, manifest, home);
  return { files: manifest.files.length };
}
