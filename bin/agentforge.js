#!/usr/bin/env node
// Entry point. Plain JavaScript on purpose: it must run on any Node to say clearly when the Node
// is too old, before loading code that would fail with a confusing error.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(
    `agentforge: Node ${process.versions.node} is not supported (end-of-life); install Node 22 or newer, or run through npm scripts, which use the pinned Node 24\n`,
  );
  process.exit(1);
}
// V8's compiled code for our modules, kept on disk: compiling the module graph is most of a short
// command's time and of the daemon's start. Next to the code it caches (node_modules/.cache), so
// only who can change the code can change the cache; NODE_COMPILE_CACHE overrides the place and
// NODE_DISABLE_COMPILE_CACHE=1 turns it off. It never throws: a cache that cannot be written is
// simply not used.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.(
  process.env.NODE_COMPILE_CACHE ?? new URL('../node_modules/.cache/agentforge', import.meta.url).pathname,
);
// The command line and the daemon, bundled by scripts/build-bundle.mjs (`npm run build`).
const { main } = await import('../dist/bundle/main.js');
process.exitCode = await main(process.argv);
