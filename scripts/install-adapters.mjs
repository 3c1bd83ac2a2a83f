// Installs the pinned real agent adapters the conformance suite drives (test/agents/adapters/,
// exact versions in its package-lock.json) unless the installed tree already matches the lock.
// They are not dependencies of the product: an operator installs the adapter of their choice.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../test/agents/adapters');
const lock = join(dir, 'package-lock.json');
const installed = join(dir, 'node_modules/.package-lock.json');

function same() {
  if (!existsSync(installed)) return false;
  const want = JSON.parse(readFileSync(lock, 'utf8')).packages ?? {};
  const have = JSON.parse(readFileSync(installed, 'utf8')).packages ?? {};
  // Optional packages for other platforms (darwin, win32 builds) are never installed here.
  return Object.entries(want).every(
    ([k, v]) => k === '' || have[k]?.version === v.version || (v.optional === true && have[k] === undefined),
  );
}

if (same()) {
  console.log('adapters: installed tree matches the lock');
} else {
  console.log('adapters: npm ci in test/agents/adapters');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'inherit' });
}
