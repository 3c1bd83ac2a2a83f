// Bundles the command line and the daemon (tsc's dist/cli/main.js and everything it imports,
// dependencies included) into a few ES modules in dist/bundle, which bin/agentforge.js runs.
// Why: resolving and linking ~550 separate module files was most of a short command's time and of
// the daemon's start (start → /readyz 560 → ~390 ms, idle RSS −9 MB; docs/benchmarks.md).
// Code loaded with import() (Telegram, e-mail, the MCP tool server, metrics, each command) stays in
// chunks of its own, loaded when used. Whitespace and syntax are minified, names are not: V8 keeps
// every module's source in the heap for the life of the process, and a single non-ASCII character
// in a comment makes a whole chunk two bytes per character (−1.5 MB idle RSS). Stack traces keep
// their function names; the linked source maps (node --enable-source-maps) point back into dist/
// and src/.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
const out = join(root, 'dist/bundle');
rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: { main: join(root, 'dist/cli/main.js') },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  sourcemap: 'linked',
  // esbuild may rename a class to avoid a clash, which changes its .name; node-fetch (under
  // grammY) knows an AbortSignal by constructor.name, one reason the channels stay external.
  // keepNames would cost every function a defineProperty at load: +7.5 MB idle RSS.
  keepNames: false,
  // better-sqlite3 finds its native addon beside its own files; pino-pretty is an optional dev
  // dependency that log.ts loads only when present. The channels' libraries load only when a
  // channel is configured, so bundling them saves no start-up; from node_modules they run exactly
  // as published (node-fetch under grammY, for one, calls APIs Node warns about outside node_modules).
  external: [
    'better-sqlite3',
    'pino-pretty',
    'grammy',
    'imapflow',
    'nodemailer',
    'postal-mime',
    'html-to-text',
  ],
  // CommonJS dependencies call require() for Node's built-ins; an ES module has none of its own.
  banner: {
    js: "import { createRequire as __afRequire } from 'node:module'; const require = __afRequire(import.meta.url);",
  },
  legalComments: 'eof',
  minifyWhitespace: true,
  minifySyntax: true,
  // Strings and identifiers escaped to ASCII (comments are gone with the whitespace).
  charset: 'ascii',
  logLevel: 'warning',
});
