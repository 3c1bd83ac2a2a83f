// Embeds the version and git sha into dist/build-info.json at build time, so every log line and
// `agentforge status` can say exactly which build is running without shelling out to git at run time.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
let gitSha = 'unknown';
try {
  gitSha = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] })
    .toString()
    .trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  })
    .toString()
    .trim();
  if (dirty !== '') gitSha += '-dirty';
} catch {
  // Not a git checkout (a packed tarball): keep "unknown" rather than fail the build.
}
mkdirSync(new URL('../dist/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('../dist/build-info.json', import.meta.url),
  JSON.stringify({ version: pkg.version, gitSha, builtAt: new Date().toISOString() }) + '\n',
);
