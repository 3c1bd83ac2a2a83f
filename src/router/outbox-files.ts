/**
 * The outbox's own copies of files to send (`send_file`): copied when the row is queued, so a later
 * change in the workspace does not change what is sent, and removed once the row is sent.
 * Names are random; the directory is the daemon's (0700), never an agent's workspace.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class OutboxFiles {
  constructor(private readonly dir: string) {}

  put(bytes: Buffer): string {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const name = `f-${randomBytes(8).toString('hex')}`;
    writeFileSync(join(this.dir, name), bytes, { mode: 0o600, flag: 'wx' });
    return name;
  }

  read(name: string): Buffer {
    if (!/^f-[0-9a-f]{16}$/.test(name)) throw new Error(`not an outbox file: ${name}`);
    return readFileSync(join(this.dir, name));
  }

  remove(name: string): void {
    if (/^f-[0-9a-f]{16}$/.test(name)) rmSync(join(this.dir, name), { force: true });
  }
}
