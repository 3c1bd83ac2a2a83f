import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { confine, readWorkspaceFile, WorkspaceAccessError, writeWorkspaceFile } from './workspace-fs.js';

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

  const refused = (path: string): void => {
    expect(() => confine(ws, path)).toThrow(WorkspaceAccessError);
  };

  it('allows relative and absolute paths inside, existing or not', () => {
    expect(confine(ws, 'sub/inside.txt')).toBe(join(ws, 'sub', 'inside.txt'));
    expect(confine(ws, join(ws, 'sub', 'inside.txt'))).toBe(join(ws, 'sub', 'inside.txt'));
    expect(confine(ws, 'new/deeper/file.txt')).toBe(join(ws, 'new', 'deeper', 'file.txt'));
    expect(confine(ws, 'sub/../sub/inside.txt')).toBe(join(ws, 'sub', 'inside.txt'));
    expect(confine(ws, '.')).toBe(ws);
    // A name that merely starts with two dots is not a parent reference.
    expect(confine(ws, '..notes')).toBe(join(ws, '..notes'));
  });

  it('refuses .. that leaves the workspace', () => {
    refused('..');
    refused('../outside/secret.txt');
    refused('sub/../../outside/secret.txt');
    refused('new/../../x');
  });

  it('refuses absolute paths elsewhere, including a sibling that shares the prefix', () => {
    refused('/etc/passwd');
    refused(join(outside, 'secret.txt'));
    mkdirSync(`${ws}-evil`);
    refused(`${ws}-evil/x`);
  });

  it('refuses symlinks that point out, for files and directories, existing or not', () => {
    symlinkSync(outside, join(ws, 'out'));
    symlinkSync(join(outside, 'secret.txt'), join(ws, 'secret-link'));
    symlinkSync(join(outside, 'missing.txt'), join(ws, 'dangling'));
    refused('out');
    refused('out/secret.txt');
    refused('out/not-yet/created.txt');
    refused('secret-link');
    refused('dangling');
  });

  it('judges a dangling symlink by its target: inside is allowed, outside and loops are refused', () => {
    symlinkSync(join(ws, 'sub', 'later.txt'), join(ws, 'dangling-in'));
    expect(confine(ws, 'dangling-in')).toBe(join(ws, 'sub', 'later.txt'));
    symlinkSync('../../outside/missing.txt', join(ws, 'sub', 'dangling-rel'));
    refused('sub/dangling-rel');
    symlinkSync(join(ws, 'loop-b'), join(ws, 'loop-a'));
    symlinkSync(join(ws, 'loop-a'), join(ws, 'loop-b'));
    refused('loop-a');
  });

  it('allows symlinks that stay inside, and a workspace reached through a symlink', () => {
    symlinkSync(join(ws, 'sub'), join(ws, 'alias'));
    expect(confine(ws, 'alias/inside.txt')).toBe(join(ws, 'sub', 'inside.txt'));
    const viaLink = join(base, 'ws-link');
    symlinkSync(ws, viaLink);
    expect(confine(viaLink, 'sub/inside.txt')).toBe(join(ws, 'sub', 'inside.txt'));
  });

  it('reads inside (with line and limit) and refuses to read outside', () => {
    writeFileSync(join(ws, 'lines.txt'), 'one\ntwo\nthree\nfour');
    expect(readWorkspaceFile(ws, 'sub/inside.txt')).toBe('inside');
    expect(readWorkspaceFile(ws, 'lines.txt', 2, 2)).toBe('two\nthree');
    expect(readWorkspaceFile(ws, 'lines.txt', 3)).toBe('three\nfour');
    expect(() => readWorkspaceFile(ws, '../outside/secret.txt')).toThrow(WorkspaceAccessError);
    expect(() => readWorkspaceFile(ws, 'nope.txt')).toThrow(/cannot read nope.txt: ENOENT/);
  });

  it('writes inside (creating directories) and writes nothing outside', () => {
    writeWorkspaceFile(ws, 'made/here.txt', 'hello');
    expect(readFileSync(join(ws, 'made', 'here.txt'), 'utf8')).toBe('hello');
    symlinkSync(outside, join(ws, 'out'));
    symlinkSync(join(outside, 'secret.txt'), join(ws, 'secret-link'));
    expect(() => writeWorkspaceFile(ws, 'out/planted.txt', 'x')).toThrow(WorkspaceAccessError);
    expect(() => writeWorkspaceFile(ws, 'out/newdir/planted.txt', 'x')).toThrow(WorkspaceAccessError);
    expect(() => writeWorkspaceFile(ws, 'secret-link', 'x')).toThrow(WorkspaceAccessError);
    expect(() => writeWorkspaceFile(ws, '../escape.txt', 'x')).toThrow(WorkspaceAccessError);
    // Writing to a dangling symlink would create its target: outside, that is an escape.
    symlinkSync(join(outside, 'created.txt'), join(ws, 'dangling'));
    expect(() => writeWorkspaceFile(ws, 'dangling', 'x')).toThrow(WorkspaceAccessError);
    expect(existsSync(join(outside, 'created.txt'))).toBe(false);
    symlinkSync(join(ws, 'sub', 'via-link.txt'), join(ws, 'dangling-in'));
    writeWorkspaceFile(ws, 'dangling-in', 'fine');
    expect(readFileSync(join(ws, 'sub', 'via-link.txt'), 'utf8')).toBe('fine');
    expect(existsSync(join(outside, 'planted.txt'))).toBe(false);
    expect(existsSync(join(outside, 'newdir'))).toBe(false);
    expect(existsSync(join(base, 'escape.txt'))).toBe(false);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
  });
});
