/**
 * A mail's attachments into the group's workspace, under mail/<uidvalidity>-<uid>/: a refetch
 * after a crash writes the same files again. The workspace belongs to the agent, which may have
 * put a symlink where we are about to write: no path component may be one, and the file is
 * opened with O_NOFOLLOW, so a mail can never write outside the workspace.
 */
import { closeSync, constants, lstatSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { MessageDetails } from '../../router/ports.js';
import type { ParsedMail } from './mime.js';

/** A file name that stays inside its directory: no separators, no dot files, bounded. */
export function safeName(name: string): string {
  const base = name
    .replace(/[/\\]/g, '_')
    .replace(/^\.+/, '_')
    .replace(/\p{Cc}/gu, '_')
    .slice(0, 120);
  return base === '' ? 'attachment' : base;
}

/** mkdir that refuses to walk through a symlink the agent may have planted. */
function realDir(path: string): void {
  try {
    const st = lstatSync(path);
    if (!st.isDirectory() || st.isSymbolicLink()) throw new Error(`${path} is not a plain directory`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(path, { mode: 0o700 });
  }
}

function writeNoFollow(path: string, content: Uint8Array): void {
  const fd = openSync(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
}

export function saveAttachments(
  mail: ParsedMail,
  workspace: string,
  id: string,
  maxBytes: number,
): MessageDetails {
  const saved: Array<{ path: string; bytes: number; type: string }> = [];
  const skipped: Array<{ name: string; why: string }> = [];
  const rel = join('mail', id);
  const used = new Set<string>();
  for (const a of mail.attachments) {
    if (a.content.length > maxBytes) {
      skipped.push({
        name: a.filename,
        why: `${a.content.length} bytes, over max_attachment_bytes (${maxBytes})`,
      });
      continue;
    }
    let name = safeName(a.filename);
    for (let i = 2; used.has(name); i++) name = `${i}-${safeName(a.filename)}`;
    used.add(name);
    try {
      realDir(workspace);
      realDir(join(workspace, 'mail'));
      realDir(join(workspace, rel));
      writeNoFollow(join(workspace, rel, name), a.content);
      saved.push({ path: join(rel, name), bytes: a.content.length, type: a.type });
    } catch (err) {
      skipped.push({
        name: a.filename,
        why: `could not be saved: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      });
    }
  }
  return {
    untrusted: true,
    subject: mail.subject,
    ...(saved.length > 0 ? { attachments: saved } : {}),
    ...(skipped.length > 0 ? { skipped } : {}),
  };
}
