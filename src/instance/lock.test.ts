import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlreadyRunningError, acquireLock, isAlive, lockHolder, processStartTime } from './lock.js';

describe('single-instance lock', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'af-lock-'));
    path = join(dir, 'daemon.lock');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a second owner while the first is alive and names its pid', () => {
    const lock = acquireLock(path);
    expect(lockHolder(path)?.pid).toBe(process.pid);
    // process.ppid is alive too; as a would-be second owner it must be refused.
    expect(() => acquireLock(path, process.ppid)).toThrow(AlreadyRunningError);
    expect(() => acquireLock(path, process.ppid)).toThrow(`pid ${process.pid}`);
    lock.release();
    expect(lockHolder(path)).toBeUndefined();
  });

  it('takes over a lock whose owner is gone', () => {
    writeFileSync(path, JSON.stringify({ pid: 2 ** 22 + 12345, startTime: '1' }));
    const lock = acquireLock(path);
    expect(lock.tookOverStale).toBe(true);
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('takes over a lock whose pid was reused by another process (start time differs)', () => {
    writeFileSync(path, JSON.stringify({ pid: process.ppid, startTime: 'not-the-real-start-time' }));
    expect(lockHolder(path)).toBeUndefined();
    acquireLock(path).release();
  });

  it.skipIf(processStartTime(process.pid) === null)(
    'treats a zombie (killed but not yet reaped) owner as gone',
    async () => {
      // `sleep 1` becomes a child of the exec'd `sleep 30`, which never reaps it: a zombie until
      // the test kills its parent. The second of delay lets the shell reach `exec` first even on a
      // loaded machine; a child that ended before it would be reaped by the shell itself.
      const sh = spawn('sh', ['-c', 'sleep 1 & echo $!; exec sleep 30'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      try {
        const zombie = await new Promise<number>((resolveP) =>
          sh.stdout.once('data', (d: Buffer) => resolveP(Number(d.toString().trim()))),
        );
        const startTime = processStartTime(zombie);
        for (let i = 0; i < 400 && !readFileSync(`/proc/${zombie}/stat`, 'utf8').includes(') Z '); i++)
          await new Promise((r) => setTimeout(r, 25));
        expect(readFileSync(`/proc/${zombie}/stat`, 'utf8')).toContain(') Z ');
        expect(isAlive({ pid: zombie, startTime })).toBe(false);
        writeFileSync(path, JSON.stringify({ pid: zombie, startTime }));
        expect(lockHolder(path)).toBeUndefined();
      } finally {
        sh.kill('SIGKILL');
      }
    },
  );
});
