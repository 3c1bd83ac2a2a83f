/**
 * Which host paths may be shown inside an agent's sandbox beyond its own workspace and state
 * directory: shared by the config check (sandbox_ro_paths / sandbox_rw_paths) and by the sandbox
 * itself when it exposes an agent command's install. Never the AgentForge home, anything in it
 * (api.token, agentforge.db, other groups' workspaces) or above it, never the operator's home
 * directory or above it, and nothing that holds a credential file the config refers to.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, normalize, sep } from 'node:path';

export type SandboxGuard = {
  /** The AgentForge home. */
  readonly home: string;
  /** The operator's home directories (os.homedir(), $HOME). */
  readonly userHomes: readonly string[];
  /** file: secret references of the config (credentials, bot tokens, mail passwords). */
  readonly secretFiles: readonly string[];
};

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return normalize(path);
  }
}

/** True when `inner` is `outer` or lies under it. */
export function within(inner: string, outer: string): boolean {
  if (outer === sep) return true;
  return inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : outer + sep);
}

/** Why `path` must not be shown to an agent, or undefined when it may. Symlinks are followed. */
export function sandboxPathProblem(path: string, guard: SandboxGuard): string | undefined {
  if (!isAbsolute(path)) return 'must be an absolute path';
  const p = real(path);
  if (p === sep) return 'is the root directory: the system is already visible read-only';
  const home = real(guard.home);
  if (within(p, home))
    return `is inside the AgentForge home (${guard.home}): its token, database and other groups`;
  if (within(home, p)) return `contains the AgentForge home (${guard.home})`;
  for (const u of guard.userHomes) {
    const user = real(u);
    if (user !== sep && within(user, p)) return `is or contains the operator's home directory (${u})`;
  }
  for (const f of guard.secretFiles) {
    if (within(real(f), p)) return `contains a credential file the config refers to (${f})`;
  }
  return undefined;
}
