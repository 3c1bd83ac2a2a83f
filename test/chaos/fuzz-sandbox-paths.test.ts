/**
 * Property-based fuzzing (fast-check) of what an agent's sandbox may show: the config's
 * sandbox_ro_paths / sandbox_rw_paths (src/config/load.ts over src/config/sandbox-paths.ts) and
 * the install directories the sandbox exposes for an agent command (src/sessions/sandbox.ts).
 * Random paths built from `..`, `.`, `//`, symlinks into and around the home and odd names:
 * whatever the path, the config either refuses it with a ConfigError at its key or accepts a
 * path that, symlinks followed, neither lies in the AgentForge home nor contains it nor the
 * operator's home; and no exposed install directory ever does either.
 * Runs per property are bounded (quick for CI; CHAOS_LONG=1 multiplies them); a failure prints
 * the shrunk counterexample and its seed (replay with CHAOS_SEED).
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfig } from '../../src/config/load.js';
import { within } from '../../src/config/sandbox-paths.js';
import { installRoot } from '../../src/sessions/sandbox.js';
import { scaled } from '../helpers/chaos.js';

const seedFromEnv = Number(process.env['CHAOS_SEED']);
const SEED = Number.isInteger(seedFromEnv) && seedFromEnv > 0 ? seedFromEnv : undefined;
/** fast-check parameters: bounded runs, and the seed when one is given. */
const params = (quick: number): fc.Parameters<unknown> => ({
  numRuns: scaled(quick, quick * 5),
  ...(SEED === undefined ? {} : { seed: SEED }),
});

const root = realpathSync(mkdtempSync(join(tmpdir(), 'af-fzsb-')));
const HOME = join(root, 'af-home');
const USER = join(root, 'user');
for (const d of [join(HOME, 'groups', 'g'), join(USER, 'node_modules', 'x', 'bin'), join(root, 'opt', 'bin')])
  mkdirSync(d, { recursive: true });
writeFileSync(join(HOME, 'api.token'), 't');
writeFileSync(join(USER, 'node_modules', 'x', 'bin', 'x.js'), '#!/usr/bin/env node\n');
writeFileSync(join(root, 'opt', 'bin', 'tool'), '');
symlinkSync(HOME, join(root, 'to-home'));
symlinkSync(join(HOME, 'groups'), join(root, 'opt', 'to-groups'));
symlinkSync('..', join(root, 'opt', 'up'));
const guard = { home: HOME, userHomes: [USER], secretFiles: [] };
afterAll(() => rmSync(root, { recursive: true, force: true }));

const segment = fc.constantFrom(
  '..',
  '.',
  '',
  'af-home',
  'groups',
  'g',
  'api.token',
  'user',
  'node_modules',
  'x',
  'bin',
  'x.js',
  'opt',
  'tool',
  'to-home',
  'to-groups',
  'up',
  'no such',
  'a"b',
);
const path = fc
  .tuple(fc.constantFrom(root, '/', '', root + '/'), fc.array(segment, { maxLength: 6 }))
  .map(([start, segs]) => [start, ...segs].join('/'));

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
const exposesHome = (p: string, user: string): boolean =>
  within(real(p), HOME) || within(HOME, real(p)) || within(real(user), real(p));

describe('fuzz: sandbox paths', () => {
  it('config: every listed path is refused at its key, or shows nothing of the homes', () => {
    fc.assert(
      fc.property(path, fc.boolean(), (p, rw) => {
        const key = rw ? 'sandbox_rw_paths' : 'sandbox_ro_paths';
        const toml = `[agents.a]\npreset = "demo"\n${key} = [${JSON.stringify(p)}]\n`;
        try {
          parseConfig(toml, join(HOME, 'config.toml'), HOME);
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          expect((err as ConfigError).issues.map((i) => [i.path, i.line])).toEqual([
            [`agents.a.${key}.0`, 3],
          ]);
          return;
        }
        // The config's operator home is the real one (os.homedir()).
        expect(exposesHome(p, homedir())).toBe(false);
      }),
      params(300),
    );
  });

  it('install roots: never the home, above it, or the operator home', () => {
    fc.assert(
      fc.property(path, (p) => {
        const r = installRoot(p, guard);
        if (r !== undefined) expect(exposesHome(r, USER), `${p} → ${r}`).toBe(false);
      }),
      params(300),
    );
  });
});
