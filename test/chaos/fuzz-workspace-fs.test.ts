/**
 * Property-based fuzzing (fast-check) of the agent's fs/read_text_file and fs/write_text_file
 * paths (src/sessions/workspace-fs.ts): random paths built from `..`, `.`, absolute prefixes,
 * symlinks pointing out and in, a FIFO, a directory, a hard link and odd names. Whatever the path,
 * the answer is the file's content or a WorkspaceAccessError, at once; nothing outside the
 * workspace is read, created or changed.
 * Runs per property are bounded (quick for CI; CHAOS_LONG=1 multiplies them); a failure prints
 * the shrunk counterexample and its seed (replay with CHAOS_SEED).
 */
import { execFileSync } from 'node:child_process';
import {
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
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  readWorkspaceFile,
  WorkspaceAccessError,
  writeWorkspaceFile,
} from '../../src/sessions/workspace-fs.js';
import { fuzzParams } from '../helpers/chaos.js';

const params = fuzzParams;

const SECRET = 'OUTSIDE-SECRET';

describe('fuzz: workspace file paths', () => {
  let base: string;
  let ws: string;
  let outside: string;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'af-fuzzfs-'));
    ws = join(base, 'ws');
    outside = join(base, 'outside');
    mkdirSync(join(ws, 'sub', 'deep'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.txt'), SECRET);
    writeFileSync(join(ws, 'sub', 'file.txt'), 'inside');
    symlinkSync(outside, join(ws, 'out'));
    symlinkSync(join(ws, 'sub'), join(ws, 'in'));
    symlinkSync(join(outside, 'secret.txt'), join(ws, 'sub', 'secret-link'));
    symlinkSync(join(outside, 'made-by-link'), join(ws, 'dangling'));
    linkSync(join(outside, 'secret.txt'), join(ws, 'hard'));
    execFileSync('mkfifo', [join(ws, 'pipe')]);
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  const snapshotOutside = (): string =>
    JSON.stringify(readdirSync(outside).map((n) => [n, readFileSync(join(outside, n), 'utf8')]));

  const component = fc.oneof(
    fc.constantFrom('..', '.', '', 'sub', 'deep', 'file.txt', 'out', 'in', 'secret-link', 'dangling', 'hard'),
    fc.constantFrom('pipe', 'secret.txt', 'new', '..notes', 'x\0y', ' ', 'ü', '%2e%2e', '\\..'),
    fc.string({ maxLength: 6 }),
  );
  const pathArb = fc
    .tuple(
      fc.constantFrom('', '/', '__WS__/', '__OUT__/', '/proc/self/fd/0/', '/etc/'),
      fc.array(component, { maxLength: 6 }),
    )
    .map(([prefix, parts]) => prefix + parts.join('/'));
  const real = (p: string): string => p.replace('__WS__', ws).replace('__OUT__', outside);

  it('a read answers the content or a clear refusal, never the outside file', async () => {
    await fc.assert(
      fc.asyncProperty(pathArb, async (p) => {
        const started = Date.now();
        try {
          const text = await readWorkspaceFile(ws, real(p));
          expect(text).not.toContain(SECRET);
        } catch (err) {
          expect(err).toBeInstanceOf(WorkspaceAccessError);
          expect((err as Error).message).not.toContain(SECRET);
        }
        expect(Date.now() - started).toBeLessThan(5_000);
      }),
      params(400),
    );
  }, 240_000);

  it('a write lands inside or is refused; nothing outside is created or changed', async () => {
    const before = snapshotOutside();
    await fc.assert(
      fc.asyncProperty(pathArb, fc.string({ maxLength: 20 }), async (p, content) => {
        try {
          await writeWorkspaceFile(ws, real(p), content);
        } catch (err) {
          expect(err).toBeInstanceOf(WorkspaceAccessError);
        }
        expect(snapshotOutside()).toBe(before);
      }),
      params(400),
    );
  }, 240_000);
});
