/** What the sandbox shows of an agent command's install: enough to run it, never a home. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { installRoot, sandboxCommand, shebangInterpreter } from './sandbox.js';

const root = mkdtempSync(join(tmpdir(), 'af-sbx-'));
const HOME = join(root, 'af');
const USER = join(root, 'user');
const guard = { home: HOME, userHomes: [USER], secretFiles: [] };
const file = (p: string, text = ''): string => {
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text, { mode: 0o755 });
  return p;
};
const adapter = file(
  join(USER, 'npm/lib/node_modules/@x/acp/node_modules/y/dist/index.js'),
  '#!/usr/bin/env -S node --no-warnings\n',
);
const pkgScript = file(join(root, 'src/app/dist/main.js'), '#!/opt/node/bin/node\n');
file(join(root, 'src/app/package.json'), '{}');
const prefixBin = file(join(root, 'prefix/bin/tool'));
const inUserHome = file(join(USER, 'tool'));
mkdirSync(join(HOME, 'groups', 'g'), { recursive: true });
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('installRoot', () => {
  it('shows the topmost node_modules, a package root or a bin prefix', () => {
    expect(installRoot(adapter, guard)).toBe(join(USER, 'npm/lib/node_modules'));
    expect(installRoot(pkgScript, guard)).toBe(join(root, 'src/app'));
    expect(installRoot(prefixBin, guard)).toBe(join(root, 'prefix'));
  });
  it('shows only the file when its directory is the operator home, and nothing of the AgentForge home', () => {
    expect(installRoot(inUserHome, guard)).toBe(inUserHome);
    expect(installRoot(join(HOME, 'groups', 'g', 'evil'), guard)).toBeUndefined();
    expect(installRoot('/usr/bin/node', guard)).toBeUndefined(); // the system is there anyway
    // Not normal: `x/link/../y` resolves the link first, so no lexical check can vouch for it.
    expect(installRoot(join(root, 'prefix') + '/bin/../../x', guard)).toBeUndefined();
    expect(installRoot(join(root, 'src/app') + '/./run.js', guard)).toBeUndefined();
  });
});

describe('shebangInterpreter', () => {
  it('reads env -S and absolute interpreters', () => {
    expect(shebangInterpreter(adapter)).toBe('node');
    expect(shebangInterpreter(pkgScript)).toBe('/opt/node/bin/node');
    expect(shebangInterpreter(prefixBin)).toBeUndefined();
  });
});

describe('sandboxCommand', () => {
  it('binds workspace and state rw last, drops capabilities, and points HOME at the state dir', () => {
    const ws = join(HOME, 'groups', 'g');
    const state = join(HOME, 'agents', 'a');
    const c = sandboxCommand({
      bwrap: '/usr/bin/bwrap',
      command: pkgScript,
      args: [],
      workspace: ws,
      stateDir: state,
      env: { PATH: '/usr/bin', HOME: USER },
      readOnly: [],
      readWrite: [],
      guard,
    });
    expect(c.command).toBe('/usr/bin/bwrap');
    expect(c.args.slice(0, 5)).toEqual([
      '--die-with-parent',
      '--unshare-pid',
      '--cap-drop',
      'ALL',
      '--ro-bind',
    ]);
    expect(c.args.join(' ')).toContain(`--ro-bind ${join(root, 'src/app')} ${join(root, 'src/app')}`);
    expect(c.args.join(' ')).toContain(
      `--bind ${state} ${state} --bind ${ws} ${ws} --chdir ${ws} -- ${pkgScript}`,
    );
    expect(c.args.join(' ')).not.toContain(`${USER} `);
    expect(c.env).toMatchObject({ HOME: state, TMPDIR: '/tmp', PATH: '/usr/bin' });
  });
});
