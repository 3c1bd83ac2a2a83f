/**
 * [agents.NAME] sandbox, sandbox_ro_paths, sandbox_rw_paths: the mode is one of three, and the
 * extra paths may show the agent neither the AgentForge home (its token, database, other groups)
 * nor anything above it, nor the operator's home directory, nor a credential file; each problem
 * is reported with its file:line and key path.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { parseConfig } from './load.js';

const root = mkdtempSync(join(tmpdir(), 'af-sbcfg-'));
const HOME = join(root, 'home');
const TOOLS = join(root, 'tools');
const SECRETS = join(root, 'secrets');
mkdirSync(join(HOME, 'groups', 'other'), { recursive: true });
mkdirSync(TOOLS);
mkdirSync(SECRETS, { mode: 0o700 });
writeFileSync(join(SECRETS, 'key'), 'k', { mode: 0o600 });
symlinkSync(HOME, join(root, 'link-to-home'));
const FILE = join(HOME, 'config.toml');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const agent = (extra: string): string => `[agents.a]\npreset = "demo"\n${extra}\n`;
function issuesOf(toml: string): Array<{ path: string; line: number | undefined; message: string }> {
  try {
    parseConfig(toml, FILE, HOME);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map(({ path, line, message }) => ({ path, line, message }));
  }
  throw new Error('expected a ConfigError');
}

describe('agent sandbox settings', () => {
  it('defaults to auto with no extra paths, and takes bwrap, none and listed tool directories', () => {
    const c = parseConfig(agent(''), FILE, HOME);
    expect(c.agents['a']).toMatchObject({ sandbox: 'auto', sandbox_ro_paths: [], sandbox_rw_paths: [] });
    const d = parseConfig(agent(`sandbox = "bwrap"\nsandbox_ro_paths = ["${TOOLS}"]`), FILE, HOME);
    expect(d.agents['a']).toMatchObject({ sandbox: 'bwrap', sandbox_ro_paths: [TOOLS] });
    expect(parseConfig(agent('sandbox = "none"'), FILE, HOME).agents['a']?.sandbox).toBe('none');
  });

  it('refuses an unknown mode', () => {
    expect(issuesOf(agent('sandbox = "docker"'))).toEqual([
      { path: 'agents.a.sandbox', line: 3, message: 'expected one of "auto", "bwrap", "none"' },
    ]);
  });

  it.each([
    ['/', /root directory/],
    [HOME, /inside the AgentForge home/],
    [join(HOME, 'api.token'), /inside the AgentForge home/],
    [join(HOME, 'groups', 'other'), /inside the AgentForge home/],
    [join(root, 'link-to-home'), /inside the AgentForge home/],
    [root, /contains the AgentForge home/],
    [homedir(), /operator's home directory/],
    [SECRETS, /credential file/],
    ['relative/dir', /absolute path/],
    [join(root, 'missing'), /does not exist/],
  ])('refuses %s with its line', (path, why) => {
    const toml = `[agents.a]\npreset = "demo"\ncredentials = { K = "file:${join(SECRETS, 'key')}" }\nsandbox_rw_paths = ["${TOOLS}", "${path}"]\n`;
    expect(issuesOf(toml)).toEqual([
      { path: 'agents.a.sandbox_rw_paths.1', line: 4, message: expect.stringMatching(why) },
    ]);
  });
});
