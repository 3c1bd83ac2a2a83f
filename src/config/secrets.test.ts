import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkSecretFile, namesASecret, parseSecretRef, resolveSecret, SecretError } from './secrets.js';

describe('file: secrets', () => {
  let base: string;
  let dir: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'af-secret-'));
    dir = join(base, 'keys');
    mkdirSync(dir, { mode: 0o700 });
  });
  afterEach(() => {
    chmodSync(dir, 0o700);
    rmSync(base, { recursive: true, force: true });
  });

  const ref = (path: string) => parseSecretRef(`file:${path}`)!;
  const refusal = (path: string): string => {
    try {
      resolveSecret(ref(path), {});
    } catch (err) {
      expect(err).toBeInstanceOf(SecretError);
      return (err as Error).message;
    }
    throw new Error(`resolved ${path}`);
  };

  it('reads a 0600 file in a private directory, trimmed', () => {
    const f = join(dir, 'token');
    writeFileSync(f, 'sk-value\n', { mode: 0o600 });
    expect(checkSecretFile(f)).toBeUndefined();
    expect(resolveSecret(ref(f), {})).toBe('sk-value');
  });

  it('follows no symlink, even to a good file', () => {
    const f = join(dir, 'token');
    writeFileSync(f, 'sk-value', { mode: 0o600 });
    symlinkSync(f, join(dir, 'link'));
    expect(checkSecretFile(join(dir, 'link'))).toMatch(/is a symlink; symlinks are not followed/);
    expect(refusal(join(dir, 'link'))).toMatch(/is a symlink/);
  });

  it('refuses a file in a directory others can write, unless the sticky bit is set', () => {
    const f = join(dir, 'token');
    writeFileSync(f, 'sk-value', { mode: 0o600 });
    chmodSync(dir, 0o777);
    expect(checkSecretFile(f)).toMatch(/\(mode 0777\), which others can write.*chmod go-w/);
    expect(refusal(f)).toMatch(/which others can write/);
    chmodSync(dir, 0o770);
    expect(refusal(f)).toMatch(/mode 0770/);
    chmodSync(dir, 0o1777);
    expect(resolveSecret(ref(f), {})).toBe('sk-value');
  });

  it('refuses a readable-by-others file, a FIFO (without blocking) and a directory', () => {
    const f = join(dir, 'token');
    writeFileSync(f, 'sk-value', { mode: 0o644 });
    chmodSync(f, 0o644);
    expect(refusal(f)).toMatch(/mode 0644, readable by others/);
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', ['-m', '600', fifo]);
    expect(refusal(fifo)).toMatch(/not a regular file/);
    mkdirSync(join(dir, 'sub'), { mode: 0o700 });
    expect(refusal(join(dir, 'sub'))).toMatch(/not a regular file/);
    expect(refusal(join(dir, 'missing'))).toMatch(/does not exist/);
  });

  it('never puts the value in an error', () => {
    const f = join(dir, 'token');
    writeFileSync(f, 'sk-SUPERSECRET', { mode: 0o600 });
    chmodSync(f, 0o640);
    expect(refusal(f)).not.toContain('SUPERSECRET');
  });
});

describe('namesASecret', () => {
  it('matches whole word parts that say secret', () => {
    for (const k of [
      'API_KEY',
      'OPENAI_API_KEY',
      'apiKey',
      'GITHUB_TOKEN',
      'AWS_SECRET_ACCESS_KEY',
      'DB_PASSWORD',
      'DB_PASS',
      'MYSQL_PASSWD',
      'GOOGLE_APPLICATION_CREDENTIALS',
      'AUTH',
      'HTTP_AUTHORIZATION',
      'X_AUTH_HEADER',
      'APIKEY',
      'Key2',
    ])
      expect({ k, secret: namesASecret(k) }).toEqual({ k, secret: true });
  });
  it('leaves names that merely contain the letters', () => {
    for (const k of [
      'KEYBOARD_LAYOUT',
      'MONKEY',
      'AUTHOR',
      'PASSTHROUGH',
      'MY_AGENT_LOG',
      'TOKENIZERS_PARALLELISM',
      'PATH',
    ])
      expect({ k, secret: namesASecret(k) }).toEqual({ k, secret: false });
  });
});
