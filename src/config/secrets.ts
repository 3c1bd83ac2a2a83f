/**
 * Secret references. Config never holds a secret, only where to find one: `env:NAME` or
 * `file:/absolute/path`. References are checked at load (scheme, file ownership and mode) but the
 * value is read only when a consumer asks for it, and never logged or echoed in errors.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';

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

/** Problems with a file reference that make it unsafe to use; empty when fine. */
export function checkSecretFile(path: string, uid = process.getuid?.()): string | undefined {
  let st;
  try {
    st = statSync(path);
  } catch {
    return `secret file ${path} does not exist or cannot be read; create it with mode 0600`;
  }
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
  const problem = checkSecretFile(ref.path);
  if (problem !== undefined) throw new SecretError(problem);
  return readFileSync(ref.path, 'utf8').trim();
}
