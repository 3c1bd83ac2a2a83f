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
const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv);
