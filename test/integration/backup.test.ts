/**
 * SPEC §10 backups, end to end through the real CLI and daemon: `backup create` snapshots every
 * database (online backup API), config.toml and groups/ with a sha256 manifest; `verify` re-hashes,
 * integrity-checks and trial-restores; `restore` writes only into an empty home, makes a new API
 * token, and the restored home runs as its own daemon with the same sessions, tasks and events.
 * Bad archives (a changed byte, a manifest path that escapes) are refused and change nothing.
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
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, makeHome, startDaemon, testConfig, waitFor, type TestHome } from '../helpers/harness.js';
import { apiReply, apiToken, chunkText, events, newSession, reply, show } from '../helpers/sessions.js';

const KEEP = 3;
const CONFIG = testConfig(
  0,
  `\n[limits]\nturn_timeout = "20s"\nagent_memory_mb = 200\n\n[backup]\nkeep = ${KEEP}\n`,
);

type Manifest = {
  format: number;
  files: Array<{ path: string; bytes: number; sha256: string; kind: 'sqlite' | 'file' }>;
};
type CreateOut = { dir: string; name: string; files: number; bytes: number; pruned: string[] };
type VerifyOut = { ok: boolean; files: number; problems: Array<{ file: string; problem: string }> };
type SessionRow = { id: string; group_folder: string; workspace: string; turns: number; pid: number | null };
type TaskRow = { id: string; prompt: string; schedule_type: string; schedule_value: string };

const manifestOf = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;

/** Flips one byte in the middle of a file (size unchanged, so only the hash can tell). */
function flipByte(file: string): void {
  const buf = readFileSync(file);
  const at = Math.floor(buf.length / 2);
  buf[at] = (buf[at] ?? 0) ^ 0xff;
  writeFileSync(file, buf);
}

describe('backup create / verify / restore', () => {
  let h: TestHome;
  const extraHomes: TestHome[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'af-bk-'));
  let sessionA: string;
  let sessionB: string;
  let taskId: string;
  let backup: CreateOut;

  async function createBackup(home: TestHome = h): Promise<CreateOut> {
    const r = await home.run(['backup', 'create', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as CreateOut;
  }

  beforeAll(async () => {
    h = makeHome();
    h.writeConfig(CONFIG);
    await startDaemon(h);
    sessionA = await newSession(h);
    sessionB = await newSession(h);
    expect(await reply(h, sessionA, 'echo alpha-one')).toBe('alpha-one');
    expect(await reply(h, sessionA, 'echo alpha-two')).toBe('alpha-two');
    expect(await reply(h, sessionB, 'echo bravo')).toBe('bravo');
    const t = await h.run(['task', 'add', '--every', '1h', '-o', 'json', '--', 'echo', 'from-task']);
    expect(t.code, t.stderr).toBe(0);
    taskId = (JSON.parse(t.stdout) as { id: string }).id;
    // A workspace file: groups/ (workspaces and memory) is part of the backup.
    writeFileSync(join(h.home, 'groups', 'cli', 'notes.txt'), 'workspace notes\n');
    backup = await createBackup();
  });

  afterAll(async () => {
    for (const x of extraHomes) {
      await x.run(['daemon', 'stop']);
      await x.cleanup();
    }
    await h.run(['daemon', 'stop']);
    await h.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('writes a complete backup with a sha256 manifest and no API token; verify says OK', async () => {
    expect(backup.dir).toBe(join(h.home, 'backups', backup.name));
    const m = manifestOf(backup.dir);
    const paths = m.files.map((f) => f.path).sort();
    expect(paths).toEqual(
      [
        'agentforge.db',
        'config.toml',
        'groups/cli/AGENTS.md',
        'groups/cli/notes.txt',
        `sessions/${sessionA}/events.db`,
        `sessions/${sessionB}/events.db`,
      ].sort(),
    );
    expect(m.files.filter((f) => f.kind === 'sqlite').map((f) => f.path)).toHaveLength(3);
    for (const f of m.files) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(backup.files).toBe(m.files.length);
    // The token is never backed up, not as a file and not as text anywhere in the backup.
    const token = apiToken(h);
    for (const f of [...m.files.map((x) => x.path), 'manifest.json'])
      expect(readFileSync(join(backup.dir, f)).includes(token), f).toBe(false);
    // Copied databases are single files (no -wal beside them).
    expect(readdirSync(backup.dir).some((n) => n.endsWith('-wal'))).toBe(false);

    const v = await h.run(['backup', 'verify', backup.name]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain('OK');
    const list = await h.json<{ backups: Array<{ name: string }> }>(['backup', 'list']);
    expect(list.backups.map((b) => b.name)).toContain(backup.name);
  });

  it.each(['agentforge.db', 'config.toml'])(
    'a changed byte in %s fails verify (exit 1, file named) and restore refuses it',
    async (file) => {
      const copy = join(scratch, `tampered-${file}`);
      cpSync(backup.dir, copy, { recursive: true });
      flipByte(join(copy, file));
      const v = await h.run(['backup', 'verify', copy]);
      expect(v.code).toBe(1);
      expect(v.stdout).toContain('FAILED');
      expect(v.stdout).toMatch(new RegExp(`^\\s+${file.replace('.', '\\.')}: sha256`, 'm'));
      expect(v.stdout.split('\n').filter((l) => l.startsWith('  '))).toHaveLength(1); // only that file

      const target = join(scratch, `restore-of-tampered-${file}`);
      const r = await h.run(['backup', 'restore', copy, '--to', target]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(file);
      expect(existsSync(target)).toBe(false);
    },
  );

  it('restore refuses a non-empty target and writes nothing into it', async () => {
    const target = join(scratch, 'not-empty');
    mkdirSync(target);
    writeFileSync(join(target, 'precious.txt'), 'keep me');
    const r = await h.run(['backup', 'restore', backup.name, '--to', target]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not empty/);
    expect(readdirSync(target)).toEqual(['precious.txt']);
    expect(readFileSync(join(target, 'precious.txt'), 'utf8')).toBe('keep me');
  });

  it.each(['../evil', 'groups/../../evil'])(
    'a manifest path %s that escapes the home is refused by verify and restore',
    async (bad) => {
      const copy = join(scratch, `escape-${bad.replace(/[/.]/g, '_')}`);
      cpSync(backup.dir, copy, { recursive: true });
      const m = manifestOf(copy);
      // Point the entry at real content so only the path is wrong.
      const body = Buffer.from('evil\n');
      writeFileSync(join(scratch, 'evil'), body);
      m.files.push({
        path: bad,
        bytes: body.length,
        sha256: createHash('sha256').update(body).digest('hex'),
        kind: 'file',
      });
      writeFileSync(join(copy, 'manifest.json'), JSON.stringify(m, null, 2));

      const v = await h.run(['backup', 'verify', copy]);
      expect(v.code).toBe(1);
      expect(v.stdout).toMatch(/manifest\.json: .*unsafe path/);

      const parent = join(scratch, `escape-target-${bad.replace(/[/.]/g, '_')}`);
      mkdirSync(parent);
      const target = join(parent, 'home');
      const r = await h.run(['backup', 'restore', copy, '--to', target]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/unsafe path|escapes/);
      expect(readdirSync(parent)).toEqual([]); // neither the home nor ../evil was written
    },
  );

  it('a backup whose sessions index names an unsafe group folder is refused and leaves no home', async () => {
    const copy = join(scratch, 'bad-folder');
    cpSync(backup.dir, copy, { recursive: true });
    const dbFile = join(copy, 'agentforge.db');
    const db = new Database(dbFile);
    db.prepare('UPDATE sessions SET group_folder = ? WHERE id = ?').run('../../outside', sessionB);
    db.pragma('journal_mode = DELETE');
    db.close();
    // A consistent archive otherwise: the manifest matches the changed database.
    const m = manifestOf(copy);
    const entry = m.files.find((f) => f.path === 'agentforge.db')!;
    const buf = readFileSync(dbFile);
    entry.bytes = buf.length;
    entry.sha256 = createHash('sha256').update(buf).digest('hex');
    writeFileSync(join(copy, 'manifest.json'), JSON.stringify(m, null, 2));

    const v = await h.run(['backup', 'verify', copy]);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(/invalid group folder/);
    const target = join(scratch, 'bad-folder-home');
    const r = await h.run(['backup', 'restore', copy, '--to', target]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/invalid group folder/);
    expect(existsSync(target)).toBe(false);
  });

  it('restores into an empty home that runs as its own daemon with the same sessions, tasks and events', async () => {
    const originalSessions = (await h.json<{ sessions: SessionRow[] }>(['session', 'list'])).sessions;
    const originalTasks = (await h.json<{ tasks: TaskRow[] }>(['task', 'list'])).tasks;
    // The original daemon keeps its agents live (idle): a restored home must not touch them.
    const liveAgent = (await show(h, sessionA)).pid;
    expect(liveAgent).not.toBeNull();

    const h2 = makeHome(); // an empty folder
    extraHomes.push(h2);
    const r = await h.run(['backup', 'restore', backup.name, '--to', h2.home, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { files: number }).files).toBe(backup.files);
    // A new API token, private like the original.
    const token2 = apiToken(h2);
    expect(token2).toMatch(/\S{16,}/);
    expect(token2).not.toBe(apiToken(h));
    expect(readFileSync(join(h2.home, 'config.toml'), 'utf8')).toMatch(/^port = 0$/m);
    expect(readFileSync(join(h2.home, 'groups', 'cli', 'notes.txt'), 'utf8')).toBe('workspace notes\n');

    await startDaemon(h2);

    const restored = (await h2.json<{ sessions: SessionRow[] }>(['session', 'list'])).sessions;
    expect(restored.map((s) => s.id).sort()).toEqual(originalSessions.map((s) => s.id).sort());
    expect(restored.find((s) => s.id === sessionA)?.turns).toBe(2);
    // The restored sessions work in the restored home's workspace, not the original's.
    for (const s of restored) expect(s.workspace).toBe(join(h2.home, 'groups', s.group_folder));
    const tasks = (await h2.json<{ tasks: TaskRow[] }>(['task', 'list'])).tasks;
    expect(tasks.map((t) => [t.id, t.prompt, t.schedule_type, t.schedule_value])).toEqual(
      originalTasks.map((t) => [t.id, t.prompt, t.schedule_type, t.schedule_value]),
    );
    expect(tasks.map((t) => t.id)).toEqual([taskId]);

    const evs = await events(h2, sessionA);
    const texts = evs.map(chunkText).filter((t) => t !== undefined);
    expect(texts).toEqual(expect.arrayContaining(['alpha-one', 'alpha-two']));
    expect(evs.filter((e) => e.kind === 'turn_end').map((e) => e.turn)).toEqual([1, 2]);

    // Booting the restored home must not "recover" (kill) the original daemon's live agents.
    expect(isAlive(liveAgent!)).toBe(true);
    expect(await reply(h, sessionA, 'echo still-here')).toBe('still-here');

    // The restored session continues where it was, writing into the restored workspace.
    expect(await reply(h2, sessionA, 'write probe.txt restored-side')).toBe('wrote probe.txt');
    expect(readFileSync(join(h2.home, 'groups', 'cli', 'probe.txt'), 'utf8')).toBe('restored-side');
    expect(existsSync(join(h.home, 'groups', 'cli', 'probe.txt'))).toBe(false);
  });

  it('backups taken while sessions stream are consistent and verify OK', async () => {
    const ids = [sessionA, sessionB];
    let turns = 0;
    let stop = false;
    const failures: string[] = [];
    const load = Promise.all(
      ids.map(async (id) => {
        while (!stop) {
          try {
            const text = await apiReply(h, id, 'stream 50');
            if (!text.includes('chunk 50')) failures.push(`short reply: ${text.slice(-40)}`);
            turns++;
          } catch (err) {
            failures.push((err as Error).message);
          }
        }
      }),
    );
    const startedAt = Date.now();
    await waitFor(() => turns >= 2, 15_000, 'the streaming load to get going');
    const first = await createBackup();
    const turnsAtFirst = turns;
    const second = await createBackup();
    const remaining = 3_000 - (Date.now() - startedAt);
    if (remaining > 0) await sleep(remaining);
    stop = true;
    await load;
    expect(failures).toEqual([]);
    expect(turns).toBeGreaterThan(turnsAtFirst); // the load kept running across both backups
    expect(second.name).not.toBe(first.name);

    for (const b of [first, second]) {
      const v = await h.run(['backup', 'verify', b.name, '-o', 'json']);
      const report = JSON.parse(v.stdout) as VerifyOut;
      expect(report.problems).toEqual([]);
      expect(v.code).toBe(0);
      expect(report.files).toBe(manifestOf(b.dir).files.length);
    }
  });

  it('backup create keeps only the newest [backup] keep', async () => {
    const names = (): string[] =>
      readdirSync(join(h.home, 'backups'))
        .filter((n) => n.startsWith('agentforge-'))
        .sort();
    expect(names()).toHaveLength(KEEP); // the first one and the two taken under load
    const oldest = names()[0]!;
    const next = await createBackup();
    expect(next.pruned).toEqual([join(h.home, 'backups', oldest)]);
    expect(names()).toHaveLength(KEEP);
    expect(names()).not.toContain(oldest);
    expect(names()).toContain(next.name);
  });
});
