/** A group's workspace: created on first use with its memory file (AGENTS.md) and logs/. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const MEMORY_FILE_TEMPLATE = "# Memory\n\nNotes this group's agent keeps between sessions.\n";

export function ensureWorkspace(groupsDir: string, folder: string): string {
  const dir = join(groupsDir, folder);
  mkdirSync(join(dir, 'logs'), { recursive: true, mode: 0o700 });
  const memory = join(dir, 'AGENTS.md');
  if (!existsSync(memory)) writeFileSync(memory, MEMORY_FILE_TEMPLATE, { mode: 0o600 });
  return dir;
}
