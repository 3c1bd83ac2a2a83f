/**
 * Secret references. Config never holds a secret, only where to find one: `env:NAME` or
 * `file:/absolute/path`. References are checked at load (scheme, file ownership and mode) but the
 * value is read only when a consumer asks for it, and never logged or echoed in errors.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  statSync,
  type Stats,
} from 'node:fs';
import { dirname, isAbsolute } from 'node:path';

export type SecretRef =
  | { readonly scheme: 'env'; readonly name: string; readonly ref: string }
  | { readonly scheme: 'file'; readonly path: string; readonly ref: string };

export const SECRET_REF_HINT =
  'a secret reference "env:NAME" or "file:/absolute/path" (never the secret itself)';

export function parseSecretRef(text: string): SecretRef | undefined {
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  const scheme = text.slice(0, colon);
  const rest = text.slice(colon + 1);
  if (scheme === 'env' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(rest)) return { scheme, name: rest, ref: text };
  if (scheme === 'file' && isAbsolute(rest)) return { scheme, path: rest, ref: text };
  return undefined;
}

/** Problems with what a file reference's inode is: type, mode, owner. */
function fileProblem(st: Stats, path: string, uid: number | undefined): string | undefined {
  if (!st.isFile()) return `secret file ${path} is not a regular file`;
  if ((st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    return `secret file ${path} has mode ${mode}, readable by others; run: chmod 600 ${path}`;
  }
  if (uid !== undefined && st.uid !== uid) {
    return `secret file ${path} is owned by uid ${st.uid}, not by the service user (uid ${uid}); run: chown ${uid} ${path}`;
  }
  return undefined;
}

/**
 * A directory others can write lets them swap the file for their own between our check and our
 * read, unless the sticky bit keeps them to their own entries (as in /tmp).
 */
function parentProblem(path: string): string | undefined {
  const dir = dirname(path);
  let st;
  try {
    st = statSync(dir);
  } catch {
    return `secret file ${path} is in ${dir}, which cannot be read; create it with mode 0700`;
  }
  if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) {
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    return `secret file ${path} is in ${dir} (mode ${mode}), which others can write: they could replace the file; run: chmod go-w ${dir}`;
  }
  return undefined;
}

const SYMLINK_HINT = 'symlinks are not followed; point the reference at the file itself';

/** Problems with a file reference that make it unsafe to use; empty when fine. */
export function checkSecretFile(path: string, uid = process.getuid?.()): string | undefined {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return `secret file ${path} does not exist or cannot be read; create it with mode 0600`;
  }
  if (st.isSymbolicLink()) return `secret file ${path} is a symlink; ${SYMLINK_HINT}`;
  return fileProblem(st, path, uid) ?? parentProblem(path);
}

/** Larger than any credential; a bigger file is a wrong reference, not a secret. */
const MAX_SECRET_BYTES = 64 * 1024;

/**
 * Reads what was checked: one open (never following a symlink, never blocking on a FIFO), the
 * checks on that descriptor's fstat, the read from the same descriptor.
 */
function readSecretFile(path: string, uid = process.getuid?.()): string {
  const parent = parentProblem(path);
  if (parent !== undefined) throw new SecretError(parent);
  let fd: number;
  try {
    fd = openSync(
      path,
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY,
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP')
      throw new SecretError(`secret file ${path} is a symlink; ${SYMLINK_HINT}`);
    throw new SecretError(`secret file ${path} does not exist or cannot be read; create it with mode 0600`);
  }
  try {
    const st = fstatSync(fd);
    const problem = fileProblem(st, path, uid);
    if (problem !== undefined) throw new SecretError(problem);
    if (st.size > MAX_SECRET_BYTES)
      throw new SecretError(
        `secret file ${path} is larger than ${MAX_SECRET_BYTES} bytes; is it the right file?`,
      );
    const buf = Buffer.alloc(MAX_SECRET_BYTES + 1);
    let got = 0;
    for (let n = 1; n > 0 && got < buf.length; got += n) n = readSync(fd, buf, got, buf.length - got, got);
    if (got > MAX_SECRET_BYTES)
      throw new SecretError(
        `secret file ${path} is larger than ${MAX_SECRET_BYTES} bytes; is it the right file?`,
      );
    return buf.subarray(0, got).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Word parts of an environment variable name that say it holds a secret. A part is what `_` and
 * case or digit changes separate: API_KEY, apiKey, GITHUB_TOKEN, DB_PASS, AWS_SECRET_ACCESS_KEY.
 * Whole parts only, so KEYBOARD_LAYOUT or MONKEY do not count.
 */
const SECRET_WORDS = new Set([
  'KEY',
  'KEYS',
  'APIKEY',
  'PRIVATEKEY',
  'SECRETKEY',
  'TOKEN',
  'TOKENS',
  'AUTHTOKEN',
  'ACCESSTOKEN',
  'SECRET',
  'SECRETS',
  'PASSWORD',
  'PASSWORDS',
  'PASSWD',
  'PASS',
  'PASSPHRASE',
  'CREDENTIAL',
  'CREDENTIALS',
  'CREDS',
  'AUTH',
  'AUTHN',
  'AUTHZ',
  'AUTHORIZATION',
  'COOKIE',
  'SESSIONID',
]);

export function namesASecret(envName: string): boolean {
  const parts = envName
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .replace(/([A-Za-z])([0-9])|([0-9])([A-Za-z])/g, '$1$3_$2$4')
    .split('_')
    .filter((p) => p !== '');
  return parts.some((p) => SECRET_WORDS.has(p.toUpperCase()));
}

export class SecretError extends Error {
  override readonly name = 'SecretError';
}

/**
 * Reads the secret. The error names the reference, never the value.
 * `env` is the environment to read from, passed in so nothing reads process.env implicitly.
 */
export function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv): string {
  if (ref.scheme === 'env') {
    const value = env[ref.name];
    if (value === undefined || value === '') {
      throw new SecretError(`secret ${ref.ref} is not set; export ${ref.name} in the daemon's environment`);
    }
    return value;
  }
  return readSecretFile(ref.path).trim();
}
