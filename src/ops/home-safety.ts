/**
 * The daemon refuses to run from a home other users can read or change (audit finding: a 0777 home,
 * a world-readable api.token and someone else's writable config.toml were used as they were, so
 * another local user could take the API token and make the daemon run a command of their choosing).
 * Used by the daemon's boot and by `daemon start`, which both exit 6 with one line naming the fix.
 */
import type { HomePaths } from '../config/paths.js';
import { unsafeHome } from './doctor/checks-home.js';

export class UnsafeHomeError extends Error {
  override readonly name = 'UnsafeHomeError';
}

export function assertSafeHome(
  paths: Pick<HomePaths, 'home' | 'token' | 'config'>,
  uid: number | undefined = process.getuid?.(),
): void {
  const problems = unsafeHome(paths, uid);
  if (problems.length > 0)
    throw new UnsafeHomeError(`refusing to start: ${problems.join('; ')} (or run: agentforge doctor --fix)`);
}
