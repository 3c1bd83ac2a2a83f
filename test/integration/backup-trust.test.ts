/**
 * Security audit, findings 9 and 10. Backups made by the CLI under umask 022 were 0644; restore
 * trusted the archive: a planted api.token was kept (the docs promise a new one), daemon.json was
 * restored, and a corrupt database declared as kind "file" in the manifest was restored although
 * verify failed it. Now backups are 0600/0700 whoever makes them, restore never restores the token
 * or the daemon's runtime files, and it refuses what verify refuses.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, makeHome, startDaemon, testConfig, type TestHome } from '../helpers/harness.js';
import { apiToken, newSession, reply } from '../helpers/sessions.js';

type Entry = { path: string; bytes: number; sha256: string; kind: 'sqlite' | 'file' };
type Manifest = { files: Entry[] };

const manifestOf = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;

/** Writes `content` at `path` in the archive and makes the manifest agree (a consistent archive). */
function plant(dir: string, path: string, content: Buffer | string, kind: Entry['kind'] = 'file'): void {
  const body = Buffer.from(content);
  writeFileSync(join(dir, path), body);
  const m = manifestOf(dir);
  const entry = {
    path,
    bytes: body.length,
    sha256: createHash('sha256').update(body).digest('hex'),
    kind,
  };
  m.files = [...m.files.filter((f) => f.path !== path), entry];
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m, null, 2));
}

/** Every file and folder under dir with its permission bits. */
function modes(dir: string, base = dir): Array<{ path: string; mode: string }> {
  const out = [{ path: dir.slice(base.length) || '.', mode: (statSync(dir).mode & 0o777).toString(8) }];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...modes(p, base));
    else out.push({ path: p.slice(base.length), mode: (statSync(p).mode & 0o777).toString(8) });
  }
  return out;
}

/** The real CLI under a given umask, as an operator's shell runs it. */
function runWithUmask(
  h: TestHome,
  umask: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      '/bin/sh',
      ['-c', `umask ${umask} && exec "$0" "$@"`, process.execPath, BIN, ...args],
      { env: h.env },
      (err, stdout, stderr) =>
        done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }),
    );
  });
}

describe('backups are private and restore does not trust the archive', () => {
  let h: TestHome;
  let backupDir: string;
  const scratch = mkdtempSync(join(tmpdir(), 'af-bt-'));
  let n = 0;
  const copy = (): string => {
    const dir = join(scratch, `copy-${++n}`);
    cpSync(backupDir, dir, { recursive: true });
    return dir;
  };
  const target = (): string => join(scratch, `home-${++n}`);

  beforeAll(async () => {
    h = makeHome();
    h.writeConfig(testConfig(0));
    await startDaemon(h);
    const id = await newSession(h);
    expect(await reply(h, id, 'echo kept')).toBe('kept');
    writeFileSync(join(h.home, 'groups', 'cli', 'notes.txt'), 'notes\n', { mode: 0o644 });
    const r = await runWithUmask(h, '022', ['backup', 'create', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    backupDir = (JSON.parse(r.stdout) as { dir: string }).dir;
  });
  afterAll(async () => {
    await h.run(['daemon', 'stop']);
    await h.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('a backup made under umask 022 is 0700 folders and 0600 files', () => {
    const all = modes(backupDir);
    expect(all.length).toBeGreaterThan(5);
    const dirs = all.filter((e) => statSync(join(backupDir, e.path)).isDirectory());
    const files = all.filter((e) => !statSync(join(backupDir, e.path)).isDirectory());
    expect(dirs.filter((e) => e.mode !== '700')).toEqual([]);
    expect(files.filter((e) => e.mode !== '600')).toEqual([]);
    expect(files.map((e) => e.path)).toEqual(
      expect.arrayContaining(['/agentforge.db', '/groups/cli/notes.txt']),
    );
  });

  it('a planted api.token is not restored: the restored home gets a new token', async () => {
    const dir = copy();
    plant(dir, 'api.token', 'attacker-knows-this-token\n');
    const home = target();
    const r = await h.run(['backup', 'restore', dir, '--to', home]);
    expect(r.code, r.stderr).toBe(0);
    const token = readFileSync(join(home, 'api.token'), 'utf8').trim();
    expect(token).not.toBe('attacker-knows-this-token');
    expect(token).not.toBe(apiToken(h));
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(statSync(join(home, 'api.token')).mode & 0o777).toBe(0o600);
  });

  it('the daemon runtime files and leftovers in an archive are not restored', async () => {
    const dir = copy();
    plant(dir, 'daemon.json', JSON.stringify({ pid: 1, socket: '/tmp/elsewhere.sock' }));
    plant(dir, 'daemon.lock', '1 12345\n');
    plant(dir, 'config.toml.tmp', 'half a config');
    plant(dir, 'agentforge.db-wal', 'not a wal');
    const home = target();
    const r = await h.run(['backup', 'restore', dir, '--to', home]);
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['daemon.json', 'daemon.lock', 'config.toml.tmp'])
      expect({ f, exists: existsSync(join(home, f)) }).toEqual({ f, exists: false });
    // SQLite may leave an empty -wal of its own after the checks; the archive's one is not restored.
    const wal = join(home, 'agentforge.db-wal');
    expect(existsSync(wal) ? readFileSync(wal, 'utf8') : '').not.toContain('not a wal');
    expect(existsSync(join(home, 'agentforge.db'))).toBe(true);
    expect((await makeHome({ env: { AGENTFORGE_HOME: home } }).run(['daemon', 'check'])).code).toBe(0);
  });

  it('a corrupt database declared as kind "file" fails verify and restore refuses it', async () => {
    const dir = copy();
    const db = readFileSync(join(dir, 'agentforge.db'));
    db.fill(0xa5, 100, Math.min(db.length, 4096)); // page 1's b-tree: the schema is unreadable
    plant(dir, 'agentforge.db', db, 'file');
    const v = await h.run(['backup', 'verify', dir]);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain('agentforge.db');
    const home = target();
    const r = await h.run(['backup', 'restore', dir, '--to', home]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('agentforge.db');
    expect(existsSync(home)).toBe(false);
  });

  it('a config.toml that verify fails (doctor config.valid) is refused by restore too', async () => {
    const dir = copy();
    plant(dir, 'config.toml', '[http]\nport = 0\nbogus = 1\n');
    const v = await h.run(['backup', 'verify', dir]);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain('config.valid');
    const home = target();
    const r = await h.run(['backup', 'restore', dir, '--to', home]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/config\.valid.*http\.bogus/);
    expect(existsSync(home)).toBe(false);
  });
});
