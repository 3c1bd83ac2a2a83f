/**
 * SPEC §2/§3: an invalid config makes `config validate` and `daemon start` exit 6 with
 * `config.toml:<line>` and the key path of every problem, and never echoes a secret.
 */
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeHome, type TestHome } from '../helpers/harness.js';

const CANARY = 'sk-CANARY123';

type Case = { what: string; toml: (home: string) => string; line: number; path: string; says: RegExp };

const HEAD = '# test config\n[http]\nport = 0\n\n';

const CASES: Case[] = [
  {
    what: 'an unknown key',
    toml: () => `${HEAD}[daemon]\nshutdown_timeout = "5s"\nshutdown_timout = "5s"\n`,
    line: 7,
    path: 'daemon.shutdown_timout',
    says: /unknown key/,
  },
  {
    what: 'a value of the wrong type',
    toml: () => `${HEAD}[log]\nlevel = "info"\nmax_backups = "five"\n`,
    line: 7,
    path: 'log.max_backups',
    says: /expected number/,
  },
  {
    what: 'a bad duration',
    toml: () => `${HEAD}[daemon]\nshutdown_timeout = "soon"\n`,
    line: 6,
    path: 'daemon.shutdown_timeout',
    says: /duration/,
  },
  {
    what: 'an unknown secret scheme',
    toml: () => `${HEAD}[channels.telegram]\nenabled = false\ntoken = "vault:${CANARY}"\n`,
    line: 7,
    path: 'channels.telegram.token',
    says: /env:NAME.*file:/,
  },
  {
    what: 'a world-readable secret file',
    toml: (home) => `${HEAD}[channels.telegram]\ntoken = "file:${join(home, 'secret')}"\n`,
    line: 6,
    path: 'channels.telegram.token',
    says: /mode 0644.*chmod 600/,
  },
];

describe('an invalid config is refused with file:line and key path', () => {
  let h: TestHome;
  beforeEach(() => {
    h = makeHome();
    // The secret file of the last case: world-readable, holding the canary.
    const secret = join(h.home, 'secret');
    writeFileSync(secret, `${CANARY}\n`);
    chmodSync(secret, 0o644);
  });
  afterEach(() => h.cleanup());

  it.each(CASES)('$what: config validate and daemon start exit 6 naming line $line and $path', async (c) => {
    h.writeConfig(c.toml(h.home));
    const where = `config.toml:${c.line}: ${c.path}:`;

    const validate = await h.run(['config', 'validate']);
    expect(validate.code).toBe(6);
    expect(validate.stderr).toContain(where);
    expect(validate.stderr).toMatch(c.says);

    const start = await h.run(['daemon', 'start']);
    expect(start.code).toBe(6);
    expect(start.stderr).toContain(where);
    expect(start.stderr).toMatch(c.says);
    expect(existsSync(join(h.home, 'daemon.lock'))).toBe(false); // nothing was started

    for (const out of [validate.stdout, validate.stderr, start.stdout, start.stderr])
      expect(out).not.toContain(CANARY);
  });

  it('never echoes a secret written in place of a reference, in any output format', async () => {
    h.writeConfig(`${HEAD}[channels.telegram]\ntoken = "${CANARY}"\nbot_pool = ["vault:${CANARY}"]\n`);
    const runs = [
      await h.run(['config', 'validate']),
      await h.run(['config', 'validate', '-o', 'json']),
      await h.run(['config', 'show']),
      await h.run(['daemon', 'start']),
      await h.run(['daemon', 'check', '-o', 'json']),
      await h.run(['doctor', '-o', 'json']),
    ];
    for (const r of runs) {
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).not.toContain('CANARY');
    }
    const json = JSON.parse(runs[1]!.stdout) as {
      valid: boolean;
      errors: Array<{ path: string; line: number }>;
    };
    expect(json.valid).toBe(false);
    expect(json.errors.map((e) => `${e.path}@${e.line}`)).toEqual([
      'channels.telegram.token@6',
      'channels.telegram.bot_pool.0@7',
    ]);
  });
});
