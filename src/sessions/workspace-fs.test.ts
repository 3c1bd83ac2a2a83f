import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MAX_READ_BYTES,
  readWorkspaceFile,
  WorkspaceAccessError,
  writeWorkspaceFile,
} from './workspace-fs.js';

/** The error a call ended with (sync throw or rejection), or undefined when it succeeded. */
async function failure(f: () => unknown): Promise<unknown> {
  try {
    await f();
    return undefined;
  } catch (err) {
    return err;
  }
}

describe('workspace confinement', () => {
  let base: string;
  let ws: string;
  let outside: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'af-wsfs-'));
    ws = join(base, 'ws');
    outside = join(base, 'outside');
    mkdirSync(join(ws, 'sub'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(ws, 'sub', 'inside.txt'), 'inside');
    writeFileSync(join(outside, 'secret.txt'), 'secret');
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  const readRefused = async (path: string, why?: RegExp): Promise<void> => {
    const err = await failure(() => readWorkspaceFile(ws, path));
    expect(err, path).toBeInstanceOf(WorkspaceAccessError);
    if (why !== undefined) expect((err as Error).message).toMatch(why);
  };
  const writeRefused = async (path: string, why?: RegExp): Promise<void> => {
    const err = await failure(() => writeWorkspaceFile(ws, path, 'pwned'));
    expect(err, path).toBeInstanceOf(WorkspaceAccessError);
    if (why !== undefined) expect((err as Error).message).toMatch(why);
  };

  it('reads relative and absolute paths inside (with line and limit)', async () => {
    writeFileSync(join(ws, 'lines.txt'), 'one\ntwo\nthree\nfour');
    expect(await readWorkspaceFile(ws, 'sub/inside.txt')).toBe('inside');
    expect(await readWorkspaceFile(ws, join(ws, 'sub', 'inside.txt'))).toBe('inside');
    expect(await readWorkspaceFile(ws, 'sub/../sub/inside.txt')).toBe('inside');
    expect(await readWorkspaceFile(ws, 'lines.txt', 2, 2)).toBe('two\nthree');
    expect(await readWorkspaceFile(ws, 'lines.txt', 3)).toBe('three\nfour');
    // A name that merely starts with two dots is not a parent reference.
    writeFileSync(join(ws, '..notes'), 'dots');
    expect(await readWorkspaceFile(ws, '..notes')).toBe('dots');
    await readRefused('nope.txt', /cannot read nope.txt: ENOENT/);
  });

  it('refuses .. that leaves the workspace and absolute paths elsewhere', async () => {
    for (const p of ['..', '../outside/secret.txt', 'sub/../../outside/secret.txt', '/etc/passwd'])
      await readRefused(p, /outside the workspace/);
    await readRefused(join(outside, 'secret.txt'), /outside the workspace/);
    mkdirSync(`${ws}-evil`);
    writeFileSync(`${ws}-evil/x`, 'x');
    await readRefused(`${ws}-evil/x`, /outside the workspace/);
    await writeRefused('../escape.txt', /outside the workspace/);
    await writeRefused('new/../../x', /outside the workspace/);
    expect(existsSync(join(base, 'escape.txt'))).toBe(false);
    expect(existsSync(join(base, 'x'))).toBe(false);
  });

  it('follows no symlink at any component, pointing out or in, existing or dangling', async () => {
    symlinkSync(outside, join(ws, 'out'));
    symlinkSync(join(outside, 'secret.txt'), join(ws, 'secret-link'));
    symlinkSync(join(outside, 'missing.txt'), join(ws, 'dangling'));
    symlinkSync(join(ws, 'sub'), join(ws, 'alias'));
    symlinkSync(join(ws, 'sub', 'inside.txt'), join(ws, 'inside-link'));
    for (const p of ['out/secret.txt', 'secret-link', 'dangling', 'alias/inside.txt', 'inside-link'])
      await readRefused(p, /is a symlink; agents' file access does not follow symlinks/);
    for (const p of ['out/planted.txt', 'out/newdir/planted.txt', 'secret-link', 'dangling', 'alias/x.txt'])
      await writeRefused(p, /is a symlink/);
    expect(readdirSync(outside)).toEqual(['secret.txt']);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
    expect(existsSync(join(ws, 'sub', 'x.txt'))).toBe(false);
  });

  it('still works when the workspace itself is reached through a symlink', async () => {
    const viaLink = join(base, 'ws-link');
    symlinkSync(ws, viaLink);
    expect(await readWorkspaceFile(viaLink, 'sub/inside.txt')).toBe('inside');
    expect(await readWorkspaceFile(viaLink, join(viaLink, 'sub', 'inside.txt'))).toBe('inside');
    await writeWorkspaceFile(viaLink, 'via.txt', 'v');
    expect(readFileSync(join(ws, 'via.txt'), 'utf8')).toBe('v');
  });

  it('writes inside, creating directories, and replaces what was there', async () => {
    await writeWorkspaceFile(ws, 'made/deeper/here.txt', 'hello');
    expect(readFileSync(join(ws, 'made', 'deeper', 'here.txt'), 'utf8')).toBe('hello');
    await writeWorkspaceFile(ws, 'made/deeper/here.txt', 'hi');
    expect(readFileSync(join(ws, 'made', 'deeper', 'here.txt'), 'utf8')).toBe('hi');
    await writeRefused('sub/inside.txt/child', /not a directory/);
  });

  it('uses only regular files with one link: no FIFO, directory, device or hard link', async () => {
    execFileSync('mkfifo', [join(ws, 'pipe')]);
    await readRefused('pipe', /it is a FIFO/);
    await writeRefused('pipe', /FIFO/);
    await readRefused('sub', /it is a directory/);
    await readRefused('.', /workspace directory/);
    await writeRefused('sub', /directory|EISDIR/);
    symlinkSync('/dev/zero', join(ws, 'zero'));
    await readRefused('zero', /symlink/);
    linkSync(join(outside, 'secret.txt'), join(ws, 'hard'));
    await readRefused('hard', /2 hard links/);
    await writeRefused('hard', /2 hard links/);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
  });

  it('checks the size cap before reading: a huge sparse file is refused without reading it', async () => {
    const big = join(ws, 'sparse.bin');
    writeFileSync(big, '');
    execFileSync('truncate', ['-s', '1536M', big]);
    const before = process.memoryUsage().rss;
    const started = Date.now();
    await readRefused('sparse.bin', new RegExp(`larger than ${MAX_READ_BYTES} bytes`));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
    writeFileSync(join(ws, 'cap.bin'), Buffer.alloc(MAX_READ_BYTES, 0x61));
    expect((await readWorkspaceFile(ws, 'cap.bin')).length).toBe(MAX_READ_BYTES);
  });
});

/**
 * The audit's race: a directory swapped for a symlink to outside between the check and the open.
 * The swapper is its own process so it really runs between any two steps of ours.
 */
describe('workspace confinement under a racing swapper', () => {
  let base: string;
  let swapper: ChildProcess | undefined;
  afterEach(() => {
    swapper?.kill('SIGKILL');
    swapper = undefined;
    rmSync(base, { recursive: true, force: true });
  });

  const SWAPPER = `
const { renameSync, symlinkSync, unlinkSync, writeFileSync } = require('node:fs');
const [ws, outside] = process.argv.slice(1);
let n = 0;
let swaps = 0;
for (;;) {
  try {
    // A fresh stash name each time: a directory the writes re-created meanwhile cannot wedge us.
    const stash = ws + '/stash' + n++;
    renameSync(ws + '/d', stash);
    symlinkSync(outside, ws + '/d');
    unlinkSync(ws + '/d');
    renameSync(stash, ws + '/d');
    // The first swap is announced (the test starts only then: a starved swapper on a loaded
    // machine must not make the run vacuous); later ones are counted every 100.
    // Written aside and renamed: a reader (or a SIGKILL) never meets a half-written count.
    if (++swaps === 1 || swaps % 100 === 0) {
      writeFileSync(ws + '/swaps.tmp', String(swaps));
      renameSync(ws + '/swaps.tmp', ws + '/swaps');
    }
    if (swaps === 1) process.stdout.write('ready\\n');
  } catch {}
}`;

  it('never reads or writes outside in 1,500 tries each', async () => {
    base = mkdtempSync(join(tmpdir(), 'af-wsrace-'));
    const ws = join(base, 'ws');
    const outside = join(base, 'outside');
    mkdirSync(join(ws, 'd'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(ws, 'd', 'f.txt'), 'inside');
    writeFileSync(join(outside, 'f.txt'), 'SECRET');
    swapper = spawn(process.execPath, ['-e', SWAPPER, ws, outside], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((ok) => swapper!.stdout!.once('data', () => ok()));

    const TRIES = 1_500;
    let readsOk = 0;
    let writesOk = 0;
    const leaked: string[] = [];
    const unclear: string[] = []; // raw errors instead of a clear refusal
    for (let i = 0; i < TRIES; i++) {
      try {
        const text = await readWorkspaceFile(ws, 'd/f.txt');
        if (text === 'SECRET') leaked.push(`read ${i}`);
        else readsOk++;
      } catch (err) {
        if (!(err instanceof WorkspaceAccessError)) unclear.push(String(err));
      }
      try {
        await writeWorkspaceFile(ws, `d/w${i}.txt`, 'x');
        writesOk++;
      } catch (err) {
        if (!(err instanceof WorkspaceAccessError)) unclear.push(String(err));
      }
    }
    swapper.kill('SIGKILL');
    const written = readdirSync(outside).filter((f) => f !== 'f.txt');
    expect({ leaked, written }).toEqual({ leaked: [], written: [] });
    expect(readFileSync(join(outside, 'f.txt'), 'utf8')).toBe('SECRET');
    // Not vacuous: the swapper really swapped, and requests did get through between swaps.
    expect(Number(readFileSync(join(ws, 'swaps'), 'utf8'))).toBeGreaterThan(0);
    expect(readsOk + writesOk).toBeGreaterThan(0);
    expect(unclear.slice(0, 3)).toEqual([]);
  }, 120_000);
});
