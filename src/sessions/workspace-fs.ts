/**
 * The ACP client's fs/read_text_file and fs/write_text_file, confined to the session's workspace.
 *
 * Why a component walk and not "realpath, check, open by name": between the check and the open an
 * agent can swap a checked directory for a symlink, and the open then follows it out of the
 * workspace (the audit read api.token that way). Checking after the fact does not help writes
 * either: `open(O_CREAT)` through a swapped parent has already created or truncated a file outside
 * before any check of the opened descriptor can run.
 *
 * So every step is anchored to a descriptor that is already open. We open the workspace root, then
 * each component as `/proc/self/fd/<dirfd>/<name>`: the kernel resolves `/proc/self/fd/<dirfd>` to
 * the directory that descriptor holds (by inode, not by its path, so renames and swaps elsewhere
 * do not matter) and looks `name` up in it: this is openat(dirfd, name) on Linux, which Node lacks.
 * O_NOFOLLOW on each open refuses a symlink at that component (ELOOP); O_DIRECTORY makes an
 * intermediate component a directory. A name never contains `/`, and `..` is resolved lexically
 * before the walk, which is exact because no component may be a symlink. What is read or written
 * is the descriptor the walk ended on, checked with fstat: only regular files with one link.
 *
 * All I/O goes through fs/promises on libuv's thread pool, never on the event loop. The final open
 * carries O_NONBLOCK so a FIFO cannot block it (a blocked pool thread would still starve others),
 * and the size cap is checked by fstat before a byte is read, and the read itself is bounded.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, realpath, type FileHandle } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

export class WorkspaceAccessError extends Error {
  override readonly name = 'WorkspaceAccessError';
  /** The file system's reason when there was one (ENOENT, ELOOP …): a missing file is told apart. */
  constructor(
    message: string,
    readonly errno?: string,
  ) {
    super(message);
  }
}

export const MAX_READ_BYTES = 8 * 1024 * 1024;

const { O_RDONLY, O_WRONLY, O_CREAT, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } = constants;

function inside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * The requested path as components under the workspace, resolved lexically. An absolute path
 * counts when it lies under the workspace as configured or under its real path (the home may
 * sit behind a symlink such as /tmp on some systems).
 */
export function workspaceComponents(workspace: string, realRoot: string, requested: string): string[] {
  if (requested.includes('\0')) throw new WorkspaceAccessError('path contains a NUL byte');
  let target: string | undefined;
  if (isAbsolute(requested)) {
    const abs = resolve(requested);
    for (const root of [realRoot, resolve(workspace)]) {
      if (inside(root, abs)) {
        target = resolve(realRoot, relative(root, abs));
        break;
      }
    }
  } else {
    const abs = resolve(realRoot, requested);
    if (inside(realRoot, abs)) target = abs;
  }
  if (target === undefined) {
    throw new WorkspaceAccessError(
      `path ${requested} is outside the workspace; agents may only touch files under ${realRoot}`,
    );
  }
  const rel = relative(realRoot, target);
  return rel === '' ? [] : rel.split(sep);
}

function at(dir: FileHandle, name: string): string {
  return `/proc/self/fd/${dir.fd}/${name}`;
}

function explain(requested: string, upTo: string, err: unknown): WorkspaceAccessError {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  if (code === 'ELOOP')
    return new WorkspaceAccessError(
      `cannot use ${requested}: ${upTo} is a symlink; agents' file access does not follow symlinks`,
    );
  if (code === 'ENOTDIR')
    return new WorkspaceAccessError(`cannot use ${requested}: ${upTo} is not a directory`);
  return new WorkspaceAccessError(`cannot use ${requested}: ${code}`, code);
}

/**
 * Opens a directory component. O_DIRECTORY is checked before O_NOFOLLOW, so a symlink shows up
 * as ENOTDIR; lstat tells the two apart for the message only (the open already refused it).
 */
async function openDir(dir: FileHandle, part: string): Promise<FileHandle> {
  try {
    return await open(at(dir, part), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') {
      const isLink = await lstat(at(dir, part)).then(
        (st) => st.isSymbolicLink(),
        () => false,
      );
      if (isLink) throw Object.assign(new Error('symlink'), { code: 'ELOOP' });
    }
    throw err;
  }
}

type Walk = { readonly dir: FileHandle; readonly name: string; readonly requested: string };

/**
 * Opens the directory that holds the requested file, component by component, never following a
 * symlink; with `create`, missing directories are made on the way (mkdir never follows a link
 * at its last component, and the following O_NOFOLLOW open refuses one planted in between).
 */
async function walkToParent(workspace: string, requested: string, create: boolean): Promise<Walk> {
  let realRoot: string;
  try {
    realRoot = await realpath(workspace);
  } catch (err) {
    throw new WorkspaceAccessError(`the workspace is unavailable: ${(err as NodeJS.ErrnoException).code}`);
  }
  const parts = workspaceComponents(workspace, realRoot, requested);
  const name = parts.pop();
  if (name === undefined)
    throw new WorkspaceAccessError(`cannot use ${requested}: it is the workspace directory, not a file`);
  let dir = await open(realRoot, O_RDONLY | O_DIRECTORY);
  try {
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const upTo = parts.slice(0, i + 1).join('/');
      let next: FileHandle;
      try {
        next = await openDir(dir, part);
      } catch (err) {
        if (!create || (err as NodeJS.ErrnoException).code !== 'ENOENT') throw explain(requested, upTo, err);
        try {
          await mkdir(at(dir, part));
        } catch (mkErr) {
          if ((mkErr as NodeJS.ErrnoException).code !== 'EEXIST') throw explain(requested, upTo, mkErr);
        }
        try {
          next = await openDir(dir, part);
        } catch (err2) {
          throw explain(requested, upTo, err2);
        }
      }
      await dir.close();
      dir = next;
    }
    return { dir, name, requested };
  } catch (err) {
    await dir.close();
    throw err;
  }
}

/** Refuses anything but a regular file that lives only here (a hard link reaches a file elsewhere). */
async function checkRegular(fh: FileHandle, requested: string): Promise<number> {
  const st = await fh.stat();
  if (!st.isFile()) {
    const what = st.isDirectory()
      ? 'a directory'
      : st.isFIFO()
        ? 'a FIFO'
        : st.isSocket()
          ? 'a socket'
          : 'a device or special file';
    throw new WorkspaceAccessError(`cannot use ${requested}: it is ${what}; only regular files can be used`);
  }
  if (st.nlink > 1)
    throw new WorkspaceAccessError(
      `cannot use ${requested}: it has ${st.nlink} hard links; only files that live only in the workspace can be used`,
    );
  return st.size;
}

export async function readWorkspaceFile(
  workspace: string,
  path: string,
  line?: number | null,
  limit?: number | null,
): Promise<string> {
  const walk = await walkToParent(workspace, path, false);
  let fh: FileHandle;
  try {
    fh = await open(at(walk.dir, walk.name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw explain(path, path, err);
    if (code === 'ENXIO')
      throw new WorkspaceAccessError(`cannot use ${path}: it is a socket; only regular files can be used`);
    throw new WorkspaceAccessError(`cannot read ${path}: ${code ?? 'error'}`, code);
  } finally {
    await walk.dir.close();
  }
  let text: string;
  try {
    const size = await checkRegular(fh, path);
    if (size > MAX_READ_BYTES)
      throw new WorkspaceAccessError(`file ${path} is larger than ${MAX_READ_BYTES} bytes`);
    // One byte more than the cap: a file that grew since fstat is noticed, never read whole.
    const buf = Buffer.alloc(Math.min(size, MAX_READ_BYTES) + 1);
    let got = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got === buf.length) break;
    }
    if (got > MAX_READ_BYTES)
      throw new WorkspaceAccessError(`file ${path} is larger than ${MAX_READ_BYTES} bytes`);
    text = buf.subarray(0, got).toString('utf8');
  } catch (err) {
    if (err instanceof WorkspaceAccessError) throw err;
    throw new WorkspaceAccessError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  } finally {
    await fh.close();
  }
  if (line == null && limit == null) return text;
  const lines = text.split('\n');
  const start = Math.max(0, (line ?? 1) - 1);
  return lines.slice(start, limit == null ? undefined : start + limit).join('\n');
}

export async function writeWorkspaceFile(
  workspace: string,
  path: string,
  content: string | Uint8Array,
): Promise<void> {
  const walk = await walkToParent(workspace, path, true);
  let fh: FileHandle;
  try {
    // No O_TRUNC: the file is truncated only after fstat proved it is ours to write. O_NOFOLLOW
    // with O_CREAT refuses a planted symlink, dangling or not, instead of creating its target.
    fh = await open(at(walk.dir, walk.name), O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0o666);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw explain(path, path, err);
    // ENXIO: a FIFO with no reader, opened non-blocking for writing.
    if (code === 'ENXIO')
      throw new WorkspaceAccessError(
        `cannot use ${path}: it is a FIFO or socket; only regular files can be used`,
      );
    throw new WorkspaceAccessError(`cannot write ${path}: ${code ?? 'error'}`, code);
  } finally {
    await walk.dir.close();
  }
  try {
    await checkRegular(fh, path);
    await fh.truncate(0);
    await fh.writeFile(content);
  } catch (err) {
    if (err instanceof WorkspaceAccessError) throw err;
    throw new WorkspaceAccessError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  } finally {
    await fh.close();
  }
}
