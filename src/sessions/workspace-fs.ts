/**
 * The ACP client's fs/read_text_file and fs/write_text_file, confined to the session's workspace.
 * Paths are resolved against the workspace and checked after realpath, so `..`, absolute paths
 * elsewhere and symlinks pointing out are all refused.
 */
import { lstatSync, mkdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

export class WorkspaceAccessError extends Error {
  override readonly name = 'WorkspaceAccessError';
}

export const MAX_READ_BYTES = 8 * 1024 * 1024;

function inside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

const MAX_SYMLINK_HOPS = 40;

/**
 * Realpath of the path, or of its deepest existing ancestor joined with the rest. A dangling
 * symlink is followed by hand: its target decides, since writing to it creates the target.
 */
function realpathLoose(p: string, hops = 0): string {
  try {
    return realpathSync(p);
  } catch {
    let target: string | undefined;
    try {
      if (lstatSync(p).isSymbolicLink()) target = readlinkSync(p);
    } catch {
      // p does not exist at all
    }
    if (target !== undefined) {
      if (hops >= MAX_SYMLINK_HOPS) throw new WorkspaceAccessError(`too many levels of symlinks at ${p}`);
      return realpathLoose(resolve(dirname(p), target), hops + 1);
    }
    const parent = dirname(p);
    if (parent === p) return p;
    return resolve(realpathLoose(parent, hops), relative(parent, p));
  }
}

export function confine(workspace: string, requested: string): string {
  const root = realpathSync(workspace);
  const target = isAbsolute(requested) ? resolve(requested) : resolve(root, requested);
  const real = realpathLoose(target);
  if (!inside(root, real)) {
    throw new WorkspaceAccessError(
      `path ${requested} is outside the workspace; agents may only touch files under ${root}`,
    );
  }
  return real;
}

export function readWorkspaceFile(
  workspace: string,
  path: string,
  line?: number | null,
  limit?: number | null,
): string {
  const real = confine(workspace, path);
  let text: string;
  try {
    const buf = readFileSync(real);
    if (buf.length > MAX_READ_BYTES)
      throw new WorkspaceAccessError(`file ${path} is larger than ${MAX_READ_BYTES} bytes`);
    text = buf.toString('utf8');
  } catch (err) {
    if (err instanceof WorkspaceAccessError) throw err;
    throw new WorkspaceAccessError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (line == null && limit == null) return text;
  const lines = text.split('\n');
  const start = Math.max(0, (line ?? 1) - 1);
  return lines.slice(start, limit == null ? undefined : start + limit).join('\n');
}

export function writeWorkspaceFile(workspace: string, path: string, content: string): void {
  const real = confine(workspace, path);
  mkdirSync(dirname(real), { recursive: true });
  // Re-check the parent after creating it: a symlinked directory could have been created meanwhile.
  confine(workspace, dirname(real));
  writeFileSync(real, content);
}
