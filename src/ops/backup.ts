/**
 * Backups (SPEC §10): every SQLite database copied with SQLite's online backup API (safe while the
 * daemon writes), plus config.toml and groups/ (workspaces and memory), and a manifest with the
 * sha256 of every file. The API token is never included; restore makes a new one. A backup is
 * built in a hidden `.partial-…` folder and renamed into place, so a crash never leaves a
 * half-written backup that looks complete.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, sep } from 'node:path';
import * as z from 'zod';
import type { HomePaths } from '../config/paths.js';
import { openDatabase, toSingleFile } from '../store/db.js';
import { BUILD } from '../version.js';

export const MANIFEST = 'manifest.json';
export const BACKUP_PREFIX = 'agentforge-';

export const manifestSchema = z.strictObject({
  format: z.literal(1),
  version: z.string(),
  git_sha: z.string(),
  created_at: z.string(),
  files: z.array(
    z.strictObject({
      path: z
        .string()
        .min(1)
        .refine(
          (p) => !p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\\') && !p.includes('\0'),
          'unsafe path',
        ),
      bytes: z.number().int().nonnegative(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      kind: z.enum(['sqlite', 'file']),
    }),
  ),
});
export type Manifest = z.infer<typeof manifestSchema>;

export type BackupInfo = {
  readonly dir: string;
  readonly name: string;
  readonly createdAt: string;
  readonly files: number;
  readonly bytes: number;
};

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(p));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

const stamp = (d: Date): string =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');

/**
 * A backup holds every conversation and the config: 0700 folders and 0600 files whoever makes it.
 * The CLI runs under the operator's umask (often 022), and SQLite's backup and copyFile take their
 * modes from it or from the source file, so modes are set here rather than trusted.
 */
function makePrivate(dir: string): void {
  chmodSync(dir, 0o700);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) makePrivate(p);
    else if (entry.isFile()) chmodSync(p, 0o600);
  }
}

export async function createBackup(paths: HomePaths, now = new Date()): Promise<BackupInfo> {
  mkdirSync(paths.backups, { recursive: true, mode: 0o700 });
  let name = `${BACKUP_PREFIX}${stamp(now)}`;
  for (let i = 2; existsSync(join(paths.backups, name)); i++) name = `${BACKUP_PREFIX}${stamp(now)}-${i}`;
  const partial = join(paths.backups, `.partial-${name}`);
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true, mode: 0o700 });
  const files: Manifest['files'] = [];
  const add = (rel: string, kind: 'sqlite' | 'file'): void => {
    const p = join(partial, rel);
    files.push({ path: rel.split(sep).join('/'), bytes: statSync(p).size, sha256: sha256File(p), kind });
  };
  try {
    const databases = [paths.db, ...walk(paths.sessions).filter((f) => f.endsWith('events.db'))].filter((f) =>
      existsSync(f),
    );
    for (const db of databases) {
      const rel = relative(paths.home, db);
      mkdirSync(join(partial, rel, '..'), { recursive: true, mode: 0o700 });
      const src = openDatabase(db, { readonly: true, fileMustExist: true });
      try {
        await src.backup(join(partial, rel));
      } finally {
        src.close();
      }
      toSingleFile(join(partial, rel));
      add(rel, 'sqlite');
    }
    if (existsSync(paths.config)) {
      copyFileSync(paths.config, join(partial, 'config.toml'));
      add('config.toml', 'file');
    }
    for (const f of walk(paths.groups)) {
      const rel = relative(paths.home, f);
      mkdirSync(join(partial, rel, '..'), { recursive: true, mode: 0o700 });
      copyFileSync(f, join(partial, rel));
      add(rel, 'file');
    }
    const manifest: Manifest = {
      format: 1,
      version: BUILD.version,
      git_sha: BUILD.gitSha,
      created_at: now.toISOString(),
      files,
    };
    writeFileSync(join(partial, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    makePrivate(partial);
    renameSync(partial, join(paths.backups, name));
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    throw err;
  }
  return {
    dir: join(paths.backups, name),
    name,
    createdAt: now.toISOString(),
    files: files.length,
    bytes: files.reduce((n, f) => n + f.bytes, 0),
  };
}

export function readManifest(dir: string): Manifest {
  const raw = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as unknown;
  return manifestSchema.parse(raw);
}

/** Complete backups in the folder, newest first. */
export function listBackups(backupsDir: string): BackupInfo[] {
  if (!existsSync(backupsDir)) return [];
  const out: BackupInfo[] = [];
  for (const name of readdirSync(backupsDir)) {
    if (!name.startsWith(BACKUP_PREFIX)) continue;
    const dir = join(backupsDir, name);
    try {
      const m = readManifest(dir);
      out.push({
        dir,
        name,
        createdAt: m.created_at,
        files: m.files.length,
        bytes: m.files.reduce((n, f) => n + f.bytes, 0),
      });
    } catch {
      // not a readable backup: verify reports it; listing skips it
    }
  }
  return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** Keeps the newest `keep` backups; returns the removed folders. */
export function pruneBackups(backupsDir: string, keep: number): string[] {
  const removed: string[] = [];
  for (const b of listBackups(backupsDir).slice(keep)) {
    rmSync(b.dir, { recursive: true, force: true });
    removed.push(b.dir);
  }
  return removed;
}

export function lastBackupAt(backupsDir: string): number | null {
  const newest = listBackups(backupsDir)[0];
  return newest === undefined ? null : Date.parse(newest.createdAt);
}
