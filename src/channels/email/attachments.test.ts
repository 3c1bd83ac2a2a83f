import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { saveAttachments } from './attachments.js';
import type { ParsedMail } from './mime.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'att-'));
  dirs.push(d);
  return d;
};
const mail = (files: Array<[string, string]>): ParsedMail => ({
  messageId: null,
  from: { address: 'a@b.c', name: null },
  subject: 's',
  inReplyTo: null,
  references: [],
  headers: [],
  contentType: 'multipart/mixed',
  text: '',
  attachments: files.map(([filename, c]) => ({ filename, type: 'text/plain', content: Buffer.from(c) })),
});

describe('saveAttachments', () => {
  it('saves under mail/<id>/, keeps names inside, names what it did not save', () => {
    const ws = join(tmp(), 'ws');
    const d = saveAttachments(
      mail([
        ['../x.txt', 'one'],
        ['../x.txt', 'two'],
        ['big.bin', 'xxxxxxxx'],
      ]),
      ws,
      '7-1',
      4,
    );
    expect(d.attachments?.map((a) => a.path)).toEqual(['mail/7-1/__x.txt', 'mail/7-1/2-__x.txt']);
    expect(readFileSync(join(ws, 'mail/7-1/2-__x.txt'), 'utf8')).toBe('two');
    expect(d.skipped).toEqual([{ name: 'big.bin', why: '8 bytes, over max_attachment_bytes (4)' }]);
  });

  it('never follows a symlink the agent planted in its workspace', () => {
    const root = tmp();
    const ws = join(root, 'ws');
    const outside = join(root, 'outside');
    mkdirSync(join(ws, 'mail'), { recursive: true });
    mkdirSync(outside);
    symlinkSync(outside, join(ws, 'mail', '7-2'));
    const d = saveAttachments(mail([['authorized_keys', 'ssh-ed25519 AAAA evil']]), ws, '7-2', 1000);
    expect(d.attachments).toBeUndefined();
    expect(d.skipped?.[0]?.why).toContain('could not be saved');
    expect(existsSync(join(outside, 'authorized_keys'))).toBe(false);
    // A symlinked file name is refused too.
    mkdirSync(join(ws, 'mail', '7-3'));
    symlinkSync(join(outside, 'target'), join(ws, 'mail', '7-3', 'f.txt'));
    expect(saveAttachments(mail([['f.txt', 'x']]), ws, '7-3', 1000).skipped?.[0]?.why).toContain('ELOOP');
    expect(existsSync(join(outside, 'target'))).toBe(false);
  });
});
