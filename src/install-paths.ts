/**
 * Where this installation's own files are. The same modules run from three layouts: src/ under the
 * test runner, tsc's dist/<layer>/, and the bundle's dist/bundle/ chunks (scripts/build-bundle.mjs),
 * so a path relative to a module's own URL would mean something else in each. The package root,
 * found once by walking up to our package.json, is the same in all three.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function packageRoot(from: string): string {
  for (let d = from; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'bin', 'agentforge.js'))) return d;
    if (dirname(d) === d) throw new Error(`agentforge: no package root (bin/agentforge.js) above ${from}`);
  }
}

export const PACKAGE_ROOT = packageRoot(dirname(fileURLToPath(import.meta.url)));
/** The command line's entry point: the daemon re-runs it for `mcp-bridge` and `daemon start`. */
export const DAEMON_BIN = join(PACKAGE_ROOT, 'bin', 'agentforge.js');
/** The dashboard's files, written by `npm run build` (scripts/build-web.mjs). */
export const WEB_DIR = join(PACKAGE_ROOT, 'dist', 'web');
/** The demo agent runs as a process of its own, from tsc's output. */
export const DEMO_AGENT = join(PACKAGE_ROOT, 'dist', 'demo-agent', 'main.js');
/** Version and git sha, written by scripts/build-info.mjs. */
export const BUILD_INFO = join(PACKAGE_ROOT, 'dist', 'build-info.json');
export const PACKAGE_JSON = join(PACKAGE_ROOT, 'package.json');
